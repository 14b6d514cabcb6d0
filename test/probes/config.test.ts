import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { PROBES_DEFAULTS, parseStackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import {
  type BlackboxConfig,
  blackboxConfig,
  moduleTimeoutSeconds,
  PROBE_MODULES,
  probeTimingProblems,
} from "../../infra/probes/modules";
import { devConfig, problemsOf } from "../infra/config-problems";
import { toolAvailable } from "../support/tools";

/** The chart values' modules with every timeout replaced. */
const withTimeouts = (seconds: number): BlackboxConfig => ({
  modules: Object.fromEntries(
    Object.entries(blackboxConfig().modules).map(([name, m]) => [name, { ...m, timeout: `${seconds}s` }]),
  ),
});

describe("the probes block of the stack config", () => {
  test("each stack sets it; without it the defaults apply (30s probes, page after 3m)", () => {
    for (const stack of ["dev", "staging", "prod"]) expect(loadStackConfig(stack).probes.interval).toMatch(/^\d+s$/);
    expect(problemsOf((c) => delete c.probes)).toEqual([]);
    const config = devConfig();
    delete config.probes;
    expect(parseStackConfig(config).probes).toEqual(PROBES_DEFAULTS);
  });

  test.each([
    [
      "an interval that is no duration",
      (c: any) => (c.probes.interval = "soon"),
      "probes.interval: must be a Prometheus duration from 10s to 5m",
    ],
    [
      "a fractional interval (Prometheus has none)",
      (c: any) => (c.probes.interval = "1.5m"),
      "probes.interval: must be a Prometheus duration",
    ],
    [
      "a page after 10 seconds",
      (c: any) => (c.probes.failingFor = "10s"),
      "probes.failingFor: must be a Prometheus duration from 1m to 1h",
    ],
    [
      "slowFor above 6h",
      (c: any) => (c.probes.slowFor = "7h"),
      "probes.slowFor: must be a Prometheus duration from 1m to 6h",
    ],
    [
      "a zero latency threshold",
      (c: any) => (c.probes.latencyThresholdSeconds = 0),
      "probes.latencyThresholdSeconds: must be a number above 0",
    ],
    ["an unknown key", (c: any) => (c.probes.timeout = "5s"), 'probes: Unrecognized key: "timeout"'],
    [
      "a latency threshold the modules cannot reach (they time out after 3s)",
      (c: any) => (c.probes.latencyThresholdSeconds = 3),
      "probes.latencyThresholdSeconds: must be below 3s, the end-to-end modules' timeout",
    ],
  ])("rejects %s, naming the field and what is allowed", (_what, edit, message) => {
    const problems = problemsOf(edit);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });
});

describe("probe timing against the modules' timeouts (charts-values/prometheus-blackbox-exporter.yaml)", () => {
  test("the chart values define every module the Probes use, each with its own timeout", () => {
    for (const module of Object.values(PROBE_MODULES)) {
      expect([module, blackboxConfig().modules[module]?.prober]).toEqual([module, "http"]);
      expect(moduleTimeoutSeconds(blackboxConfig(), module)).toBeGreaterThan(0);
    }
  });

  test("every stack's interval (the probes' scrape timeout) leaves room for the slowest module and the exporter's offset", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      expect([stack, probeTimingProblems(loadStackConfig(stack).probes, blackboxConfig())]).toEqual([stack, []]);
    }
  });

  test("a module that may outlast the scrape timeout is reported on the interval, with the bound", () => {
    const problems = probeTimingProblems({ interval: "10s", latencyThresholdSeconds: 1 }, withTimeouts(9.5));
    expect(problems).toEqual([{ field: "interval", message: expect.stringContaining("must be longer than 10s") }]);
    expect(probeTimingProblems({ interval: "11s", latencyThresholdSeconds: 1 }, withTimeouts(9.5))).toEqual([]);
  });

  test("a latency threshold at or above the end-to-end modules' timeout is reported on the threshold", () => {
    expect(probeTimingProblems({ interval: "30s", latencyThresholdSeconds: 2 }, withTimeouts(2))).toEqual([
      { field: "latencyThresholdSeconds", message: expect.stringContaining("must be below 2s") },
    ]);
  });

  test("a module without a timeout is refused (it would silently use the scrape timeout)", () => {
    const config = blackboxConfig();
    const noTimeout: BlackboxConfig = {
      modules: { ...config.modules, [PROBE_MODULES.ready]: { prober: "http" } },
    };
    expect(() => moduleTimeoutSeconds(noTimeout, PROBE_MODULES.ready)).toThrow(
      'blackbox module http_2xx: timeout must be a duration such as "3s"',
    );
  });
});

const describeExporter = toolAvailable("prometheus-blackbox-exporter") ? describe : describe.skip;

describeExporter("the modules with Debian's blackbox exporter", () => {
  const check = (config: object) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "blackbox-config-"));
    try {
      writeFileSync(path.join(dir, "blackbox.yaml"), stringify(config));
      const result = spawnSync(
        "prometheus-blackbox-exporter",
        [`--config.file=${path.join(dir, "blackbox.yaml")}`, "--config.check"],
        { encoding: "utf8" },
      );
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test("the exporter accepts the chart values' configuration as its config file", () => {
    const result = check(blackboxConfig());
    expect(result.output).toContain("Config file is ok");
    expect(result.status).toBe(0);
  });

  test("and refuses a misspelt key (the check can fail)", () => {
    const broken = { modules: { http_2xx: { prober: "http", http: { valid_status_code: [200] } } } };
    expect(check(broken).status).not.toBe(0);
  });
});
