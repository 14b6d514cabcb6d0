/**
 * The experiment's result and the limits it was judged by as metrics on the Pushgateway, so its history lives in
 * Prometheus (the chaos dashboard reads it). One group per experiment: a PUT replaces the group, so a metric
 * that has no value this time (detection when an alert never fired) disappears instead of showing the last run's.
 */
import { CHAOS_LABELS, CHAOS_METRICS, CHAOS_PUSH_JOB } from "../../contract";
import type { ExperimentReport } from "./types";

/** A label value in the text exposition format. */
const labelValue = (value: string) => value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");

/** `/metrics/job/chaos-game-day/experiment/<name>`: the group's path (experiment names are DNS labels). */
export function pushPath(experiment: string): string {
  return `/metrics/job/${encodeURIComponent(CHAOS_PUSH_JOB)}/${CHAOS_LABELS.experiment}/${encodeURIComponent(experiment)}`;
}

/** What the push reads of a report. */
export type PushedReport = Pick<
  ExperimentReport,
  | "experiment"
  | "target"
  | "runTarget"
  | "faultStartedAt"
  | "faultEndedAt"
  | "detectionSeconds"
  | "recoverySeconds"
  | "budgetConsumed"
  | "passed"
  | "definition"
>;

/** The request body: one gauge per result and limit (the experiment label comes from the group's path). */
export function pushBody(report: PushedReport): string {
  const labels = `{${CHAOS_LABELS.target}="${labelValue(report.target)}",${CHAOS_LABELS.runTarget}="${labelValue(report.runTarget)}"}`;
  const h = report.definition.hypothesis;
  const values: [string, number | null][] = [
    [CHAOS_METRICS.detection, report.detectionSeconds],
    [CHAOS_METRICS.recovery, report.recoverySeconds],
    [CHAOS_METRICS.budgetConsumed, report.budgetConsumed],
    [CHAOS_METRICS.hypothesisPassed, report.passed ? 1 : 0],
    [CHAOS_METRICS.faultStart, Date.parse(report.faultStartedAt) / 1_000],
    [CHAOS_METRICS.faultEnd, Date.parse(report.faultEndedAt) / 1_000],
    // the limits this run was judged by (planned per run): no detection limit when no alert must fire
    [CHAOS_METRICS.detectionLimit, h.mustFire.length > 0 ? h.maxDetectSeconds : null],
    [CHAOS_METRICS.recoveryLimit, h.maxRecoverSeconds],
    [CHAOS_METRICS.budgetLimit, h.maxBudgetConsumed],
    [CHAOS_METRICS.faultDuration, report.definition.durationSeconds],
  ];
  return values
    .filter((entry): entry is [string, number] => entry[1] !== null)
    .map(([name, value]) => `# TYPE ${name} gauge\n${name}${labels} ${value}\n`)
    .join("");
}

export interface PushResult {
  ok: boolean;
  detail: string;
}

/** PUTs the result; a Pushgateway that is down or refuses is reported, never fatal (the report is written anyway). */
export async function pushResults(
  pushgatewayUrl: string,
  report: ExperimentReport,
  fetchFn: typeof fetch = fetch,
  timeoutMs = 5_000,
): Promise<PushResult> {
  const url = `${pushgatewayUrl.replace(/\/+$/, "")}${pushPath(report.experiment)}`;
  try {
    const res = await fetchFn(url, {
      method: "PUT",
      headers: { "content-type": "text/plain; version=0.0.4" },
      body: pushBody(report),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) return { ok: false, detail: `the Pushgateway answered ${res.status}: ${text.slice(0, 200)}` };
    return { ok: true, detail: `pushed to ${url}` };
  } catch (err) {
    return { ok: false, detail: `the Pushgateway at ${pushgatewayUrl} did not answer: ${(err as Error).message}` };
  }
}
