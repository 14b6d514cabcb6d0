/** The report's tables (rendered as text, Markdown and HTML from the same rows). */
import { SERVICE_NAMES } from "../../contract";
import type { Table } from "../bench/table";
import type { Knee } from "./knee";
import { type EnvironmentPlan, fmtRps } from "./plan";
import type { CapacityReport } from "./report";
import type { StorageVerdict, Volume } from "./storage";

const MI = 2 ** 20;
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (ratio: number) => `${Number((ratio * 100).toPrecision(3))} %`;
const cpuMs = (seconds: number) => (seconds * 1_000).toFixed(seconds >= 0.01 ? 1 : 3);
const gi = (n: number) => (n >= 10 ? n.toFixed(0) : n >= 1 ? n.toFixed(1) : n.toFixed(2));
const num = (n: number) => (Number.isInteger(n) ? int(n) : Number(n.toPrecision(3)).toLocaleString("en-US"));

export function kneeRate(knee: Knee): string {
  switch (knee.kind) {
    case "found":
      return fmtRps(knee.rps);
    case "not-reached":
      return `≥ ${fmtRps(knee.rps)} (not reached)`;
    case "none":
      return "none: misses the SLO at the lowest rate";
    case "no-data":
      return "no data";
  }
}

function firstMiss(knee: Knee): string {
  if (knee.kind === "found" || knee.kind === "none") {
    return `${knee.firstMiss.stage} at ${fmtRps(knee.firstMiss.rps)} req/s: ${knee.firstMiss.misses.join(", ")}`;
  }
  return knee.kind === "not-reached" ? "none up to the highest tested rate" : "–";
}

/** " (80 at 0.3 → 1 core)": the knee measured under the run's CPU quota, scaled to the replica's cores. */
function scaledFrom(s: EnvironmentPlan["services"][number]): string {
  if (!s.scaled) return "";
  const { kneeRps, measuredCores, replicaCores } = s.scaled;
  return ` (${fmtRps(kneeRps)} at ${measuredCores} → ${replicaCores} core${replicaCores === 1 ? "" : "s"})`;
}

/** Whether the knees come from more than one run (the table then says which). */
const multiRun = (report: CapacityReport) => new Set(report.services.map((s) => s.source)).size > 1;
const runLabel = (source: string, cores: number | undefined) =>
  `${source.split("/").pop()}${cores === undefined ? "" : `, ${cores} cores`}`;

export function kneeTable(report: CapacityReport): Table {
  const l = report.runLimits;
  return {
    title: `Knee per service (the run's SLO, ${report.result.slo.stack}: p99 ≤ ${l.latencyThresholdSeconds} s, 5xx ≤ ${pct(l.errorBudget)})`,
    headers: [
      "service",
      "knee (req/s)",
      "stage",
      "processes",
      "per replica (req/s)",
      "CPU ms/request",
      "RSS/process (MiB)",
      "first miss",
    ],
    align: ["l", "r", "l", "r", "r", "r", "r", "l"],
    rows: report.services.map(({ service, knee, source, cores }) =>
      knee.kind === "found" || knee.kind === "not-reached"
        ? [
            multiRun(report) ? `${service} (${runLabel(source, cores)})` : service,
            kneeRate(knee),
            knee.stage,
            String(knee.processes),
            `${knee.kind === "not-reached" ? "≥ " : ""}${fmtRps(knee.perReplicaRps)}`,
            cpuMs(knee.cpuSecondsPerRequest),
            int(knee.rssBytesPerProcess / MI),
            firstMiss(knee),
          ]
        : [service, kneeRate(knee), "–", "–", "–", "–", "–", firstMiss(knee)],
    ),
    notes: [
      ...report.services.flatMap(({ service, knee }) =>
        "ignoredPasses" in knee && knee.ignoredPasses.length > 0
          ? [
              `${service}: passed again at ${knee.ignoredPasses.join(", ")} after the first miss; not counted (noise is not capacity).`,
            ]
          : [],
      ),
      ...clientOnlyFailures(report).map(
        (s) =>
          `Stage ${s.name} failed the run's client-side thresholds (${s.failures.join("; ")}) while every service's own p99 and 5xx stayed within the SLO: that limit lies outside what the services measure (the load generator sharing the machine, queueing before a request reaches the server), so a knee "not reached" is a lower bound.`,
      ),
    ],
  };
}

/** Stages the client saw fail although no service missed its SLO in them. */
function clientOnlyFailures(report: CapacityReport) {
  return report.result.stages.filter(
    (stage) =>
      !stage.passed &&
      report.services.every(({ points }) => points.find((p) => p.stage === stage.name)?.misses.length === 0),
  );
}

export function stagesTable(report: CapacityReport): Table {
  return {
    title: `Stages (${report.result.scenario}): what the client saw`,
    headers: ["stage", "offered req/s", "achieved req/s", "sent", "errors", "p50 ms", "p99 ms", "thresholds"],
    rows: report.result.stages.map((s) => [
      s.name,
      fmtRps(s.targetRps),
      fmtRps(s.achievedRps),
      int(s.sent),
      int(s.errors),
      (s.latencyUs.p50 / 1_000).toFixed(1),
      (s.latencyUs.p99 / 1_000).toFixed(1),
      s.passed ? "passed" : `failed: ${s.failures.join("; ")}`,
    ]),
    align: ["l", "r", "r", "r", "r", "r", "r", "l"],
  };
}

export function serviceStagesTable(report: CapacityReport): Table {
  return {
    title: "Stages: what each service measured itself",
    headers: [
      "stage",
      "service",
      "req/s",
      "processes",
      "p99 (s, bucket)",
      "5xx",
      "CPU ms/request",
      "RSS (MiB)",
      "series/process",
      "within the SLO",
    ],
    align: ["l", "l", "r", "r", "r", "r", "r", "r", "r", "l"],
    rows: report.result.stages.flatMap((stage) =>
      SERVICE_NAMES.flatMap((service) => {
        const s = stage.services[service];
        if (!s) return [];
        const point = report.services.find((r) => r.service === service)?.points.find((p) => p.stage === stage.name);
        return [
          [
            stage.name,
            service,
            fmtRps(s.requestsPerSecond),
            String(s.processes),
            s.p99Seconds === null ? "–" : String(s.p99Seconds),
            s.requests > 0 ? pct(s.errors5xx / s.requests) : "–",
            s.cpuSecondsPerRequest === null ? "–" : cpuMs(s.cpuSecondsPerRequest),
            int(s.rssBytes / MI),
            int(s.activeSeries),
            point ? (point.misses.length === 0 ? "yes" : `no: ${point.misses.join(", ")}`) : "no requests",
          ],
        ];
      }),
    ),
  };
}

export function replicasTable(env: EnvironmentPlan): Table {
  const c = env.capacity;
  return {
    title: `${env.stack}: replicas at peak (order ${fmtRps(c.peakRps)} req/s + ${c.headroomPercent} % headroom; SLO p99 ≤ ${env.slo.latencyThresholdSeconds} s, 5xx ≤ ${pct(1 - env.slo.availability)})`,
    headers: [
      "service",
      "peak req/s",
      "per replica (measured)",
      "config assumes",
      "needed",
      "HPA asks at peak",
      "replicas / max",
      "HPA target",
      "CPU at knee (% of request)",
      "verdict",
    ],
    align: ["l", "r", "r", "r", "r", "r", "r", "r", "r", "l"],
    rows: env.services.map((s) => {
      // Not reached: a replica may serve more than was tested, unless cpuLimit caps it at a known rate.
      const bound = s.knee.kind === "not-reached" && s.cpuLimitedRps === undefined;
      const upper = bound ? "≤ " : "";
      return [
        s.service,
        fmtRps(s.peakRps),
        s.perReplicaRps === undefined
          ? kneeRate(s.knee)
          : `${bound ? "≥ " : ""}${fmtRps(s.perReplicaRps)}${s.cpuLimitedRps === undefined ? "" : " (cpuLimit)"}${scaledFrom(s)}`,
        fmtRps(s.configuredPerReplicaRps),
        s.replicasNeeded === undefined ? "–" : `${upper}${s.replicasNeeded}`,
        s.hpaReplicasAtPeak === undefined ? "–" : String(s.hpaReplicasAtPeak),
        `${s.replicas} / ${s.maxReplicas}`,
        `${s.cpuTargetPercent} %`,
        s.utilisationAtKneePercent === undefined ? "–" : `${s.utilisationAtKneePercent.toFixed(0)} %`,
        s.verdicts.length === 0 ? "ok" : s.verdicts.join("; "),
      ];
    }),
  };
}

/** The projection's inputs as the projections name them, e.g. `retentionDays 30`. */
function storageInputs(s: StorageVerdict): string {
  return Object.entries(s.inputs)
    .map(([k, v]) => `${k} ${typeof v === "number" ? num(Number(v.toPrecision(4))) : v}`)
    .join(", ");
}

export function storageTable(report: CapacityReport): Table {
  const rows = report.environments.flatMap((env) =>
    env.storage.map((s) => [
      env.stack,
      s.signal,
      gi(s.neededGi),
      s.applies ? String(s.configuredGi) : "in memory",
      s.applies
        ? `${(s.neededGi / s.configuredGi) * 100 < 1 ? "< 1" : ((s.neededGi / s.configuredGi) * 100).toFixed(0)} %`
        : "–",
      storageInputs(s),
      s.verdicts.length === 0 ? "ok" : s.verdicts.join("; "),
    ]),
  );
  const notes = report.environments.flatMap((env) =>
    env.storage.flatMap((s) => s.notes.map((n) => `- ${env.stack} ${s.signal}: ${n}`)),
  );
  return {
    title: "Storage at the average rate for the retention (GiB)",
    headers: ["stack", "signal", "projected", "configured", "use", "from", "verdict"],
    align: ["l", "l", "r", "r", "r", "l", "l"],
    rows,
    notes: [...new Set(notes)],
  };
}

const volumeCell = (v: Volume, digits = 3) => `${num(Number(v.value.toPrecision(digits)))} (${v.source})`;

export function volumesTable(report: CapacityReport): Table {
  const envs = report.environments;
  const m = report.measured;
  const row = (name: string, measured: number | undefined, used: (e: EnvironmentPlan) => Volume): string[] => [
    name,
    measured === undefined ? "not in the run" : num(Number(measured.toPrecision(3))),
    ...envs.map((e) => volumeCell(used(e))),
  ];
  return {
    title: "Volumes used (per order request unless stated; measured over the healthy stages)",
    headers: ["volume", "measured", ...envs.map((e) => e.stack)],
    align: ["l", "r", ...envs.map(() => "r" as const)],
    rows: [
      ...SERVICE_NAMES.filter((s) => s !== "order").map((s) => [
        `${s} requests per order request`,
        num(Number(report.fanOut[s].toPrecision(3))),
        ...envs.map(() => "–"),
      ]),
      ...SERVICE_NAMES.map((s) =>
        row(`${s}: series per replica`, m.activeSeriesPerProcess[s], (e) => e.volumes.activeSeriesPerReplica[s]),
      ),
      row("platform series", undefined, (e) => e.volumes.platformActiveSeries),
      row(
        "log bytes (three services, every line)",
        m.logBytesPerOrderRequest,
        (e) => e.volumes.logBytesPerOrderRequest,
      ),
      row("platform log bytes per second", undefined, (e) => e.volumes.platformLogBytesPerSecond),
      row("spans (before sampling)", m.spansPerOrderRequest, (e) => e.volumes.spansPerOrderRequest),
      row(
        "bytes per span (run: OTLP; used: stored size or OTLP, the larger)",
        m.bytesPerSpan,
        (e) => e.volumes.bytesPerSpan,
      ),
      row("traces (client requests)", m.tracesPerOrderRequest, (e) => e.volumes.tracesPerOrderRequest),
    ],
    notes: [
      `Measured over ${report.volumeStages.join(", ")}; "(config)" is the stack's \`capacity\` value, used where the run has no measurement.`,
      ...(m.accessLinesWritten < 1
        ? [
            `The run's services wrote ${pct(m.accessLinesWritten)} of access lines (stack ${report.result.slo.stack}); the log bytes are scaled back to every line.`,
          ]
        : []),
    ],
  };
}

/** Every verdict that asks for a change, one line each; "ok" everywhere else. */
export function verdictTable(report: CapacityReport): Table {
  const rows = report.environments.flatMap((env) => [
    ...env.services.flatMap((s) => s.verdicts.map((v) => [env.stack, s.service, v])),
    ...env.storage.flatMap((s) => s.verdicts.map((v) => [env.stack, `${s.signal} storage`, v])),
  ]);
  return {
    title: "What to change",
    headers: ["stack", "what", "change"],
    align: ["l", "l", "l"],
    rows: rows.length > 0 ? rows : [["all", "replicas, HPA, storage", "ok: nothing to change"]],
  };
}
