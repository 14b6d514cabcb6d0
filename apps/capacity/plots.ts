/** Vega-Lite charts of the capacity report, rendered to PNG by the benchmark's renderer. */
import { SERVICE_NAMES } from "../../contract";
import { type ChartSpec, CHART_CONFIG as CONFIG, VEGA_LITE_SCHEMA as SCHEMA } from "../bench/plots";
import type { CapacityReport } from "./report";

const SERVICE_SCALE = { domain: [...SERVICE_NAMES] };

/** Client p50/p90/p99 per stage against the offered rate; the SLO threshold and each service's knee stage marked. */
export function latencyChart(report: CapacityReport): ChartSpec {
  const values = report.result.stages.flatMap((s) =>
    (["p50", "p90", "p99"] as const).flatMap((q) =>
      Number.isFinite(s.latencyUs[q]) && s.latencyUs[q] > 0
        ? [{ offered: s.targetRps, percentile: q, ms: s.latencyUs[q] / 1_000 }]
        : [],
    ),
  );
  // One mark per knee stage and kind: services whose knees share a stage share its label.
  const marks = new Map<string, { offered: number; kind: string; services: string[] }>();
  for (const { service, knee } of report.services) {
    if (knee.kind !== "found" && knee.kind !== "not-reached") continue;
    const stage = report.result.stages.find((s) => s.name === knee.stage);
    if (!stage) continue;
    const kind = knee.kind === "found" ? "knee" : "not reached";
    const key = `${stage.targetRps} ${kind}`;
    const mark = marks.get(key) ?? { offered: stage.targetRps, kind, services: [] };
    mark.services.push(service);
    marks.set(key, mark);
  }
  const knees = [...marks.values()].map((m) => ({ offered: m.offered, label: `${m.kind}: ${m.services.join(", ")}` }));
  const x = { field: "offered", type: "quantitative", title: "offered rate (req/s)" };
  return {
    $schema: SCHEMA,
    title: {
      text: "Latency against the offered rate (client side, from the scheduled send time)",
      subtitle: `dashed: the SLO threshold (${report.runLimits.latencyThresholdSeconds} s); vertical: the stage of each service's knee; logarithmic scale`,
    },
    width: 560,
    height: 300,
    layer: [
      {
        data: { values },
        mark: { type: "line", point: { filled: true, size: 50 } },
        encoding: {
          x,
          y: { field: "ms", type: "quantitative", title: "latency (ms)", scale: { type: "log" } },
          color: { field: "percentile", type: "nominal", sort: ["p50", "p90", "p99"], title: null },
        },
      },
      {
        data: { values: [{ ms: report.runLimits.latencyThresholdSeconds * 1_000 }] },
        mark: { type: "rule", color: "#b22222", strokeDash: [5, 4] },
        encoding: { y: { field: "ms", type: "quantitative" } },
      },
      {
        data: { values: knees },
        mark: { type: "rule", color: "#555", strokeWidth: 1.5 },
        encoding: { x },
      },
      {
        data: { values: knees },
        mark: { type: "text", angle: 270, align: "right", baseline: "bottom", dx: -4, dy: -3, fontSize: 11, y: 0 },
        encoding: { x, text: { field: "label" } },
      },
    ],
    config: CONFIG,
  };
}

/** CPU seconds per request of each service against its own rate; the knee stage circled. */
export function cpuChart(report: CapacityReport): ChartSpec {
  const values = report.services.flatMap(({ service, points, knee }) =>
    points.map((p) => ({
      service,
      rps: p.rps,
      cpuMs: p.cpuSecondsPerRequest * 1_000,
      knee: (knee.kind === "found" || knee.kind === "not-reached") && knee.stage === p.stage,
    })),
  );
  const x = { field: "rps", type: "quantitative", title: "the service's own rate (req/s)" };
  const y = { field: "cpuMs", type: "quantitative", title: "CPU ms per request (all processes)" };
  const color = { field: "service", type: "nominal", scale: SERVICE_SCALE, title: null };
  return {
    $schema: SCHEMA,
    title: { text: "CPU per request against the rate", subtitle: "circled: the knee stage" },
    width: 560,
    height: 280,
    data: { values },
    layer: [
      { mark: { type: "line", point: { filled: true, size: 50 } }, encoding: { x, y, color } },
      {
        transform: [{ filter: "datum.knee" }],
        mark: { type: "point", size: 260, strokeWidth: 2, filled: false },
        encoding: { x, y, color },
      },
    ],
    config: CONFIG,
  };
}

const REPLICA_KINDS = ["replicas", "maxReplicas", "needed at peak", "HPA asks at peak"];

/** Per stack and service: configured replicas and maxReplicas against the replicas needed at peak. */
export function replicasChart(report: CapacityReport): ChartSpec {
  const values = report.environments.flatMap((env) =>
    env.services.flatMap((s) => [
      { stack: env.stack, service: s.service, kind: "replicas", n: s.replicas },
      { stack: env.stack, service: s.service, kind: "maxReplicas", n: s.maxReplicas },
      ...(s.replicasNeeded === undefined
        ? []
        : [{ stack: env.stack, service: s.service, kind: "needed at peak", n: s.replicasNeeded }]),
      ...(s.hpaReplicasAtPeak === undefined
        ? []
        : [{ stack: env.stack, service: s.service, kind: "HPA asks at peak", n: s.hpaReplicasAtPeak }]),
    ]),
  );
  return {
    $schema: SCHEMA,
    title: {
      text: "Replicas needed at peak against the configured ones",
      subtitle: "needed: peak × (1 + headroom) ÷ per-replica capacity; HPA asks: CPU at peak ÷ (target × request)",
    },
    data: { values },
    facet: {
      column: {
        field: "stack",
        type: "nominal",
        title: null,
        sort: report.environments.map((e) => e.stack),
        header: { labelFontSize: 12 },
      },
    },
    spec: {
      width: 200,
      height: 240,
      mark: { type: "bar" },
      encoding: {
        x: { field: "service", type: "nominal", sort: [...SERVICE_NAMES], title: null, axis: { labelAngle: 0 } },
        xOffset: { field: "kind", type: "nominal", sort: REPLICA_KINDS },
        y: { field: "n", type: "quantitative", title: "replicas" },
        color: {
          field: "kind",
          type: "nominal",
          title: null,
          scale: { domain: REPLICA_KINDS, range: ["#9ecae1", "#3182bd", "#e6550d", "#fdae6b"] },
        },
      },
    },
    config: CONFIG,
  };
}

/** Per signal and stack: the projected size against the configured one (in-memory stores left out). */
export function storageChart(report: CapacityReport): ChartSpec {
  const values = report.environments.flatMap((env) =>
    env.storage
      .filter((s) => s.applies)
      .flatMap((s) => [
        { signal: s.signal, stack: env.stack, kind: "configured", gi: s.configuredGi },
        { signal: s.signal, stack: env.stack, kind: "projected", gi: s.neededGi },
      ]),
  );
  const kinds = ["configured", "projected"];
  return {
    $schema: SCHEMA,
    title: {
      text: "Storage projected for the retention against the configured size",
      subtitle: "metrics against retentionSizeGi; GiB; each signal on its own scale",
    },
    data: { values },
    facet: {
      column: {
        field: "signal",
        type: "nominal",
        title: null,
        sort: ["metrics", "logs", "traces"],
        header: { labelFontSize: 12 },
      },
    },
    spec: {
      width: 200,
      height: 240,
      mark: { type: "bar" },
      encoding: {
        x: {
          field: "stack",
          type: "nominal",
          sort: report.environments.map((e) => e.stack),
          title: null,
          axis: { labelAngle: 0 },
        },
        xOffset: { field: "kind", type: "nominal", sort: kinds },
        y: { field: "gi", type: "quantitative", title: "GiB" },
        color: { field: "kind", type: "nominal", title: null, scale: { domain: kinds, range: ["#9ecae1", "#e6550d"] } },
      },
    },
    resolve: { scale: { y: "independent" } },
    config: CONFIG,
  };
}

export const CAPACITY_PLOTS = [
  {
    file: "capacity-latency.png",
    alt: "Latency percentiles against the offered rate, knees marked",
    spec: latencyChart,
  },
  { file: "capacity-cpu.png", alt: "CPU per request against the rate per service", spec: cpuChart },
  {
    file: "capacity-replicas.png",
    alt: "Replicas needed at peak against configured replicas per stack",
    spec: replicasChart,
  },
  {
    file: "capacity-storage.png",
    alt: "Projected storage against configured size per signal and stack",
    spec: storageChart,
  },
] as const;
