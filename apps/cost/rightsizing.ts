/**
 * Section (b): the over-provisioned workloads, KRR-style. The rules record per pod the current request (the
 * largest among the workload's running pods) and the recommendation (CPU: a usage percentile of the busiest
 * pod over the window; memory: its peak working set plus a margin). The suggested request is the
 * recommendation rounded up to whole millicores and MiB (what one writes in a manifest); the saving a month is
 * (request − suggestion) × price × 730 h × the workload's running pods, summed over CPU and memory.
 */
import { COST_LABELS, COST_RECORDS } from "../../contract";
import { OVER_PROVISIONED_RATIO, UNDER_PROVISIONED_RATIO } from "../../infra/alerting/cost-rules";
import type { StackConfig } from "../../infra/config/schema";
import type { ReportQueries } from "../../infra/queries/cost-report-queries";
import { evidence, finite, type Hint, HOURS_PER_MONTH, money, num, type Section } from "./model";
import type { Results, Sample } from "./prometheus";

const MIB = 2 ** 20;
const GIB = 2 ** 30;

interface Pair {
  request: number;
  recommended: number;
  suggested: number;
}

export interface Sizing {
  namespace: string;
  workload: string;
  container: string;
  /** Running pods of the workload; undefined when unknown (counted as 1). */
  pods?: number;
  cpu?: Pair;
  memory?: Pair;
  /** Per month in the stack's currency: positive when the suggestion is below the request. */
  saving: number;
}

export const cpuText = (cores: number) => `${Math.round(cores * 1000)}m`;
export const memoryText = (b: number) => (b % GIB === 0 ? `${b / GIB}Gi` : `${Math.round(b / MIB)}Mi`);
/** The recommendation as a request: up to the next millicore / MiB (a float's dust does not round up). */
export const suggestCpu = (cores: number) => Math.ceil(Number((cores * 1000).toFixed(6))) / 1000;
export const suggestMemory = (b: number) => Math.ceil(Number((b / MIB).toFixed(6))) * MIB;

const L = COST_LABELS;
const label = (s: Sample, name: string) => s.labels[name] ?? "";
const keyOf = (s: Sample, withContainer = true) =>
  JSON.stringify([label(s, L.namespace), label(s, L.workload), ...(withContainer ? [label(s, L.container)] : [])]);

/** Joins requests, recommendations and running pods per namespace/workload/container and prices the suggestion. */
export function sizings(r: Results, prices: Pick<StackConfig["cost"], "cpuCoreHour" | "memoryGiBHour">): Sizing[] {
  const index = (samples: readonly Sample[], withContainer = true) =>
    new Map(samples.flatMap((s) => (finite(s) === undefined ? [] : [[keyOf(s, withContainer), s.value] as const])));
  const cpuReq = index(r.cpuRequest);
  const cpuRec = index(r.cpuRecommended);
  const memReq = index(r.memoryRequest);
  const memRec = index(r.memoryRecommended);
  const pods = index(r.runningPods, false);
  const pair = (req: number | undefined, rec: number | undefined, suggest: (v: number) => number) =>
    req === undefined || rec === undefined || rec <= 0
      ? undefined
      : { request: req, recommended: rec, suggested: suggest(rec) };
  return [...new Set([...cpuRec.keys(), ...memRec.keys()])].sort().map((key) => {
    const [namespace = "", workload = "", container = ""] = JSON.parse(key) as string[];
    const cpu = pair(cpuReq.get(key), cpuRec.get(key), suggestCpu);
    const memory = pair(memReq.get(key), memRec.get(key), suggestMemory);
    const podCount = pods.get(JSON.stringify([namespace, workload]));
    const cpuSaving = cpu ? (cpu.request - cpu.suggested) * prices.cpuCoreHour : 0;
    const memorySaving = memory ? ((memory.request - memory.suggested) / GIB) * prices.memoryGiBHour : 0;
    const saving = (cpuSaving + memorySaving) * HOURS_PER_MONTH * (podCount ?? 1);
    return { namespace, workload, container, pods: podCount, cpu, memory, saving };
  });
}

const ratio = (p?: Pair) => (p ? p.request / p.recommended : undefined);
const change = (p: Pair | undefined, text: (v: number) => string) =>
  p ? `${text(p.request)} → ${text(p.suggested)}` : "—";
const fmtRatio = (v?: number) => (v === undefined ? "—" : `${v.toFixed(2)}×`);

function sizingEvidence(s: Sizing, q: ReportQueries): string[] {
  const where = `{${L.namespace}="${s.namespace}",${L.workload}="${s.workload}",${L.container}="${s.container}"}`;
  const lines: string[] = [];
  if (s.cpu) {
    lines.push(evidence(`${COST_RECORDS.cpuRequestCores}${where}`, `${num(s.cpu.request)} cores`));
    lines.push(evidence(`${COST_RECORDS.cpuRecommendedCores}${where}`, `${num(s.cpu.recommended)} cores`));
  }
  if (s.memory) {
    lines.push(evidence(`${COST_RECORDS.memoryRequestBytes}${where}`, `${(s.memory.request / MIB).toFixed(1)} MiB`));
    lines.push(
      evidence(`${COST_RECORDS.memoryRecommendedBytes}${where}`, `${(s.memory.recommended / MIB).toFixed(1)} MiB`),
    );
  }
  lines.push(evidence(q.runningPods, s.pods === undefined ? "no series: counted as 1 pod" : `${s.pods} pods`));
  return lines;
}

const suggestedRequests = (s: Sizing) =>
  [s.cpu ? `cpu: ${cpuText(s.cpu.suggested)}` : "", s.memory ? `memory: ${memoryText(s.memory.suggested)}` : ""]
    .filter(Boolean)
    .join(", ");

export function rightSizingSection(r: Results, q: ReportQueries, config: StackConfig, top: number): Section {
  const { currency, rightSizing } = config.cost;
  const section: Section = {
    title: "Over-provisioned workloads",
    intro: `Recommendations as KRR makes them: CPU = the ${rightSizing.cpuQuantile} quantile of the busiest pod's usage over ${rightSizing.window}, memory = its peak working set over ${rightSizing.window} + ${rightSizing.memoryMarginPercent} %. Saving = (request − suggested request) × price × ${HOURS_PER_MONTH} h × running pods.`,
    tables: [],
    hints: [],
    notes: [],
  };
  const all = sizings(r, config.cost);
  if (all.length === 0) {
    section.notes.push(
      `No right-sizing series (\`${COST_RECORDS.cpuRecommendedCores}\`, \`${COST_RECORDS.memoryRecommendedBytes}\`): the cost rules compute them from cAdvisor usage and kube-state-metrics requests, absent in a local demo.`,
    );
    return section;
  }
  const over = all.filter((s) => s.saving > 0).sort((a, b) => b.saving - a.saving);
  section.tables.push({
    title: `Top over-provisioned (${Math.min(top, over.length)} of ${over.length} with a saving; ${all.length} sized)`,
    headers: [
      "workload",
      "container",
      "pods",
      "CPU request → suggested",
      "CPU ratio",
      "memory request → suggested",
      "memory ratio",
      "saving / month",
    ],
    align: ["l", "l", "r", "r", "r", "r", "r", "r"],
    rows: over
      .slice(0, top)
      .map((s) => [
        `${s.namespace}/${s.workload}`,
        s.container,
        s.pods === undefined ? "—" : String(s.pods),
        change(s.cpu, cpuText),
        fmtRatio(ratio(s.cpu)),
        change(s.memory, memoryText),
        fmtRatio(ratio(s.memory)),
        money(s.saving, currency),
      ]),
  });
  if (all.some((s) => s.pods === undefined)) {
    section.notes.push(`Some workloads have no running-pod count (\`${q.runningPods}\`): their saving is for one pod.`);
  }
  const hint = (s: Sizing, advice: string, saving: string): Hint => ({
    advice,
    evidence: sizingEvidence(s, q),
    saving,
  });
  const name = (s: Sizing) => `${s.namespace}/${s.workload} (${s.container})`;
  // the alerts' thresholds: more than 2× the recommendation, or below it
  for (const s of over.slice(0, top)) {
    if (Math.max(ratio(s.cpu) ?? 0, ratio(s.memory) ?? 0) <= OVER_PROVISIONED_RATIO) continue;
    section.hints.push(
      hint(
        s,
        `${name(s)} requests more than ${OVER_PROVISIONED_RATIO}× its recommendation: set requests to ${suggestedRequests(s)}.`,
        `${money(s.saving, currency)} a month`,
      ),
    );
  }
  for (const s of all.filter((x) => Math.min(ratio(x.cpu) ?? 1, ratio(x.memory) ?? 1) < UNDER_PROVISIONED_RATIO)) {
    section.hints.push(
      hint(
        s,
        `${name(s)} requests less than it uses: raise requests to ${suggestedRequests(s)} (CPU throttling, eviction under memory pressure).`,
        s.saving < 0
          ? `none: costs ${money(-s.saving, currency)} a month more`
          : `${money(s.saving, currency)} a month net`,
      ),
    );
  }
  return section;
}
