import type { z } from "zod";
import type { resources } from "../config/fields";
import type { DistributedConfig } from "../config/scale-schema";
import { clusterAddress, type Namespaces, PLATFORM_SERVICES } from "../platform/naming";
import { MEMORY_LIMITER, otlpReceivers } from "./collector-config";

/**
 * `scale: distributed` splits the collector in two tiers (docs/scaling.md):
 * - the gateway, a stateless Deployment scaled by its HPA, receives OTLP and routes each span by trace id
 *   (the contrib `loadbalancing` exporter) so every span of a trace reaches the same sampler;
 * - the samplers, the `otel-collector` release as a StatefulSet behind a headless Service, run the pipeline of
 *   collector-config.ts unchanged (span metrics before tail sampling, then export).
 * The DNS resolver needs no RBAC: the headless Service's name resolves to one address per ready sampler pod.
 * When the sampler set changes size the ring is re-hashed and spans of traces in flight may land on another
 * sampler, which decides on a partial trace; decision_wait bounds how long that lasts (README of
 * https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/loadbalancingexporter).
 */

type CollectorTiers = DistributedConfig["collector"];
type Resources = z.infer<typeof resources>;

/** What the gateway's DNS resolver queries, and the port it sends OTLP/gRPC to on each address. */
export function samplerTarget(ns: Namespaces): { hostname: string; port: number } {
  const collector = PLATFORM_SERVICES.collector;
  const [hostname = ""] = clusterAddress(collector.name, ns.platform, collector.otlpGrpcPort).split(":");
  return { hostname, port: collector.otlpGrpcPort };
}

/** How often the gateway re-resolves the samplers: a new sampler gets traffic within this delay. */
export const RESOLVER_INTERVAL = "5s";

/** The gateway's collector configuration: OTLP in, memory_limiter, loadbalancing by trace id to the samplers. */
export function gatewayConfig(ns: Namespaces) {
  const gateway = PLATFORM_SERVICES.otelGateway;
  const target = samplerTarget(ns);
  return {
    receivers: otlpReceivers(gateway),
    processors: { memory_limiter: MEMORY_LIMITER },
    exporters: {
      debug: null,
      loadbalancing: {
        routing_key: "traceID",
        // Queue and retries at the exporter's own level: a batch that fails is routed again on retry, so it
        // reaches whichever sampler owns its trace now (a sampler that left takes no batch with it), and the
        // queue's metrics are reported (the per-sampler exporters report none). The per-sampler exporters
        // only send: a failure goes straight back up to be retried and re-routed.
        timeout: "10s",
        sending_queue: { enabled: true, queue_size: 5000 },
        retry_on_failure: { enabled: true, max_elapsed_time: "60s" },
        protocol: {
          otlp: {
            tls: { insecure: true },
            timeout: "10s",
            sending_queue: { enabled: false },
            retry_on_failure: { enabled: false },
          },
        },
        // the Go struct's port is a string
        resolver: { dns: { hostname: target.hostname, port: String(target.port), interval: RESOLVER_INTERVAL } },
      },
    },
    service: {
      pipelines: {
        logs: null,
        metrics: null,
        traces: { receivers: ["otlp"], processors: ["memory_limiter"], exporters: ["loadbalancing"] },
      },
    },
  };
}

/** Kubernetes resources from the stack config's shape. */
export function k8sResources(r: Resources) {
  return {
    requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
    limits: { ...(r.cpuLimit ? { cpu: r.cpuLimit } : {}), memory: r.memoryLimit },
  };
}

/** One pod of a tier may be evicted at a time (node drains, upgrades). */
const PDB = { enabled: true, maxUnavailable: 1 };

/**
 * Values of the gateway release, over the collector chart's static values (`base`): its own name, no
 * span-metrics port, an HPA from `distributed.collector.gateway` and a PDB. Resources replace the base's whole.
 */
export function gatewayValues(
  base: Record<string, unknown>,
  tiers: CollectorTiers,
  ns: Namespaces,
  labels: Record<string, string>,
): Record<string, unknown> {
  const g = tiers.gateway;
  return {
    ...base,
    fullnameOverride: PLATFORM_SERVICES.otelGateway.name,
    mode: "deployment",
    additionalLabels: labels,
    podLabels: labels,
    ports: { ...(base.ports as Record<string, unknown>), spanmetrics: { enabled: false } },
    serviceMonitor: { enabled: true, metricsEndpoints: [{ port: "metrics" }] },
    autoscaling: {
      enabled: true,
      minReplicas: g.replicas,
      maxReplicas: g.maxReplicas,
      targetCPUUtilizationPercentage: g.cpuTargetPercent,
    },
    podDisruptionBudget: PDB,
    ...(g.resources ? { resources: k8sResources(g.resources) } : {}),
    config: gatewayConfig(ns),
  };
}

/** The `otel-collector` release in `single`: one Deployment replica, so every span of a trace reaches it. */
export const SINGLE_COLLECTOR_VALUES = { mode: "deployment", replicaCount: 1 } as const;

/**
 * What changes on the `otel-collector` release in `distributed`: a StatefulSet of `sampler.replicas` whose
 * Service is headless (the gateway resolves one address per pod; the StatefulSet names it as its serviceName),
 * and a PDB. The configuration stays collector-config.ts's.
 */
export function samplerValues(tiers: CollectorTiers): Record<string, unknown> {
  const s = tiers.sampler;
  return {
    mode: "statefulset",
    replicaCount: s.replicas,
    service: { clusterIP: "None" },
    podDisruptionBudget: PDB,
    ...(s.resources ? { resources: k8sResources(s.resources) } : {}),
  };
}
