import { execFileSync, spawnSync } from "node:child_process";

/**
 * Whether a real tool (promtool, amtool, prometheus, alertmanager) is on PATH. When .ci/run says the
 * tools are required (REQUIRE_PROMETHEUS=1) a missing tool fails the suite instead of skipping it.
 */
export function toolAvailable(tool: string): boolean {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
  if (!found && process.env.REQUIRE_PROMETHEUS !== "1") {
    console.warn(`${tool} not found: its tests are SKIPPED (install Debian's prometheus / prometheus-alertmanager)`);
  }
  return found || process.env.REQUIRE_PROMETHEUS === "1";
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
