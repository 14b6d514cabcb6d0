import { LABELS, PATHS, SERVICE_NAMES, type ServiceName } from "../../contract";
import type { StackConfig } from "../config/schema";
import { clusterAddress, clusterUrl, type Namespaces, PLATFORM_SERVICES, SERVICE_PORT } from "../platform/naming";
import { blackboxConfig, PROBE_MODULES, type ProbeModule, probeTimingProblems } from "./modules";

/** The `job` label of every probe series (Probe `spec.jobName`): rules and dashboards select these. */
export const PROBE_JOBS = {
  /** GET /readyz of every service through its Service: fails when no pod is ready. */
  readiness: "probe-readiness",
  /** A read a user would make (END_TO_END_READS). */
  endToEnd: "probe-e2e",
} as const;
export type ProbeKind = keyof typeof PROBE_JOBS;

/** The order id order's end-to-end probe looks up: never an order's (those are `o-<uuid>`). */
export const ORDER_PROBE_ID = "synthetic-probe";

/** The end-to-end read of each service that has one. */
export const END_TO_END_READS: Partial<Record<ServiceName, { path: string; module: ProbeModule }>> = {
  product: { path: "/products", module: PROBE_MODULES.jsonRead },
  // order has no list; a lookup goes through routing, the handler and the JSON error path
  order: { path: `/orders/${ORDER_PROBE_ID}`, module: PROBE_MODULES.jsonNotFound },
};

export type ProbesConfig = StackConfig["probes"];

/** Where the probes go: the services and the prober. */
export interface ProbeEndpoints {
  /** Base URL of a service, no trailing slash. */
  serviceUrl: (service: ServiceName) => string;
  /** `host:port` of the blackbox exporter (a Probe's `prober.url`). */
  prober: string;
}

/** The cluster's endpoints: each service's Service in the apps namespace, the exporter's in the platform's. */
export function clusterEndpoints(ns: Namespaces): ProbeEndpoints {
  const prober = PLATFORM_SERVICES.blackboxExporter;
  return {
    serviceUrl: (service) => clusterUrl(service, ns.apps, SERVICE_PORT),
    prober: clusterAddress(prober.name, ns.platform, prober.port),
  };
}

/** The operator's Probe as the published models type it (an ES module: its types are imported as one). */
type IProbe = import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Probe", { with: {
  "resolution-mode": "import",
}}).IProbe;

/** A Probe object with the metadata this program always sets. */
export type ProbeObject = IProbe & { metadata: { name: string; namespace: string; labels: Record<string, string> } };

export interface ProbeObjectsArgs {
  probes: ProbesConfig;
  namespaces: Namespaces;
  /** Labels of every Probe object. */
  labels: Record<string, string>;
  /** Default: clusterEndpoints (local runs point them at loopback processes). */
  endpoints?: ProbeEndpoints;
}

/**
 * The Probe objects: one per service and kind, in the apps namespace (the operator gives their series
 * `namespace` = that namespace) and labelled with the service (`service_name`, as the services' own metrics).
 * Each probe's scrape timeout is its interval; the modules' timeouts stay below it (checked here too, for
 * configs that did not pass the stack schema).
 */
export function probeObjects({ probes, namespaces, labels, endpoints }: ProbeObjectsArgs): ProbeObject[] {
  const problems = probeTimingProblems(probes, blackboxConfig());
  if (problems.length > 0) {
    throw new Error(`Invalid probes config:\n${problems.map((p) => `  - probes.${p.field}: ${p.message}`).join("\n")}`);
  }
  const where = endpoints ?? clusterEndpoints(namespaces);
  const probe = (service: ServiceName, kind: ProbeKind, path: string, module: ProbeModule): ProbeObject => ({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "Probe",
    metadata: { name: `${service}-${kind === "readiness" ? "readiness" : "e2e"}`, namespace: namespaces.apps, labels },
    spec: {
      jobName: PROBE_JOBS[kind],
      interval: probes.interval,
      scrapeTimeout: probes.interval,
      module,
      prober: { url: where.prober, path: "/probe", scheme: "http" },
      targets: {
        staticConfig: { static: [`${where.serviceUrl(service)}${path}`], labels: { [LABELS.service]: service } },
      },
    },
  });
  return [
    ...SERVICE_NAMES.map((service) => probe(service, "readiness", PATHS.ready, PROBE_MODULES.ready)),
    ...SERVICE_NAMES.flatMap((service) => {
      const read = END_TO_END_READS[service];
      return read ? [probe(service, "endToEnd", read.path, read.module)] : [];
    }),
  ];
}
