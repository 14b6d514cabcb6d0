import type { ServiceName } from "../../contract";
import { serviceSelector } from "../services/microservice";
import type { Experiment, Fault } from "./experiments";

/**
 * Experiments as Chaos Mesh objects (chaos-mesh.org/v1alpha1): what the game-day runner creates in a cluster
 * and, for recurring experiments, what the program deploys as a Schedule. Pure: no Pulumi, no cluster.
 * HTTP-level faults have none: they go through the services' fault API (HTTPChaos misses keep-alive
 * connections opened before the fault).
 */

export const CHAOS_MESH_API_VERSION = "chaos-mesh.org/v1alpha1";

/** Names the experiment on every object made for it: the runner finds a stale one from an earlier run by it. */
export const EXPERIMENT_LABEL = "observability-platform/chaos-experiment";

export const CHAOS_KINDS = ["PodChaos", "NetworkChaos", "StressChaos"] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];

/** A type, not an interface: callers handle it as a plain `Record<string, unknown>` (the Kubernetes API's body). */
export type ChaosObject = {
  apiVersion: typeof CHAOS_MESH_API_VERSION;
  kind: ChaosKind | "Schedule";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
};

/** How many finished runs a Schedule keeps (each run's object and events). */
export const SCHEDULE_HISTORY_LIMIT = 5;

/** Chaos Mesh's selector for a service's pods: the Microservice Deployment's own pod selector. */
function podSelector(namespace: string, service: ServiceName) {
  return { namespaces: [namespace], labelSelectors: serviceSelector(service) };
}

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$/;
const SIZE = /^\d+(B|KB|KiB|MB|MiB|GB|GiB|%)$/;

const between = (value: number, min: number, max: number) => Number.isInteger(value) && value >= min && value <= max;

/** What is wrong with an experiment as a Chaos Mesh object, each problem naming its field and what is allowed. */
export function experimentProblems(experiment: Experiment): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(`experiment ${JSON.stringify(experiment.name)}: ${message}`);
  };
  check(DNS_LABEL.test(experiment.name), "name must be a DNS label (a-z, 0-9, -; starts with a letter; ≤ 63)");
  check(between(experiment.durationSeconds, 1, 86_400), "durationSeconds must be an integer from 1 to 86400");
  if (experiment.schedule !== undefined) {
    check(CRON.test(experiment.schedule.trim()), 'schedule must be a cron expression of 5 fields such as "0 10 * * 2"');
  }
  const f = experiment.fault;
  if (f.kind === "network-delay") {
    check(between(f.latencyMs, 1, 60_000), "fault.latencyMs must be an integer from 1 to 60000");
    check(between(f.jitterMs, 0, 60_000), "fault.jitterMs must be an integer from 0 to 60000");
  }
  if (f.kind === "network-loss")
    check(between(f.lossPercent, 1, 100), "fault.lossPercent must be an integer from 1 to 100");
  if (f.kind === "cpu-stress" || f.kind === "memory-stress") {
    check(between(f.workers, 1, 64), "fault.workers must be an integer from 1 to 64");
  }
  if (f.kind === "cpu-stress")
    check(between(f.loadPercent, 1, 100), "fault.loadPercent must be an integer from 1 to 100");
  if (f.kind === "memory-stress") check(SIZE.test(f.size), 'fault.size must be a size such as "200MiB" or "25%"');
  if (f.kind === "network-delay" || f.kind === "network-loss") {
    check(f.towards !== experiment.target, "fault.towards must be another service than the target");
  }
  return problems;
}

/** The kind and spec of an infrastructure fault; undefined for the faults the services' fault API injects. */
function chaosSpec(
  experiment: Experiment,
  namespace: string,
): { kind: ChaosKind; spec: Record<string, unknown> } | undefined {
  const { fault, target } = experiment;
  const base = { mode: "one", selector: podSelector(namespace, target), duration: `${experiment.durationSeconds}s` };
  // the container a Microservice runs is named after the service
  const container = { containerNames: [target] };
  const towards = (f: Extract<Fault, { towards: ServiceName }>) => ({
    direction: "to",
    target: { mode: "all", selector: podSelector(namespace, f.towards) },
  });
  switch (fault.kind) {
    case "pod-kill":
      return { kind: "PodChaos", spec: { action: "pod-kill", ...base, gracePeriod: 0 } };
    case "container-kill":
      return { kind: "PodChaos", spec: { action: "container-kill", ...base, ...container } };
    case "network-delay":
      return {
        kind: "NetworkChaos",
        spec: {
          action: "delay",
          ...base,
          ...towards(fault),
          delay: { latency: `${fault.latencyMs}ms`, jitter: `${fault.jitterMs}ms`, correlation: "0" },
        },
      };
    case "network-loss":
      return {
        kind: "NetworkChaos",
        spec: {
          action: "loss",
          ...base,
          ...towards(fault),
          loss: { loss: String(fault.lossPercent), correlation: "0" },
        },
      };
    case "cpu-stress":
      return {
        kind: "StressChaos",
        spec: { ...base, ...container, stressors: { cpu: { workers: fault.workers, load: fault.loadPercent } } },
      };
    case "memory-stress":
      return {
        kind: "StressChaos",
        spec: { ...base, ...container, stressors: { memory: { workers: fault.workers, size: fault.size } } },
      };
    case "http-errors":
    case "http-latency":
    case "route-outage":
      return undefined;
  }
}

function assertValid(experiment: Experiment): void {
  const problems = experimentProblems(experiment);
  if (problems.length > 0) throw new Error(`invalid chaos experiment:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

const metadata = (experiment: Experiment, namespace: string, labels: Record<string, string>) => ({
  name: experiment.name,
  namespace,
  labels: { ...labels, [EXPERIMENT_LABEL]: experiment.name },
});

/**
 * The Chaos Mesh object(s) of an experiment, in the apps namespace next to its target: none for HTTP-level
 * faults. Throws naming the field when the experiment cannot be one.
 */
export function chaosObjects(experiment: Experiment, namespace: string, labels: Record<string, string>): ChaosObject[] {
  assertValid(experiment);
  const chaos = chaosSpec(experiment, namespace);
  if (!chaos) return [];
  return [
    {
      apiVersion: CHAOS_MESH_API_VERSION,
      kind: chaos.kind,
      metadata: metadata(experiment, namespace, labels),
      spec: chaos.spec,
    },
  ];
}

/** `PodChaos` → `podChaos`: the key a Schedule holds the chaos spec under. */
const scheduleKey = (kind: ChaosKind) => `${kind.charAt(0).toLowerCase()}${kind.slice(1)}`;

/**
 * A Schedule running the experiment on its cron (experiments with `schedule` and an infrastructure fault);
 * never two runs at once (Forbid): a run still going when the next is due skips that one.
 */
export function scheduleObject(
  experiment: Experiment,
  namespace: string,
  labels: Record<string, string>,
): ChaosObject | undefined {
  assertValid(experiment);
  const chaos = chaosSpec(experiment, namespace);
  if (!experiment.schedule || !chaos) return undefined;
  return {
    apiVersion: CHAOS_MESH_API_VERSION,
    kind: "Schedule",
    metadata: metadata(experiment, namespace, labels),
    spec: {
      schedule: experiment.schedule.trim(),
      type: chaos.kind,
      historyLimit: SCHEDULE_HISTORY_LIMIT,
      concurrencyPolicy: "Forbid",
      [scheduleKey(chaos.kind)]: chaos.spec,
    },
  };
}
