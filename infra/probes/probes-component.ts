import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pinnedChart } from "../charts/chart";
import { mergeValues, staticValues, type Values } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";
import { type Namespaces, RELEASES } from "../platform/naming";
import { clusterEndpoints, type ProbeObject, probeObjects } from "./probes";

export interface SyntheticProbesArgs {
  config: StackConfig;
  namespaces: Namespaces;
  labels: Record<string, string>;
}

/** The per-environment values of the blackbox exporter chart (the static ones, modules included, are in charts-values/). */
export function blackboxValues(config: StackConfig, labels: Record<string, string>): Values {
  const interval = config.metrics.scrapeInterval;
  return mergeValues(staticValues("blackboxExporter"), {
    commonLabels: chartLabels(labels),
    // the chart's 30s timeout would exceed a 15s interval, which Prometheus refuses
    serviceMonitor: { selfMonitor: { interval, scrapeTimeout: interval } },
  });
}

/**
 * Synthetic health checks: the blackbox exporter (chart) in the platform namespace and the Probe objects
 * Prometheus turns into probe scrapes through it (/readyz of every service, end-to-end reads).
 */
export class SyntheticProbes extends pulumi.ComponentResource {
  readonly blackboxValues: Values;
  readonly probes: ProbeObject[];
  /** `host:port` of the exporter's Service, each Probe's `spec.prober.url`. */
  readonly proberAddress: string;

  constructor(name: string, args: SyntheticProbesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:probes:SyntheticProbes", name, {}, opts);
    const { config, namespaces: ns, labels } = args;
    this.blackboxValues = blackboxValues(config, labels);
    const chart = pinnedChart(
      `${name}-blackbox-exporter`,
      "blackboxExporter",
      { name: RELEASES.blackboxExporter, namespace: ns.platform, values: this.blackboxValues },
      this,
    );
    const endpoints = clusterEndpoints(ns);
    this.proberAddress = endpoints.prober;
    this.probes = probeObjects({ probes: config.probes, namespaces: ns, labels, endpoints });
    for (const probe of this.probes) {
      new k8s.apiextensions.CustomResource(`${name}-${probe.metadata.name}`, probe, {
        parent: this,
        dependsOn: [chart],
      });
    }
    this.registerOutputs({ proberAddress: this.proberAddress });
  }
}
