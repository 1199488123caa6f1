import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPipeline } from "../../local/local-pipeline.js";
import { startLocalServer, type LocalServer } from "../../local/local-server.js";

/**
 * index.html in a real browser (Debian's Chromium, installed by .ci/run). Where Chromium
 * is absent the test is skipped with a message rather than failing.
 */

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

let work: string;
let server: LocalServer;
let url: string;
let browser: Browser;
let pipeline: LocalPipeline;

beforeAll(async () => {
  if (!hasChromium) return;
  work = await mkdtemp(join(tmpdir(), "feedpub-browser-"));
  await cp(new URL("../../content", import.meta.url).pathname, join(work, "content"), { recursive: true });
  const started = await startLocalServer(join(work, "dist"), 0);
  server = started;
  url = started.url;
  pipeline = await LocalPipeline.start({ contentDir: join(work, "content"), outDir: join(work, "dist"), baseUrl: url });
  await pipeline.buildAll();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await pipeline?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)("index.html in Chromium", () => {
  it("renders under the Content-Security-Policy it is served with: the inline style applies, no violation is reported", async () => {
    const page = await browser.newPage();
    const messages: string[] = [];
    page.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
    // Init scripts run outside the page's CSP; they record what the page's CSP blocks.
    await page.addInitScript({ content: "window.violations = []; document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));" });
    const res = await page.goto(`${url}/`);
    expect(res?.headers()["content-security-policy"]).toMatch(/style-src 'sha256-/);
    await page.waitForLoadState("load");
    expect(await page.evaluate("window.violations")).toEqual([]);
    expect(messages.filter((m) => /Content.Security.Policy|Refused/i.test(m))).toEqual([]);
    // The stylesheet applied: body margin 0 and the card border come from the inline <style>.
    expect(await page.evaluate("getComputedStyle(document.body).marginTop")).toBe("0px");
    expect(await page.evaluate("getComputedStyle(document.querySelector('article')).borderTopStyle")).toBe("solid");
    await page.close();
  });

  it("has feed autodiscovery, the seed article, every feed, right-to-left Urdu; saves a screenshot", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const res = await page.goto(`${url}/`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe("TechJuice Feeds: feeds");

    const alternates = await page.$$eval('link[rel="alternate"]', (links) => links.map((l) => [l.getAttribute("type"), l.getAttribute("href")]));
    expect(alternates).toEqual([
      ["application/rss+xml", `${url}/feed.xml`],
      ["application/atom+xml", `${url}/atom.xml`],
      ["application/feed+json", `${url}/feed.json`],
    ]);
    // Each autodiscovered feed is served with its own content type.
    for (const [type, href] of alternates) {
      const feed = await page.request.get(href!);
      expect(feed.headers()["content-type"]).toBe(`${type}; charset=utf-8`);
    }

    await expect(page.getByRole("heading", { name: /Pakistan & Korea Set To Collaborate/ }).count()).resolves.toBe(1);
    const feedNames = await page.$$eval(".feed-name", (els) => els.map((e) => e.textContent));
    expect(feedNames).toEqual(expect.arrayContaining(["Everything", "Electric Cars", "News", "Usman Aslam", "Ayesha Khan"]));
    const urdu = page.locator('article[lang="ur"]');
    expect(await urdu.getAttribute("dir")).toBe("rtl");
    expect(await page.evaluate("getComputedStyle(document.querySelector('article[lang=ur]')).direction")).toBe("rtl");

    await mkdir("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/index.png", fullPage: true });
    expect(existsSync("test-results/index.png")).toBe(true);
  });
});
