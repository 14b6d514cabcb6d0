import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseManifest } from "../../apps/dashboard-render/check";
import { parseOptions, RenderInputError, runCli } from "../../apps/dashboard-render/cli";

async function run(argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe("flags", () => {
  test("defaults: prod into docs/dashboards of the repository, writing", () => {
    expect(parseOptions([], "/repo")).toEqual({
      environment: "prod",
      outDir: path.resolve("/repo/docs/dashboards"),
      check: false,
    });
    expect(parseOptions(["--environment", "dev", "--out", "/x", "--check"], "/repo")).toEqual({
      environment: "dev",
      outDir: path.resolve("/x"),
      check: true,
    });
  });

  test.each([
    [["--environment", "qa"], '--environment must be one of dev, staging, prod (got "qa")'],
    [["--colour"], "Unknown option '--colour'"],
    [["--out", " "], "--out needs a directory"],
    [["--environment"], "--environment"],
    [["stray"], "stray"],
  ])("%p exits 2 naming the flag, with the usage and no stack trace", async (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(RenderInputError);
    const { code, err } = await run(argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(err).toContain("usage: npm run dashboards:render");
    expect(err).not.toMatch(/\n\s+at /);
  });
});

describe("writing and --check", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "dashboard-render-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("writes one PNG per dashboard and the manifest; --check then passes", async () => {
    const written = await run(["--environment", "staging", "--out", dir]);
    expect(written.code).toBe(0);
    const manifest = parseManifest(readFileSync(path.join(dir, "manifest.json"), "utf8"));
    expect(manifest.environment).toBe("staging");
    expect(readdirSync(dir).sort()).toEqual([...manifest.dashboards.map((d) => d.png), "manifest.json"].sort());
    expect(manifest.dashboards.map((d) => d.key)).toEqual([
      "service-overview",
      "latency",
      "errors",
      "slo",
      "platform-health",
      "chaos",
      "capacity",
      "multi-environment",
      "cost",
    ]);
    expect(await run(["--environment", "staging", "--out", dir, "--check"])).toMatchObject({ code: 0 });
  });

  test("--check exits 1 naming a dashboard whose JSON hash differs and a missing PNG, and says what to run", async () => {
    const file = path.join(dir, "manifest.json");
    const manifest = parseManifest(readFileSync(file, "utf8"));
    const [first, second] = manifest.dashboards;
    if (!first || !second) throw new Error("expected at least two dashboards");
    first.jsonSha256 = "0".repeat(64);
    writeFileSync(file, JSON.stringify(manifest));
    rmSync(path.join(dir, second.png));
    const { code, err } = await run(["--environment", "staging", "--out", dir, "--check"]);
    expect(code).toBe(1);
    expect(err).toContain(`stale: ${first.key}: the dashboard changed since ${first.png} was rendered`);
    expect(err).toContain(`stale: ${second.key}: ${second.png} is missing`);
    expect(err).toContain(`run \`npm run dashboards:render -- --environment staging --out ${dir}\``);
  });

  test("--check against another environment's PNGs, or without a manifest, exits 1", async () => {
    expect((await run(["--environment", "dev", "--out", dir, "--check"])).err).toContain(
      "the committed PNGs are of staging, not dev",
    );
    const empty = mkdtempSync(path.join(tmpdir(), "dashboard-render-empty-"));
    try {
      const { code, err } = await run(["--out", empty, "--check"]);
      expect([code, err]).toEqual([1, expect.stringContaining("stale: manifest.json is missing")]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test("rewriting removes the PNG of a dashboard no longer generated, and leaves unlisted files alone", async () => {
    const file = path.join(dir, "manifest.json");
    const manifest = parseManifest(readFileSync(file, "utf8"));
    const [first] = manifest.dashboards;
    if (!first) throw new Error("expected a dashboard");
    manifest.dashboards.push({ ...first, key: "retired", png: "retired.png" });
    writeFileSync(file, JSON.stringify(manifest));
    writeFileSync(path.join(dir, "retired.png"), "old");
    writeFileSync(path.join(dir, "notes.txt"), "mine");
    expect((await run(["--environment", "staging", "--out", dir])).code).toBe(0);
    const files = readdirSync(dir);
    expect([files.includes("retired.png"), files.includes("notes.txt")]).toEqual([false, true]);
  });
});
