import type { ProbeObject } from "./probes";

/** Relabel config keys as a Probe spells them (camelCase) and as Prometheus does. */
const RELABEL_KEYS: Record<string, string> = {
  sourceLabels: "source_labels",
  targetLabel: "target_label",
  separator: "separator",
  regex: "regex",
  replacement: "replacement",
  action: "action",
  modulus: "modulus",
};

function relabelConfig(r: Record<string, unknown>, where: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(r).map(([key, value]) => {
      const name = RELABEL_KEYS[key];
      if (!name) throw new Error(`${where}: relabeling field "${key}" is not supported here`);
      return [name, value];
    }),
  );
}

/** Probe fields this translation does not implement: refused rather than silently dropped. */
const UNSUPPORTED = ["authorization", "basicAuth", "bearerTokenSecret", "oauth2", "tlsConfig", "params"] as const;

/**
 * The Prometheus scrape config the Prometheus operator generates for a Probe with static targets
 * (pkg/prometheus/promcfg.go, generateProbeConfig): job `probe/<namespace>/<name>` relabeled to `jobName`,
 * each target passed to the prober as `?target=` and kept as `instance`, the address replaced by the
 * prober's, the module as `?module=`, and the static labels plus the Probe's `namespace`. Local runs give
 * this to a plain Prometheus so they scrape what the cluster's would.
 */
export function probeScrapeConfig(probe: ProbeObject): Record<string, unknown> {
  const { name, namespace } = probe.metadata;
  const where = `Probe ${namespace}/${name}`;
  const spec = probe.spec;
  const staticConfig = spec.targets?.staticConfig;
  if (spec.targets?.ingress !== undefined) throw new Error(`${where}: spec.targets.ingress is not supported here`);
  if (!staticConfig?.static?.length) throw new Error(`${where}: spec.targets.staticConfig.static lists no target`);
  if (!spec.prober?.url) throw new Error(`${where}: spec.prober.url is required`);
  const unsupported = UNSUPPORTED.filter((key) => spec[key] !== undefined);
  if (unsupported.length > 0) throw new Error(`${where}: spec.${unsupported.join(", spec.")} not supported here`);
  const relabelings = [
    { source_labels: ["job"], target_label: "__tmp_prometheus_job_name" },
    ...(spec.jobName ? [{ target_label: "job", replacement: spec.jobName }] : []),
    { source_labels: ["__address__"], target_label: "__param_target" },
    { source_labels: ["__param_target"], target_label: "instance" },
    { target_label: "__address__", replacement: spec.prober.url },
    ...(staticConfig.relabelingConfigs ?? []).map((r) =>
      relabelConfig(r as Record<string, unknown>, `${where} relabelingConfigs`),
    ),
  ];
  const metricRelabelings = (spec.metricRelabelings ?? []).map((r) =>
    relabelConfig(r as Record<string, unknown>, `${where} metricRelabelings`),
  );
  return {
    job_name: `probe/${namespace}/${name}`,
    honor_timestamps: true,
    metrics_path: spec.prober.path ?? "/probe",
    ...(spec.interval ? { scrape_interval: spec.interval } : {}),
    ...(spec.scrapeTimeout ? { scrape_timeout: spec.scrapeTimeout } : {}),
    ...(spec.prober.scheme ? { scheme: spec.prober.scheme.toLowerCase() } : {}),
    ...(spec.module ? { params: { module: [spec.module] } } : {}),
    // the static labels win over the Probe's namespace, as in the operator
    static_configs: [{ targets: staticConfig.static, labels: { namespace, ...staticConfig.labels } }],
    relabel_configs: relabelings,
    ...(metricRelabelings.length > 0 ? { metric_relabel_configs: metricRelabelings } : {}),
  };
}
