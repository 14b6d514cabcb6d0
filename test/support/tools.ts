import { execFileSync, spawnSync } from "node:child_process";

/** The Debian package and the `.ci/run` flag that make a tool required, when not Prometheus' own. */
const REQUIREMENTS: Record<string, { flag: string; install: string }> = {
  "prometheus-blackbox-exporter": { flag: "REQUIRE_BLACKBOX_EXPORTER", install: "prometheus-blackbox-exporter" },
  "prometheus-pushgateway": { flag: "REQUIRE_PUSHGATEWAY", install: "prometheus-pushgateway" },
};
const PROMETHEUS_TOOLS = { flag: "REQUIRE_PROMETHEUS", install: "prometheus / prometheus-alertmanager" };

/**
 * Whether a real tool (promtool, amtool, prometheus, alertmanager, the blackbox exporter) is on PATH. When
 * .ci/run says the tool is required (REQUIRE_PROMETHEUS=1, or REQUIRE_BLACKBOX_EXPORTER=1 / REQUIRE_PUSHGATEWAY=1
 * for the blackbox exporter and the Pushgateway) a missing tool fails the suite instead of skipping it.
 */
export function toolAvailable(tool: string): boolean {
  const { flag, install } = REQUIREMENTS[tool] ?? PROMETHEUS_TOOLS;
  const required = process.env[flag] === "1";
  const found = spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
  if (!found && !required) {
    console.warn(`${tool} not found: its tests are SKIPPED (install Debian's ${install}; ${flag}=1 makes this fail)`);
  }
  return found || required;
}

export interface RunResult {
  status: number | null;
  output: string;
}

export function run(tool: string, args: string[]): RunResult {
  const result = spawnSync(tool, args, { encoding: "utf8" });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export { execFileSync };
