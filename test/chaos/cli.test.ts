/**
 * `npm run chaos`: bad flags and unknown experiments exit 2 naming what is allowed, the options it resolves,
 * the exit code of a game day, the printed verdict; and the built CLI run for real against stand-ins: a short
 * experiment end to end (exit 0, report files), and SIGINT/SIGTERM mid-fault (fault reset, exit 130).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EXIT, exitCodeOf, runCli, verdictText } from "../../apps/chaos/main";
import { parseOptions } from "../../apps/chaos/options";
import type { ExperimentReport } from "../../apps/chaos/types";
import { NO_FAULTS } from "../../apps/lib/faults";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import { LOCAL_FAULTS } from "../../infra/chaos/experiments";
import { amAlert, type FakePlatform, startFakePlatform } from "./fakes";

const ROOT = path.resolve(__dirname, "../..");
const TOKEN = "admin-token-for-tests-0123456789";
const NAMES = CATALOGUE.map((e) => e.name).join(", ");
const LOCAL = CATALOGUE.filter((e) => LOCAL_FAULTS.includes(e.fault.kind)).map((e) => e.name);

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  });
  return { code, stdout, stderr };
}

describe("usage errors exit 2 and say what is allowed", () => {
  test.each([
    [["chaos-monkey"], `unknown experiment "chaos-monkey"; the experiments are: ${NAMES}, or all`],
    [[], `name an experiment; the experiments are: ${NAMES}, or all`],
    [["product-errors", "user-latency"], 'one experiment (or all) at a time; unexpected "user-latency"'],
    [["product-errors", "--bogus"], "Unknown option '--bogus'"],
    [
      ["product-errors", "--admin-token", TOKEN, "--watch-seconds", "5m"],
      '--watch-seconds must be a whole number of seconds from 1 to 86400, got "5m"',
    ],
    [
      ["product-errors", "--admin-token", TOKEN, "--stack", "qa"],
      '--stack must be one of: dev, staging, prod; got "qa"',
    ],
    [
      ["product-errors", "--admin-token", TOKEN, "--prometheus", "localhost:9090"],
      "--prometheus must be an http:// or https:// URL",
    ],
    [
      ["product-errors", "--admin-token", TOKEN, "--services", "billing=http://127.0.0.1:1"],
      "--services takes <service>=<url> pairs separated by commas, the services being order, product, user",
    ],
    [["product-errors"], "product-errors goes through the services' fault API: pass --admin-token or set ADMIN_TOKEN"],
    [
      ["user-cpu-stress"],
      `user-cpu-stress injects cpu-stress, which needs a cluster (Chaos Mesh): --target <kube-context>; locally: ${LOCAL.join(", ")}`,
    ],
    [["all"], "product-errors goes through the services' fault API: pass --admin-token or set ADMIN_TOKEN"],
    [
      ["product-errors", "--target", "kind-lab", "--admin-token", TOKEN],
      "product-errors goes through product's fault API: pass --services product=<url>",
    ],
  ])("%j → %s", async (argv, message) => {
    const { code, stderr } = await cli(argv);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(`chaos: ${message}`);
    expect(stderr).toContain("usage: npm run chaos -- <experiment|all> [flags]");
  });

  test("--help prints the usage with every experiment and exits 0", async () => {
    const { code, stderr } = await cli(["--help"]);
    expect(code).toBe(EXIT.passed);
    expect(stderr).toContain(`experiments: ${NAMES}`);
  });
});

describe("resolved options", () => {
  test("defaults: local, the dev stack, the demo's ports and monitoring, the token from ADMIN_TOKEN, out/", () => {
    const o = parseOptions(["product-errors"], { ADMIN_TOKEN: TOKEN }, ROOT);
    expect(o).toMatchObject({
      target: "local",
      stack: "dev",
      prometheusUrl: "http://127.0.0.1:9090",
      alertmanagerUrl: "http://127.0.0.1:9093",
      pushgatewayUrl: "http://127.0.0.1:9091",
      services: { order: "http://127.0.0.1:3000", product: "http://127.0.0.1:3001", user: "http://127.0.0.1:3002" },
      adminToken: TOKEN,
      pidsFile: path.join(ROOT, "out", "demo", "pids.json"),
      outDir: path.join(ROOT, "out", "chaos"),
      sampleSeconds: 5,
      skipped: [],
    });
    expect(o.experiments.map((e) => e.name)).toEqual(["product-errors"]);
  });

  test("all, locally: the catalogue's experiments with local faults, in catalogue order", () => {
    expect(parseOptions(["all", "--admin-token", TOKEN], {}, ROOT).experiments.map((e) => e.name)).toEqual(LOCAL);
  });

  test("all, in a cluster without service URLs: the fault-API experiments are skipped with the reason, the rest run", () => {
    const o = parseOptions(["all", "--target", "kind-lab"], {}, ROOT);
    const chaosMesh = CATALOGUE.filter((e) => !["http-errors", "http-latency", "route-outage"].includes(e.fault.kind));
    expect(o.experiments.map((e) => e.name)).toEqual(chaosMesh.map((e) => e.name));
    expect(o.skipped).toHaveLength(CATALOGUE.length - chaosMesh.length);
    expect(o.skipped[0]).toContain("product-errors goes through the services' fault API");
  });

  test("--duration-seconds sets every fault's length (planned ones too), --max-fault-seconds the plan's bound; --services overrides only the services named", () => {
    const o = parseOptions(
      ["all", "--admin-token", TOKEN, "--duration-seconds", "20", "--services", "product=http://10.0.0.5:8080/"],
      {},
      ROOT,
    );
    expect([o.faultSeconds, o.maxFaultSeconds]).toEqual([20, 3_600]);
    expect(parseOptions(["all", "--admin-token", TOKEN, "--max-fault-seconds", "900"], {}, ROOT).maxFaultSeconds).toBe(
      900,
    );
    expect(o.services).toMatchObject({ product: "http://10.0.0.5:8080", order: "http://127.0.0.1:3000" });
  });
});

describe("exit code and verdict", () => {
  test.each([
    [[EXIT.passed, EXIT.passed], EXIT.passed],
    [[EXIT.passed, EXIT.refused], EXIT.refused],
    [[EXIT.refused, EXIT.failed, EXIT.passed], EXIT.failed],
    [[EXIT.failed, EXIT.interrupted], EXIT.interrupted],
  ] as const)("outcomes %j exit %p", (outcomes, code) => {
    expect(exitCodeOf(outcomes)).toBe(code);
  });

  test("the verdict prints one pass/FAIL line per hypothesis line with its measured value, never measured as never", () => {
    const report = {
      experiment: "product-errors",
      runTarget: "local",
      passed: false,
      lines: [
        { statement: "A fires within 180 s", passed: true, measured: 42.04, limit: 180, unit: "seconds" },
        { statement: "order back within 480 s", passed: false, measured: null, limit: 480, unit: "seconds" },
        { statement: "consumes at most 10 %", passed: true, measured: 0.0123, limit: 0.1, unit: "ratio" },
      ],
      detectionSeconds: 42.04,
      recoverySeconds: null,
      budgetConsumed: 0.0123,
      peakErrorRatio: 0.25,
      peakP99Seconds: null,
      cleanup: { faultRemoved: true, detail: "reset product's fault settings" },
    } as ExperimentReport;
    expect(verdictText(report).split("\n")).toEqual([
      "product-errors (local): FAILED",
      "  pass  A fires within 180 s — measured 42 s",
      "  FAIL  order back within 480 s — measured never",
      "  pass  consumes at most 10 % — measured 1.23 %",
      "  detection 42 s, recovery -, budget 1.23 %, peak 5xx 25 %, peak p99 -",
      "  cleanup: reset product's fault settings",
    ]);
  });
});

describe("the built CLI against stand-ins (real seconds, windows shortened)", () => {
  let platform: FakePlatform;
  let out: string;
  /** Wall-clock time product's fault was set; the page is active while it is. */
  let onAt: number | undefined;
  beforeEach(async () => {
    onAt = undefined;
    out = mkdtempSync(path.join(tmpdir(), "chaos-cli-"));
    platform = await startFakePlatform({
      token: TOKEN,
      // a Prometheus 5 s old: the plan expects the page within a second of the fault, so 2 s can test it
      historySeconds: 5,
      sli: (service, kind) => {
        if (service !== "order") return 0;
        if (kind === "p99") return 0.05;
        return kind === "errorRatio" && platform.faults.product.errorRate > 0 ? 0.45 : 0.001;
      },
      alerts: () =>
        platform.faults.product.errorRate > 0
          ? [amAlert({ alertname: "SLOFastBurn", service: "order", slo: "availability" }, "active")]
          : [],
      onFaults: (service, settings) => {
        if (service === "product" && settings.errorRate > 0) onAt = Date.now();
      },
    });
  });
  afterEach(async () => {
    await platform.close();
    rmSync(out, { recursive: true, force: true });
  });

  function start(extra: string[]) {
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, "dist", "apps", "chaos", "main.js"),
        "product-errors",
        "--prometheus",
        platform.prometheusUrl,
        "--alertmanager",
        platform.alertmanagerUrl,
        "--pushgateway",
        platform.pushgatewayUrl,
        "--services",
        Object.entries(platform.services)
          .map(([s, u]) => `${s}=${u}`)
          .join(","),
        "--out",
        out,
        "--sample-seconds",
        "1",
        ...extra,
      ],
      { env: { ...process.env, ADMIN_TOKEN: TOKEN }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, exit, output: () => ({ stdout, stderr }) };
  }

  test("a 2 s product-errors run: verdict printed, report files written, results pushed, exit 0", async () => {
    const run = start(["--duration-seconds", "2", "--watch-seconds", "20"]);
    const code = await run.exit;
    const { stdout, stderr } = run.output();
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toContain("product-errors (local): PASSED");
    const files = /report: (\S+\.json), (\S+\.md), (\S+\.png)/.exec(stdout)?.slice(1) ?? [];
    expect(files).toHaveLength(3);
    for (const file of files) expect(existsSync(file)).toBe(true);
    expect(platform.requests.filter((r) => r.method === "PUT" && r.path.startsWith("/pgw/"))).toHaveLength(1);
    expect(platform.faults.product).toEqual(NO_FAULTS);
  }, 60_000);

  test.each(["SIGINT", "SIGTERM"] as const)(
    "%s during the fault window: the fault is reset before the CLI exits 130",
    async (signal) => {
      const run = start(["--duration-seconds", "120"]);
      while (onAt === undefined && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(platform.faults.product.errorRate).toBe(0.5);
      run.child.kill(signal);
      const code = await run.exit;
      expect(code).toBe(EXIT.interrupted);
      expect(platform.faults.product).toEqual(NO_FAULTS);
      const last = platform.faultRequests("product").at(-1);
      expect([last?.method, JSON.parse(last?.body ?? "null")]).toEqual(["PUT", NO_FAULTS]);
      expect(run.output().stderr).toContain(`${signal}: ending the experiment and removing its fault`);
      expect(run.output().stderr).toContain("product-errors interrupted; reset product's fault settings");
    },
    60_000,
  );
});
