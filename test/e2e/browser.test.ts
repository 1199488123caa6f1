import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPipeline } from "../../local/local-pipeline.js";
import { startLocalServer, type LocalServer } from "../../local/local-server.js";

/**
 * index.html and a feed page in a real browser (Debian's Chromium, installed by
 * .ci/run). Where Chromium is absent the test is skipped with a message rather than
 * failing. This machine has no Urdu system font (`fc-list :lang=ur` is empty), so Urdu
 * shows only through the self-hosted one.
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

    await expectUrduFontLoaded(page);

    await mkdir("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/index.png", fullPage: true });
    expect(existsSync("test-results/index.png")).toBe(true);
  });

  it("each feed in index.html leads to its page", async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    await page.locator(".feed-name a", { hasText: /^News$/ }).click();
    await page.waitForURL(`${url}/categories/news/feed.html`);
    expect(await page.locator("h1").textContent()).toBe("News");
    await page.close();
  });
});

/** The self-hosted Noto Nastaliq Urdu was fetched and used: not the fallback's missing-glyph boxes. */
async function expectUrduFontLoaded(page: Page): Promise<void> {
  await page.evaluate("document.fonts.ready");
  const faces = await page.evaluate("[...document.fonts].filter((f) => f.family.replace(/[\"']/g, '') === 'Noto Nastaliq Urdu').map((f) => f.status)");
  expect(faces).toEqual(["loaded"]);
  expect(await page.evaluate(`document.fonts.check('16px "Noto Nastaliq Urdu"', 'اردو')`)).toBe(true);
  // The same Urdu title is laid out differently in the fallback font (boxes, no Nastaliq
  // ligatures): the self-hosted font is what the page actually uses.
  // (On one line, unwrapped, so the width is the text's own; CSSOM edits are not blocked by the CSP.)
  const widths = await page.evaluate(`(() => {
    const h = document.querySelector('article[lang=ur] h3 a');
    const probe = h.cloneNode(true);
    for (const el of [h, probe]) { el.style.whiteSpace = 'nowrap'; el.style.display = 'inline-block'; }
    probe.style.fontFamily = 'monospace';
    h.after(probe);
    const [own, fallback] = [h.getBoundingClientRect().width, probe.getBoundingClientRect().width];
    probe.remove();
    h.style.whiteSpace = ''; h.style.display = '';
    return { own, fallback };
  })()`) as { own: number; fallback: number };
  expect(Math.abs(widths.own - widths.fallback)).toBeGreaterThan(5);
}

describe.skipIf(!hasChromium)("a feed's page (feed.html) in Chromium", () => {
  it("shows a category's addresses and entries under the CSP, with autodiscovery and the Urdu font; saves a screenshot", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const messages: string[] = [];
    page.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
    await page.addInitScript({ content: "window.violations = []; document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));" });
    const fonts: { status: number; type?: string; cache?: string }[] = [];
    page.on("response", (r) => { if (r.url().endsWith(".woff2")) fonts.push({ status: r.status(), type: r.headers()["content-type"], cache: r.headers()["cache-control"] }); });

    const res = await page.goto(`${url}/categories/news/feed.html`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-type"]).toBe("text/html; charset=utf-8");
    expect(res?.headers()["content-security-policy"]).toMatch(/style-src 'sha256-.*font-src 'self'/);
    await page.waitForLoadState("load");
    expect(await page.title()).toBe("TechJuice Feeds: News: feed");
    expect(await page.locator("h1").textContent()).toBe("News");

    // The three addresses, each in a labelled read-only field that selects whole (to copy).
    const addresses = { RSS: `${url}/categories/news/feed.xml`, Atom: `${url}/categories/news/atom.xml`, "JSON Feed": `${url}/categories/news/feed.json` };
    for (const [label, address] of Object.entries(addresses)) {
      const field = page.getByLabel(label, { exact: true });
      expect(await field.inputValue()).toBe(address);
      expect(await field.getAttribute("readonly")).not.toBeNull();
      await field.selectText();
      // The function runs in the page, unbundled: the type is asserted inline.
      expect(await field.evaluate((el) => { const i = el as unknown as { selectionStart: number; selectionEnd: number }; return [i.selectionStart, i.selectionEnd]; })).toEqual([0, address.length]);
    }
    await expect(page.getByText("Copy one of these addresses").count()).resolves.toBe(1);
    // With no script: a field reached with the keyboard is selected whole by the browser
    // itself, ready for Ctrl-C (the first Tab stops on the crumb's links, then the fields).
    const selection = "(() => { const i = document.activeElement; return i instanceof HTMLInputElement ? [i.value, i.selectionStart, i.selectionEnd] : null; })()";
    await page.evaluate("document.activeElement.blur(); window.getSelection().removeAllRanges()");
    await page.getByLabel("RSS", { exact: true }).focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(selection)).toEqual([addresses.Atom, 0, addresses.Atom.length]);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(selection)).toEqual([addresses["JSON Feed"], 0, addresses["JSON Feed"].length]);
    // Nothing on the page may run: no <script>, no inline handler.
    expect(await page.evaluate("document.scripts.length")).toBe(0);
    expect(await page.evaluate("[...document.querySelectorAll('*')].some((el) => [...el.attributes].some((a) => a.name.startsWith('on')))")).toBe(false);

    // Autodiscovery: the category's three feeds, each served with its own type.
    const alternates = await page.$$eval('link[rel="alternate"]', (links) => links.map((l) => [l.getAttribute("type"), l.getAttribute("href")]));
    expect(alternates).toEqual([
      ["application/rss+xml", addresses.RSS],
      ["application/atom+xml", addresses.Atom],
      ["application/feed+json", addresses["JSON Feed"]],
    ]);
    for (const [type, href] of alternates) expect((await page.request.get(href!)).headers()["content-type"]).toBe(`${type}; charset=utf-8`);

    // The entries a subscriber gets: the English story and the Urdu one, right to left.
    await expect(page.getByRole("heading", { name: /Pakistan & Korea Set To Collaborate/ }).count()).resolves.toBe(1);
    expect(await page.evaluate("getComputedStyle(document.querySelector('article[lang=ur]')).direction")).toBe("rtl");
    await expectUrduFontLoaded(page);
    expect(fonts).toEqual([{ status: 200, type: "font/woff2", cache: "public, max-age=31536000, immutable" }]);

    expect(await page.evaluate("window.violations")).toEqual([]);
    expect(messages.filter((m) => /Content.Security.Policy|Refused/i.test(m))).toEqual([]);

    await mkdir("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/feed-page.png", fullPage: true });
    expect(existsSync("test-results/feed-page.png")).toBe(true);
    await page.close();
  });
});
