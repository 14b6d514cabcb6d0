/**
 * Section (c): metrics Prometheus scrapes that no rule, dashboard or tool of the project, and no rule loaded in
 * that Prometheus, reads (infra/queries/used-metrics.ts), per scrape job, with the series and samples they cost and a
 * `metricRelabelings` drop list per job. What Prometheus writes itself (`up`, `scrape_*`, `ALERTS*`) and what
 * the rules record are never listed: a scrape's relabelling cannot drop them. The saving in money is Prometheus' own cost × the share of series dropped
 * (its memory and disk grow with the series it holds); without a cost series it is said in series only.
 */
import { stringify } from "yaml";
import type { ReportQueries } from "../../infra/queries/cost-report-queries";
import { isRead, type LoadedRules, type MetricReads } from "../../infra/queries/used-metrics";
import { evidence, type Hint, HOURS_PER_MONTH, money, num, percent, type Section, single } from "./model";
import type { Results } from "./prometheus";

/** The rules loaded in the queried Prometheus, or why GET /api/v1/rules could not be read. */
export type LoadedRulesAnswer = { rules: LoadedRules } | { unreadable: string };

/** Series Prometheus writes itself, per target or per alert. */
export const PROMETHEUS_GENERATED = /^(up|scrape_.+|ALERTS|ALERTS_FOR_STATE)$/;

export interface UnusedMetric {
  job: string;
  name: string;
  series: number;
  /** series ÷ the job's scrape interval; undefined when the job has no active target. */
  samplesPerSecond?: number;
}

export interface JobSummary {
  job: string;
  metrics: number;
  unused: UnusedMetric[];
  series: number;
  unusedSeries: number;
  unusedSamplesPerSecond?: number;
}

/** The scraped (name, job) pairs no query reads, largest first. */
export function unusedMetrics(
  seriesByName: Results["seriesByName"],
  reads: MetricReads,
  recorded: ReadonlySet<string>,
  intervals: ReadonlyMap<string, number>,
): UnusedMetric[] {
  return seriesByName
    .flatMap(({ labels, value }) => {
      const { __name__: name, job } = labels;
      if (!name || !job || PROMETHEUS_GENERATED.test(name) || recorded.has(name) || isRead(reads, name)) return [];
      const interval = intervals.get(job);
      return [{ job, name, series: value, samplesPerSecond: interval ? value / interval : undefined }];
    })
    .sort((a, b) => b.series - a.series || a.name.localeCompare(b.name));
}

export function jobSummaries(seriesByName: Results["seriesByName"], unused: readonly UnusedMetric[]): JobSummary[] {
  const jobs = new Map<string, JobSummary>();
  for (const { labels, value } of seriesByName) {
    if (!labels.job) continue;
    const j = jobs.get(labels.job) ?? { job: labels.job, metrics: 0, unused: [], series: 0, unusedSeries: 0 };
    j.metrics += 1;
    j.series += value;
    jobs.set(labels.job, j);
  }
  for (const u of unused) {
    const j = jobs.get(u.job) as JobSummary;
    j.unused.push(u);
    j.unusedSeries += u.series;
    if (u.samplesPerSecond !== undefined)
      j.unusedSamplesPerSecond = (j.unusedSamplesPerSecond ?? 0) + u.samplesPerSecond;
  }
  return [...jobs.values()].filter((j) => j.unused.length > 0).sort((a, b) => b.unusedSeries - a.unusedSeries);
}

/** Prometheus anchors the regex; metric names hold no regex metacharacters, so an alternation is exact. */
export const dropRegex = (names: readonly string[]) => [...names].sort().join("|");

/** The ServiceMonitor/PodMonitor endpoint's `metricRelabelings` that drop these names. */
export function dropList(names: readonly string[]): string {
  return stringify({ metricRelabelings: [{ sourceLabels: ["__name__"], regex: dropRegex(names), action: "drop" }] });
}

export interface UnusedInputs {
  /** What the project and the loaded rules read. */
  reads: MetricReads;
  /** Names the project's and the loaded rules record. */
  recorded: ReadonlySet<string>;
  loadedRules: LoadedRulesAnswer;
  intervals: ReadonlyMap<string, number>;
  /** Records no rule, dashboard or tool reads (infra/queries/used-metrics.ts unreadRecords). */
  unreadRecords: readonly string[];
  currency: string;
}

export function unusedSection(r: Results, q: ReportQueries, inputs: UnusedInputs, top: number): Section {
  const section: Section = {
    title: "Metrics scraped but used by no rule or dashboard",
    intro:
      "Every metric name Prometheus holds, per scrape job, against the names read by the stack's rules, dashboards and tools (this report, the responder, the chaos runner) and by every rule loaded in that Prometheus (kube-prometheus-stack's own included), parsed with the PromQL grammar. A metric a recording rule reads counts as used even when nothing reads the record: dropping it would empty the rule.",
    tables: [],
    hints: [],
    notes: [],
    code: [],
  };
  if (r.seriesByName.length === 0) {
    section.notes.push("Prometheus holds no series at all: nothing to analyse.");
    return section;
  }
  if ("unreadable" in inputs.loadedRules) {
    section.notes.push(
      `The rules loaded in Prometheus could not be read (${inputs.loadedRules.unreadable}): only the project's own rules, dashboards and tools were counted, so the list may include metrics other rules (kube-prometheus-stack's own, for one) read. Check before dropping.`,
    );
  } else {
    const { groups, queries } = inputs.loadedRules.rules;
    const n = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
    section.notes.push(
      `Counted as readers: the ${n(queries.length, "rule")} in ${n(groups, "group")} loaded in Prometheus.`,
    );
  }
  const total = r.seriesByName.reduce((sum, s) => sum + s.value, 0);
  const unused = unusedMetrics(r.seriesByName, inputs.reads, inputs.recorded, inputs.intervals);
  const jobs = jobSummaries(r.seriesByName, unused);
  const promHourly = single(r.prometheusHourly);
  const costOf = (series: number) =>
    promHourly === undefined ? undefined : (promHourly * HOURS_PER_MONTH * series) / total;
  const saving = (series: number) => {
    const c = costOf(series);
    return c === undefined ? "—" : money(c, inputs.currency);
  };
  section.tables.push({
    title: "Per scrape job",
    headers: ["job", "unused metrics", "unused series", "of the job's series", "samples/s", "saving / month"],
    rows: jobs.map((j) => [
      j.job,
      `${j.unused.length} of ${j.metrics}`,
      String(j.unusedSeries),
      percent(j.unusedSeries / j.series),
      j.unusedSamplesPerSecond === undefined ? "—" : num(j.unusedSamplesPerSecond),
      saving(j.unusedSeries),
    ]),
  });
  section.tables.push({
    title: `Largest unused metrics (top ${Math.min(top, unused.length)} of ${unused.length})`,
    headers: ["metric", "job", "series", "samples/s"],
    align: ["l", "l", "r", "r"],
    rows: unused
      .slice(0, top)
      .map((u) => [u.name, u.job, String(u.series), u.samplesPerSecond === undefined ? "—" : num(u.samplesPerSecond)]),
  });
  if (promHourly === undefined) {
    section.notes.push(
      `No cost series for Prometheus itself (\`${q.prometheusHourly}\`): savings are given in series and samples only.`,
    );
  }
  for (const j of jobs) {
    const share = percent(j.unusedSeries / total);
    const c = costOf(j.unusedSeries);
    section.hints.push({
      advice: `Drop the ${j.unused.length} metric${j.unused.length === 1 ? "" : "s"} of job \`${j.job}\` nothing reads (its drop list below).`,
      evidence: [
        evidence(
          q.seriesByName,
          `${j.unusedSeries} series of job ${j.job} in ${j.unused.length} unread metrics, of ${total} series in all`,
        ),
      ],
      saving: `${j.unusedSeries} series (${share} of Prometheus' series)${j.unusedSamplesPerSecond === undefined ? "" : `, ${num(j.unusedSamplesPerSecond)} samples/s`}${c === undefined ? "" : `, ≈ ${money(c, inputs.currency)} a month of Prometheus' cost`}`,
    });
    section.code?.push({
      language: "yaml",
      text: `# job ${j.job}: into the ServiceMonitor endpoint, PodMonitor or Probe that scrapes it\n${dropList(j.unused.map((u) => u.name))}`,
    });
  }
  const unread = inputs.unreadRecords.map((name) => ({
    name,
    series: r.seriesByName.filter((s) => s.labels.__name__ === name).reduce((sum, s) => sum + s.value, 0),
  }));
  const present = unread.filter((u) => u.series > 0);
  if (present.length > 0) {
    const series = present.reduce((sum, u) => sum + u.series, 0);
    section.hints.push({
      advice: `Recording rules whose output nothing reads: ${present.map((u) => `\`${u.name}\``).join(", ")}. Remove the rules (then their inputs may become droppable) unless someone reads them by hand.`,
      evidence: present.map((u) => evidence(`count({__name__="${u.name}"})`, String(u.series))),
      saving: `${series} series and one evaluation each per rule interval${costOf(series) === undefined ? "" : `, ≈ ${saving(series)} a month`}`,
    } satisfies Hint);
  }
  if (jobs.length === 0) section.notes.push("Every scraped metric is read by a rule, a dashboard or a tool.");
  return section;
}
