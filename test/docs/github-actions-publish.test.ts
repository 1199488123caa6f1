import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildCli } from "../../bin/feedpub.js";

/**
 * The documented workflow of a content repository (docs/github-actions-publish.yml):
 * it asks GitHub for an OIDC token, assumes the role the stack outputs, and runs the
 * upload with --wait, with options the CLI really has.
 */

const text = readFileSync(fileURLToPath(new URL("../../docs/github-actions-publish.yml", import.meta.url)), "utf8");
const workflow = parse(text) as {
  on: { push: { branches: string[] } };
  permissions: Record<string, string>;
  jobs: Record<string, { steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] }>;
};
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const indexOf = (pred: (s: (typeof steps)[number]) => boolean) => steps.findIndex(pred);

describe("docs/github-actions-publish.yml", () => {
  it("may request an OIDC token and only read the repository", () => {
    expect(workflow.permissions).toEqual({ "id-token": "write", contents: "read" });
  });

  it("runs on main, the branch the stack's role trusts by default", () => {
    expect(workflow.on.push.branches).toEqual(["main"]);
  });

  it("checks out, sets up Node 22, installs with npm ci, assumes the role, then uploads and waits", () => {
    const checkout = indexOf((s) => s.uses?.startsWith("actions/checkout@") === true);
    const node = indexOf((s) => s.uses?.startsWith("actions/setup-node@") === true);
    const install = indexOf((s) => s.run === "npm ci");
    const credentials = indexOf((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@") === true);
    const upload = indexOf((s) => s.run?.startsWith("npx feedpub upload") === true);
    expect([checkout, node, install, credentials, upload].every((i) => i >= 0)).toBe(true);
    expect([checkout, node, install, credentials, upload]).toEqual([...[checkout, node, install, credentials, upload]].sort((a, b) => a - b));
    expect(steps[node]!.with?.["node-version"]).toBe(22);
    // GitHub Actions expressions, not template literals.
    const expr = (name: string) => `\${{ vars.${name} }}`;
    expect(steps[credentials]!.with).toEqual({ "role-to-assume": expr("PUBLISH_ROLE_ARN"), "aws-region": expr("AWS_REGION") });
    expect(steps[upload]!.run).toBe(`npx feedpub upload --bucket ${expr("CONTENT_BUCKET")} --wait`);
  });

  it("uses only options the CLI's upload command has", () => {
    const cli = buildCli({ out: () => {}, err: () => {}, color: false, cwd: "." }, { stdout: () => {}, stderr: () => {}, env: {}, cwd: "." }, { code: 0 });
    const upload = cli.commands.find((c) => c.name() === "upload")!;
    const flags = upload.options.map((o) => o.long);
    const used = steps.flatMap((s) => s.run?.match(/npx feedpub upload (.*)/)?.[1]?.match(/--[a-z-]+/g) ?? []);
    expect(used).toEqual(["--bucket", "--wait"]);
    for (const flag of used) expect(flags).toContain(flag);
  });
});
