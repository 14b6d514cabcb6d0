import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CAPACITY_PLOTS } from "../../apps/capacity/plots";
import type { LoadTestResult } from "../../apps/loadtest/result";
import { SERVICE_NAMES } from "../../contract";
import { freePort } from "../support/http";
import { runTool } from "../support/run-tool";
import { type ServiceProcess, startAll, stopAll } from "../support/services";
import { resultProblems } from "./result-shape";

const runLoadTest = (args: string[], timeoutMs: number) => runTool("loadtest", args, timeoutMs);

function readResults(dir: string, scenario: string): LoadTestResult {
  const files = readdirSync(dir).sort();
  expect(files).toEqual([`latest-${scenario}.json`, expect.stringMatching(new RegExp(`^${scenario}-.+Z\\.json$`))]);
  const latest = readFileSync(path.join(dir, `latest-${scenario}.json`), "utf8");
  expect(readFileSync(path.join(dir, files[1] as string), "utf8")).toBe(latest);
  return JSON.parse(latest) as LoadTestResult;
}

/**
 * Exit code, verdicts and failures agree. Whether the latency thresholds hold depends on how busy the
 * machine is, so these tests do not require it (performance is measured by running the scenarios);
 * errors, though, are functional: every request of the mix must get its expected status.
 */
function expectConsistentVerdict(result: LoadTestResult, code: number | null, stress: boolean) {
  for (const stage of result.stages) {
    expect(stage.errors).toBe(0);
    expect(stage.passed).toBe(stage.failures.length === 0);
    for (const failure of stage.failures) expect(failure).toMatch(/p99/);
  }
  const passed = stress ? result.stages[0]?.passed : result.stages.every((s) => s.passed);
  expect(result.passed).toBe(passed);
  expect(code).toBe(passed ? 0 : 1);
}

/** Exit 0 (passed) or 1 (thresholds broken) both produce a result; anything else shows the output. */
const ranToTheEnd = (code: number | null, stderr: string) =>
  expect({ code, stderr: code === 0 || code === 1 ? "" : stderr }).toEqual({ code, stderr: "" });

/** Every service answered API requests and measured them: non-zero numbers from its own /metrics. */
function expectMeasuredServices(stage: LoadTestResult["stages"][number], services: readonly string[]) {
  expect(Object.keys(stage.services).sort()).toEqual([...services].sort());
  for (const s of Object.values(stage.services)) {
    expect(s.processes).toBe(1);
    expect(s.requests).toBeGreaterThan(0);
    expect(s.requestsPerSecond).toBeGreaterThan(0);
    expect(s.p99Seconds).toBeGreaterThan(0);
    expect(s.fastShare).toBeGreaterThan(0);
    expect(s.cpuSeconds).toBeGreaterThan(0);
    expect(s.cpuSecondsPerRequest).toBeGreaterThan(0);
    expect(s.rssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(s.activeSeries).toBeGreaterThan(50);
    expect(s.logBytesPerRequest).toBeGreaterThan(0);
  }
}

describe("npm run loadtest against services it starts on loopback", () => {
  const out = mkdtempSync(path.join(os.tmpdir(), "loadtest-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("smoke: a result matching the contract, no errors, every service measured, spans counted, live progress", async () => {
    const dir = path.join(out, "smoke");
    const { code, stdout, stderr } = await runLoadTest(["smoke", "--duration", "3", "--out", dir], 45_000);
    ranToTheEnd(code, stderr);
    const result = readResults(dir, "smoke");
    expect(resultProblems(result)).toEqual([]);
    expectConsistentVerdict(result, code, false);

    expect(result).toMatchObject({
      scenario: "smoke",
      thresholds: { p99Seconds: 0.5, errorRatio: 0.01 },
    });
    expect(result.slo).toEqual({ stack: "dev", latencyThresholdSeconds: 0.5, availability: 0.99, latency: 0.95 });
    expect(Object.keys(result.target).sort()).toEqual(["order", "product", "user"]);
    for (const url of Object.values(result.target)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(result.stages).toHaveLength(1);
    const [stage] = result.stages as [LoadTestResult["stages"][number]];
    expect(stage).toMatchObject({ name: "smoke", targetRps: 10, durationS: 3, sent: 30, answered: 30, errors: 0 });
    expect(stage.expectedClientErrors).toBeGreaterThan(0);
    expect(stage.latencyUs.count).toBe(30);
    expect(stage.latencyUs.p50).toBeGreaterThan(0);
    expect(Object.keys(stage.byEndpoint).length).toBeGreaterThanOrEqual(5);
    // what the services counted matches what was sent to them directly, plus order's calls to them
    expectMeasuredServices(stage, SERVICE_NAMES);
    const direct = (prefix: string) =>
      Object.entries(stage.byEndpoint)
        .filter(([kind]) => kind.includes(prefix))
        .reduce((n, [, p]) => n + p.count, 0);
    expect(stage.services.order?.requests).toBe(direct("/orders"));
    expect(stage.services.user?.requests).toBeGreaterThanOrEqual(direct("/users"));
    expect(stage.spans?.spans).toBeGreaterThan(0);
    expect(stage.spans?.spansPerRequest).toBeGreaterThan(1);
    expect(stage.spans?.otlpBytesPerSpan).toBeGreaterThan(50);
    expect(new Set(result.memory.map((m) => m.service))).toEqual(new Set(SERVICE_NAMES));
    for (const m of result.memory) expect(m.heapUsedBytes).toBeGreaterThan(0);

    expect(stderr).toMatch(
      /stage 1\/1 smoke \| offered 10\/s achieved \d+\/s \| p50 [\d.]+ ms p99 [\d.]+ ms \| errors 0 \| \d+\/3 s/,
    );
    expect(stdout).toMatch(/smoke +10 +\d+\.\d .* (pass|FAIL)/);
  }, 50_000);

  test("shortened stress under --cpu 0.3: 2 s stages up the ramp to the top rate or the first failing stage, requests growing, the quota recorded", async () => {
    const dir = path.join(out, "stress");
    const args = ["stress", "--rate", "20", "--step", "20", "--max-rate", "60", "--duration", "2", "--cpu", "0.3"];
    args.push("--out", dir);
    const { code, stdout, stderr } = await runLoadTest(args, 45_000);
    ranToTheEnd(code, stderr);
    const result = readResults(dir, "stress");
    expect(resultProblems(result)).toEqual([]);
    expectConsistentVerdict(result, code, true);
    // what the capacity report scales the knee by, and what the log volume depends on (dev writes every line)
    expect(result.cpuLimitCores).toEqual({ order: 0.3, product: 0.3, user: 0.3 });
    expect(result.accessLogSamplingPercent).toBe(100);
    // up the ramp until a stage fails: far beyond 60 req/s on loopback, unless the machine is swamped
    const ramp = [
      ["20/s", 20, 2, 40],
      ["40/s", 40, 2, 80],
      ["60/s", 60, 2, 120],
    ];
    const firstFailure = result.stages.findIndex((s) => !s.passed);
    expect(result.stages.map((s) => [s.name, s.targetRps, s.durationS, s.sent])).toEqual(
      firstFailure < 0 ? ramp : ramp.slice(0, firstFailure + 1),
    );
    for (const stage of result.stages) {
      expectMeasuredServices(stage, SERVICE_NAMES);
      expect(stage.spans?.spans).toBeGreaterThan(0);
    }
    const orderRequests = result.stages.map((s) => s.services.order?.requests ?? 0);
    for (let i = 1; i < orderRequests.length; i++) {
      expect(orderRequests[i]).toBeGreaterThan(orderRequests[i - 1] as number);
    }
    if (firstFailure < 0) expect(stdout).toMatch(/no stage broke the thresholds up to 60\/s/);
  }, 50_000);

  test("npm run capacity-report reads that stress result: exit 0, the report names it, four plots of real size", async () => {
    const from = path.join(out, "stress", "latest-stress.json");
    const report = path.join(out, "report");
    const { code, stderr } = await runTool(
      "capacity",
      ["--from", from, "--docs", path.join(report, "docs"), "--out", path.join(report, "out")],
      45_000,
    );
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
    const md = readFileSync(path.join(report, "docs", "capacity-report.md"), "utf8");
    expect(md).toContain("latest-stress.json");
    expect(md).toContain("order 0.3 cores");
    for (const plot of CAPACITY_PLOTS) {
      const png = readFileSync(path.join(report, "docs", "img", plot.file));
      expect(png.subarray(0, 4).toString("latin1")).toBe("\x89PNG");
      expect(png.length).toBeGreaterThan(8_000);
    }
    const html = readFileSync(path.join(report, "out", "report.html"), "utf8");
    expect(html.match(/src="data:image\/png;base64,[A-Za-z0-9+/=]{1000,}"/g)).toHaveLength(CAPACITY_PLOTS.length);
  }, 50_000);
});

describe("npm run loadtest against a given target", () => {
  let services: Record<string, ServiceProcess> = {};
  const out = mkdtempSync(path.join(os.tmpdir(), "loadtest-target-"));
  afterAll(async () => {
    await stopAll(services);
    rmSync(out, { recursive: true, force: true });
  });

  test("--target alone: only order's requests, only order measured, no span counts", async () => {
    services = await startAll({ OTEL_SDK_DISABLED: "true" });
    const order = services.order as ServiceProcess;
    const { code, stderr } = await runLoadTest(
      ["smoke", "--duration", "2", "--target", order.url, "--out", out],
      30_000,
    );
    ranToTheEnd(code, stderr);
    const result = readResults(out, "smoke");
    expect(resultProblems(result)).toEqual([]);
    expectConsistentVerdict(result, code, false);
    expect(result.target).toEqual({ order: order.url });
    const [stage] = result.stages as [LoadTestResult["stages"][number]];
    expect(Object.keys(stage.byEndpoint).every((kind) => kind.includes("/orders"))).toBe(true);
    expectMeasuredServices(stage, ["order"]);
    expect(stage.services.order?.requests).toBe(stage.answered);
    expect(stage.spans).toBeUndefined();
  }, 40_000);

  test("an unreachable target: exit 1 with a one-line reason, no stack trace", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, stderr } = await runLoadTest(["smoke", "--target", url], 20_000);
    expect(code).toBe(1);
    expect(stderr).toContain(`loadtest: order at ${url} did not answer /healthz`);
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 25_000);

  test("bad flags: exit 2, the reason and the usage, no stack trace", async () => {
    const { code, stderr } = await runLoadTest(["smoke", "--target", "ftp://127.0.0.1:21"], 20_000);
    expect(code).toBe(2);
    expect(stderr).toContain('loadtest: --target must be an http:// or https:// URL, got the scheme "ftp:"');
    expect(stderr).toContain("usage: npm run loadtest -- <scenario>");
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 25_000);
});
