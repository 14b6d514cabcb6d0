/**
 * Sections (d), (e) and (f): the telemetry each service produces (the drivers of observability cost), the
 * noisiest log producers, and the tail-sampling percentage that keeps the kept-span rate under a budget.
 * Recorded volume series (contract/cost.ts) first; where a record is absent, the raw metric it is made from.
 */
import { COST_RECORDS, LABELS } from "../../contract";
import type { StackConfig } from "../../infra/config/schema";
import {
  type QueryKey,
  RATE_WINDOW_SECONDS,
  type ReportQueries,
  TRAFFIC_WINDOW,
} from "../../infra/queries/cost-report-queries";
import type { Table } from "../bench/table";
import { bytes, evidence, type Hint, num, percent, type Section, single } from "./model";
import type { Results, Sample } from "./prometheus";

/** A recorded query and the raw one it falls back to, and the label naming the service in each. */
interface Column {
  header: string;
  recorded: QueryKey;
  raw?: QueryKey;
  rawLabel?: string;
  format: (v: number) => string;
}

const LOG_BYTES: Column = {
  header: "log bytes/s",
  recorded: "logBytesPerSecond",
  raw: "rawLogBytesPerSecond",
  format: (v) => `${bytes(v)}/s`,
};
const SPANS_RECEIVED: Column = {
  header: "spans/s received",
  recorded: "spansReceivedPerSecond",
  raw: "rawSpansReceivedPerSecond",
  format: num,
};
const COLUMNS: Column[] = [
  { header: "active series", recorded: "activeSeries", raw: "rawActiveSeries", rawLabel: "job", format: num },
  { header: "samples/s", recorded: "samplesPerSecond", raw: "rawSamplesPerSecond", rawLabel: "job", format: num },
  LOG_BYTES,
  SPANS_RECEIVED,
  // the collector reports kept spans in total only (the raw fallback is in the sampling section)
  { header: "spans/s kept", recorded: "spansKeptPerSecond", format: num },
];

/** The series a column reads: the record's when it has any, else the raw query's; and which query that was. */
export function columnSource(r: Results, c: Pick<Column, "recorded" | "raw" | "rawLabel">) {
  if (r[c.recorded].length > 0 || !c.raw) return { key: c.recorded, samples: r[c.recorded], label: LABELS.service };
  return { key: c.raw, samples: r[c.raw], label: c.rawLabel ?? LABELS.service };
}

const perService = (samples: readonly Sample[], label: string) =>
  new Map(samples.filter((s) => Number.isFinite(s.value)).map((s) => [s.labels[label] ?? "(none)", s.value]));

export function volumeSection(r: Results, q: ReportQueries): Section {
  const section: Section = {
    title: "Telemetry volume per service",
    intro: `What each service costs the observability stack: series and samples in Prometheus, log bytes to Loki, spans into the collector and kept after tail sampling (from the \`${COST_RECORDS.activeSeries}\` … records where present, else from the raw metrics).`,
    tables: [],
    hints: [],
    notes: [],
  };
  const sources = COLUMNS.map((c) => ({ column: c, ...columnSource(r, c) }));
  const maps = sources.map((s) => perService(s.samples, s.label));
  const services = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort();
  if (services.length === 0) {
    section.notes.push(
      "No telemetry-volume series and none of the raw metrics they come from: is Prometheus scraping the services?",
    );
    return section;
  }
  section.tables.push({
    title: "Per service",
    headers: ["service", ...COLUMNS.map((c) => c.header)],
    rows: services.map((svc) => [
      svc,
      ...sources.map((s, k) => {
        const v = maps[k]?.get(svc);
        return v === undefined ? "—" : s.column.format(v);
      }),
    ]),
  });
  for (const s of sources) {
    section.notes.push(
      s.samples.length === 0
        ? `${s.column.header}: no data (\`${q[s.column.recorded]}\`${s.column.raw ? ` nor \`${q[s.column.raw]}\`` : ""}).`
        : `${s.column.header}: \`${q[s.key]}\`${s.key === s.column.raw ? " (raw: the record is absent)" : ""}.`,
    );
  }
  return section;
}

export function logSection(r: Results, q: ReportQueries, config: StackConfig, top: number): Section {
  const section: Section = {
    title: "Noisiest log producers",
    intro: "Log bytes per second each service writes (what Loki ingests and stores), largest first.",
    tables: [],
    hints: [],
    notes: [],
  };
  const source = columnSource(r, LOG_BYTES);
  const logs = [...source.samples].filter((s) => Number.isFinite(s.value)).sort((a, b) => b.value - a.value);
  if (logs.length === 0) {
    section.notes.push(`No log volume series (\`${q.logBytesPerSecond}\` nor \`${q.rawLogBytesPerSecond}\`).`);
    return section;
  }
  const total = logs.reduce((sum, s) => sum + s.value, 0);
  if (total <= 0) {
    section.notes.push(`No log bytes written over the last ${RATE_WINDOW_SECONDS} s (\`${q[source.key]}\` is 0).`);
    return section;
  }
  // the access lines' share of a service's bytes, both raw over the same window (a record is evaluated apart)
  const access = perService(r.accessLogBytesPerSecond, LABELS.service);
  const rawTotal = perService(r.rawLogBytesPerSecond, LABELS.service);
  const accessShare = (svc: string, recorded: number) => {
    const a = access.get(svc);
    const all = rawTotal.get(svc) ?? recorded;
    return a === undefined || all <= 0 ? undefined : Math.min(1, a / all);
  };
  const day = 86_400;
  section.tables.push({
    title: `Top ${Math.min(top, logs.length)} of ${logs.length}`,
    headers: ["service", "bytes/s", "per day", "share", "access lines"],
    rows: logs.slice(0, top).map((s) => {
      const svc = s.labels[source.label] ?? "(none)";
      const share = accessShare(svc, s.value);
      return [
        svc,
        bytes(s.value),
        bytes(s.value * day),
        percent(s.value / total),
        share === undefined ? "—" : percent(share),
      ];
    }),
  });
  const noisiest = logs[0] as Sample;
  const svc = noisiest.labels[source.label] ?? "(none)";
  const accessBytes = access.get(svc);
  const share = accessShare(svc, noisiest.value);
  const p = config.traces.samplingPercentage;
  const hint: Hint = {
    advice: `${svc} writes the most logs: ${bytes(noisiest.value * day)} a day, ${percent(noisiest.value / total)} of all.`,
    evidence: [evidence(q[source.key], `${bytes(noisiest.value)}/s for ${svc}`)],
    saving: "lower its level (logs.level) or its own chatty lines: the report cannot tell which lines those are",
  };
  if (accessBytes !== undefined && share !== undefined) {
    hint.evidence.push(
      evidence(q.accessLogBytesPerSecond, `${bytes(accessBytes)}/s of access lines (${percent(share)})`),
    );
    if (!config.logs.sampleAccessLogs && p < 100) {
      hint.advice += ` Set logs.sampleAccessLogs: true to write the access lines of fast, successful requests only for the ${p} % of traces kept.`;
      hint.saving = `up to ${bytes(noisiest.value * share * (1 - p / 100) * day)} a day (its bytes × the access lines' share × ${100 - p} %; errors and slow requests stay)`;
    } else if (config.logs.sampleAccessLogs) {
      hint.saving = `access lines are already sampled at ${p} %; a lower traces.samplingPercentage lowers them further`;
    }
  }
  section.hints.push(hint);
  return section;
}

/**
 * The probabilistic share of traces (percent, rounded down to 0.1) that keeps the kept-span rate under
 * `budget`, when a share `alwaysKept` of traces (errors, slow ones) is kept whatever the percentage and spans
 * per trace do not depend on the decision: kept = received × (alwaysKept + (1 − alwaysKept) × p).
 */
export function samplingFor(received: number, alwaysKept: number, budget: number) {
  if (received <= budget) return { percentage: 100, kept: received, feasible: true };
  const floor = alwaysKept * received;
  if (floor >= budget) return { percentage: 0, kept: floor, feasible: false };
  const share = (budget / received - alwaysKept) / (1 - alwaysKept);
  const percentage = Math.floor(share * 1000 + 1e-9) / 10;
  return { percentage, kept: received * (alwaysKept + ((1 - alwaysKept) * percentage) / 100), feasible: true };
}

/**
 * Share of requests that failed (5xx) or were slower than the SLO threshold: an upper bound (a slow error counts
 * twice), kept within [0, 1] (each rate is extrapolated on its own: a young bucket can read above its count).
 */
export function alwaysKeptShare(all?: number, errors?: number, fast?: number): number | undefined {
  if (all === undefined || all <= 0) return undefined;
  const slow = Math.max(0, all - (fast ?? all));
  return Math.min(1, ((errors ?? 0) + slow) / all);
}

export function samplingSection(r: Results, q: ReportQueries, config: StackConfig, budget?: number): Section {
  const current = config.traces.samplingPercentage;
  const section: Section = {
    title: "Trace sampling for a span budget",
    intro: `Tail sampling keeps every error trace and every trace of ${config.slo.latencyThresholdSeconds} s or longer, and traces.samplingPercentage (now ${current} %) of the rest. Assumption: the share of such traces is the share of the services' API requests that failed or were slow over the last ${TRAFFIC_WINDOW}, and a trace has as many spans whether kept or not.`,
    tables: [],
    hints: [],
    notes: [],
  };
  const receivedSource = columnSource(r, SPANS_RECEIVED);
  const received = receivedSource.samples.filter((s) => Number.isFinite(s.value)).reduce((sum, s) => sum + s.value, 0);
  const keptSource =
    r.spansKeptPerSecond.length > 0 ? ("spansKeptPerSecond" as const) : ("rawSpansKeptPerSecond" as const);
  const kept = r[keptSource].filter((s) => Number.isFinite(s.value)).reduce((sum, s) => sum + s.value, 0);
  const [all, errors, fast] = [single(r.requests), single(r.errorRequests), single(r.fastRequests)];
  const f = alwaysKeptShare(all, errors, fast);
  const inputs: Table = {
    title: "Inputs",
    headers: ["input", "value", "query"],
    align: ["l", "r", "l"],
    rows: [
      ["spans/s received", receivedSource.samples.length > 0 ? num(received) : "—", `\`${q[receivedSource.key]}\``],
      ["spans/s kept now", r[keptSource].length > 0 ? num(kept) : "—", `\`${q[keptSource]}\``],
      ["requests/s", all === undefined ? "—" : num(all), `\`${q.requests}\``],
      ["failed requests/s", errors === undefined ? "—" : num(errors), `\`${q.errorRequests}\``],
      ["fast requests/s", fast === undefined ? "—" : num(fast), `\`${q.fastRequests}\``],
      ["always-kept share", f === undefined ? "—" : percent(f), "(failed + slow) ÷ all"],
    ],
  };
  section.tables.push(inputs);
  if (receivedSource.samples.length === 0) {
    section.notes.push(
      "No span rate: the collector's span metrics are not scraped here (a local demo has no collector).",
    );
    return section;
  }
  if (budget === undefined) {
    section.notes.push("Give --trace-budget <spans/s> for the percentage that keeps the kept spans under it.");
    return section;
  }
  if (f === undefined)
    section.notes.push(`No API requests over the last ${TRAFFIC_WINDOW}: the always-kept share is taken as 0.`);
  const advice = samplingFor(received, f ?? 0, budget);
  const evidenceLines = [
    evidence(q[receivedSource.key], `${num(received)} spans/s`),
    evidence(q.requests, all === undefined ? "no data" : `${num(all)}/s`),
    evidence(q.errorRequests, errors === undefined ? "no data" : `${num(errors)}/s`),
    evidence(q.fastRequests, fast === undefined ? "no data" : `${num(fast)}/s`),
  ];
  if (r[keptSource].length > 0) evidenceLines.push(evidence(q[keptSource], `${num(kept)} spans/s kept now`));
  const now = r[keptSource].length > 0 ? kept : undefined;
  if (!advice.feasible) {
    section.hints.push({
      advice: `No percentage keeps ${num(budget)} spans/s: failed and slow traces alone are ${num(advice.kept)} spans/s (${percent(f ?? 0)} of ${num(received)}). Fix the errors and the latency, or raise the budget.`,
      evidence: evidenceLines,
      saving: `at 0 %: ${num(advice.kept)} spans/s kept${now === undefined ? "" : `, ${num(Math.max(0, now - advice.kept))} spans/s fewer than now`}`,
    });
  } else {
    section.hints.push({
      advice:
        advice.percentage >= 100
          ? `${num(received)} spans/s received is within the budget of ${num(budget)}: no sampling needed (traces.samplingPercentage 100).`
          : `Set traces.samplingPercentage to ${advice.percentage} (now ${current}): about ${num(advice.kept)} spans/s kept, under the budget of ${num(budget)}.`,
      evidence: evidenceLines,
      saving:
        now === undefined
          ? `${num(advice.kept)} spans/s kept of ${num(received)}`
          : `${num(now - advice.kept)} spans/s fewer than the ${num(now)} kept now${now < advice.kept ? " (a negative saving: more traces kept, still within budget)" : ""}`,
    });
  }
  return section;
}
