import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Report } from "../../apps/bench/analyze";
import { VARIANT_NAMES } from "../../apps/bench/variants";
import { runTool } from "../support/run-tool";

const ROOT = path.resolve(__dirname, "../..");
const DOC = path.join(ROOT, "docs", "performance.md");

const runBench = (args: string[], timeoutMs: number) => runTool("bench", args, timeoutMs);

describe("npm run bench:telemetry -- --smoke", () => {
  const out = mkdtempSync(path.join(os.tmpdir(), "bench-smoke-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("runs every variant through every phase and writes well-formed JSON (not the docs)", async () => {
    const docBefore = existsSync(DOC) ? statSync(DOC).mtimeMs : undefined;
    const { code, stdout, stderr } = await runBench(["--smoke", "--no-docs", "--out", out], 220_000);
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });

    const files = readdirSync(out)
      .filter((f) => f.endsWith(".json"))
      .sort();
    expect(files).toEqual([expect.stringMatching(/^latest\.json$/), expect.stringMatching(/^telemetry-.+Z\.json$/)]);
    const report = JSON.parse(readFileSync(path.join(out, "latest.json"), "utf8")) as Report;
    expect(readFileSync(path.join(out, files[1] as string), "utf8")).toBe(
      readFileSync(path.join(out, "latest.json"), "utf8"),
    );

    expect(report).toMatchObject({ schema: 1, benchmark: "telemetry", smoke: true });
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.variants.map((v) => v.name)).toEqual([...VARIANT_NAMES]);
    expect(report.fixedRate.map((s) => s.scenario)).toEqual(["orders", "mix"]);
    for (const scenario of report.fixedRate) {
      expect(scenario.variants.map((v) => v.variant)).toEqual([...VARIANT_NAMES]);
      for (const v of scenario.variants) {
        expect(v.answered).toBeGreaterThan(0);
        expect(v.cpuPerRequestUs.n).toBe(report.settings.cycles);
        expect(v.latencyUs[scenario.headline]?.p50).toBeGreaterThan(0);
        if (v.variant !== "none") expect(v.vsBaseline?.cpuPerRequestPct.n).toBeGreaterThan(0);
      }
    }
    expect(report.saturation?.variants.map((v) => v.variant)).toEqual([...VARIANT_NAMES]);
    for (const v of report.saturation?.variants ?? []) expect(v.ok).toBeGreaterThan(0);
    expect(report.goals.map((g) => g.id)).toEqual(["cpu", "p50", "throughput", "tracing-cpu"]);
    const expectedSlices = VARIANT_NAMES.length * (2 * report.settings.cycles + report.settings.saturation.cycles);
    expect(report.slices).toHaveLength(expectedSlices);
    for (const s of report.slices) expect(s.cpuUs).toBeGreaterThanOrEqual(0);

    // spans reach the sink only when tracing is on
    const exported = (variant: string) =>
      report.slices.filter((s) => s.variant === variant).reduce((n, s) => n + s.exportBytes, 0);
    expect(exported("none")).toBe(0);
    expect(exported("all-100")).toBeGreaterThan(0);
    expect(exported("trace-context")).toBe(0); // nothing sampled, nothing exported

    // the CPU profiles of order: a .cpuprofile per profiled variant, summarised by group
    expect(report.profile?.variants.map((v) => v.variant)).toEqual(["metrics+logs", "trace-context", "all-100"]);
    for (const v of report.profile?.variants ?? []) {
      expect(v.requests).toBeGreaterThan(0);
      expect(v.busyUsPerRequest).toBeGreaterThan(0);
      expect(v.top.length).toBeGreaterThan(0);
    }
    for (const file of report.profile?.files ?? []) expect(existsSync(file)).toBe(true);
    const otel = (variant: string) =>
      report.profile?.variants
        .find((v) => v.variant === variant)
        ?.groups.find((g) => g.group.startsWith("OpenTelemetry"))?.usPerRequest ?? Number.NaN;
    expect(otel("all-100")).toBeGreaterThan(otel("metrics+logs"));
    expect(report.spanCost?.recordAndExportUs).toBeGreaterThan(report.spanCost?.recordUs ?? Number.POSITIVE_INFINITY);
    expect(report.spanCost?.exportBytesPerSpan).toBeGreaterThan(50);

    expect(stdout).toContain("Goals");
    expect(existsSync(DOC) ? statSync(DOC).mtimeMs : undefined).toBe(docBefore);
  }, 240_000);
});
