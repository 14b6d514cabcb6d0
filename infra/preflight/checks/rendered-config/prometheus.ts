import type { StackConfig } from "../../../config/schema";
import {
  ANTI_AFFINITY,
  prometheusReplicas,
  queueConfigFor,
  REMOTE_WRITE_NAME,
  REMOTE_WRITE_SECRET,
  remoteWriteTarget,
  samplesPerSecond,
} from "../../../monitoring/remote-write";
import type { RenderedObject } from "../../../render/render";
import { type Finding, finding } from "../objects";
import { durationSeconds, GI, prometheusBytes } from "./units";
import { at, CHECK, claimProblems, records, show, strings } from "./workloads";

// Prometheus (the operator's custom resource)

/** Retention, size, storage, replicas, scrape interval and exemplars of a Prometheus resource's spec. */
export function prometheusProblems(spec: unknown, config: StackConfig): string[] {
  const m = config.metrics;
  const out: string[] = [];
  const retention = at(spec, "retention");
  if (durationSeconds(retention, "prometheus") !== m.retentionDays * 86_400)
    out.push(`spec.retention is ${show(retention)}, expected "${m.retentionDays}d" (metrics.retentionDays)`);
  const size = at(spec, "retentionSize");
  if (prometheusBytes(size) !== m.retentionSizeGi * GI)
    out.push(`spec.retentionSize is ${show(size)}, expected "${m.retentionSizeGi}GB" (metrics.retentionSizeGi)`);
  const template = at(spec, "storage", "volumeClaimTemplate");
  if (config.storage.persistent && template === undefined)
    out.push(
      `spec.storage.volumeClaimTemplate is absent, expected a ${m.storageGi}Gi claim: storage.persistent is true`,
    );
  else if (config.storage.persistent)
    out.push(
      ...claimProblems(at(template, "spec"), m.storageGi, "metrics.storageGi", config.storage.storageClass).map(
        (p) => `spec.storage.volumeClaimTemplate ${p}`,
      ),
    );
  else if (template !== undefined)
    out.push(
      `spec.storage.volumeClaimTemplate requests ${show(at(template, "spec", "resources", "requests", "storage"))}, expected none: storage.persistent is false`,
    );
  const replicas = at(spec, "replicas") ?? 1; // the operator's default
  const expected = prometheusReplicas(config);
  const key = config.scale === "distributed" ? "distributed.prometheus.replicas" : "metrics.replicas";
  if (replicas !== expected) out.push(`spec.replicas is ${show(replicas)}, expected ${expected} (${key})`);
  const interval = at(spec, "scrapeInterval") ?? "30s"; // the operator's default
  if (durationSeconds(interval, "prometheus") !== durationSeconds(m.scrapeInterval, "prometheus"))
    out.push(`spec.scrapeInterval is ${show(interval)}, expected "${m.scrapeInterval}" (metrics.scrapeInterval)`);
  const features = strings(at(spec, "enableFeatures"));
  if (!features.includes("exemplar-storage"))
    out.push(
      `spec.enableFeatures is ${show(features)}, expected it to contain "exemplar-storage" (trace links on metrics)`,
    );
  out.push(...antiAffinityProblems(spec, config), ...remoteWriteProblems(spec, config));
  return out;
}

/** distributed: the replicas may not share a node (a required anti-affinity term on the hostname). */
export function antiAffinityProblems(spec: unknown, config: StackConfig): string[] {
  if (config.scale !== "distributed") return [];
  const terms = records(at(spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"));
  if (terms.some((t) => t.topologyKey === ANTI_AFFINITY.topologyKey && at(t, "labelSelector") !== undefined)) return [];
  return [
    `spec.affinity.podAntiAffinity has no required term on ${ANTI_AFFINITY.topologyKey}: scale distributed runs one replica per node`,
  ];
}

const AMP_URL = (region: string) =>
  new RegExp(`^https://aps-workspaces\\.${region}\\.amazonaws\\.com(\\.cn)?/workspaces/[^/]+/api/v1/remote_write$`);

/** The reference `{ name, key }` of an auth field names the program's Secret and key. */
function secretRefProblems(entry: unknown, path: string[], key: string): string[] {
  const ref = at(entry, ...path);
  const want = { name: REMOTE_WRITE_SECRET.name, key };
  if (at(ref, "name") === want.name && at(ref, "key") === key) return [];
  return [`spec.remoteWrite[0].${path.join(".")} is ${show(ref)}, expected ${JSON.stringify(want)}`];
}

/** The remote write of the stack config: target URL, auth or SigV4 region, queue sizing, write relabelling. */
export function remoteWriteProblems(spec: unknown, config: StackConfig): string[] {
  const entries = records(at(spec, "remoteWrite"));
  const target = remoteWriteTarget(config);
  if (!target)
    return entries.length === 0
      ? []
      : [`spec.remoteWrite has ${entries.length} entries, expected none (distributed.prometheus.remoteWrite unset)`];
  const [entry, ...extra] = entries;
  if (!entry || extra.length > 0)
    return [
      `spec.remoteWrite has ${entries.length} entries, expected one "${REMOTE_WRITE_NAME}" (distributed.prometheus.remoteWrite)`,
    ];
  const out: string[] = [];
  const url = at(entry, "url");
  const K = REMOTE_WRITE_SECRET.keys;
  if (target.kind === "amp") {
    const region = config.aws.region ?? "";
    if (typeof url !== "string" || !AMP_URL(region).test(url))
      out.push(
        `spec.remoteWrite[0].url is ${show(url)}, expected an AMP workspace's remote_write URL in ${region} (aws.region)`,
      );
    if (at(entry, "sigv4", "region") !== region)
      out.push(
        `spec.remoteWrite[0].sigv4.region is ${show(at(entry, "sigv4", "region"))}, expected "${region}" (aws.region)`,
      );
  } else {
    if (url !== target.url)
      out.push(
        `spec.remoteWrite[0].url is ${show(url)}, expected "${target.url}" (distributed.prometheus.remoteWrite.url)`,
      );
    if (target.auth === "basic")
      out.push(
        ...secretRefProblems(entry, ["basicAuth", "username"], K.username),
        ...secretRefProblems(entry, ["basicAuth", "password"], K.password),
      );
    if (target.auth === "bearer") out.push(...secretRefProblems(entry, ["authorization", "credentials"], K.token));
    const sent = ["basicAuth", "authorization", "sigv4"].filter((a) => at(entry, a) !== undefined);
    const allowed: string[] = { basic: ["basicAuth"], bearer: ["authorization"], none: [] }[target.auth];
    const unexpected = sent.filter((a) => !allowed.includes(a));
    if (unexpected.length > 0)
      out.push(`spec.remoteWrite[0] sets ${unexpected.join(", ")}, expected auth "${target.auth}" only`);
  }
  const queue = queueConfigFor(samplesPerSecond(config), config.capacity.headroomPercent);
  for (const [k, v] of Object.entries(queue))
    if (at(entry, "queueConfig", k) !== v)
      out.push(
        `spec.remoteWrite[0].queueConfig.${k} is ${show(at(entry, "queueConfig", k))}, expected ${v} (capacity model)`,
      );
  const keeps = records(at(entry, "writeRelabelConfigs")).some(
    (r) => r.action === "keep" && strings(r.sourceLabels).join() === "__name__" && typeof r.regex === "string",
  );
  if (config.distributed.prometheus.keepOnlyUsedMetrics !== keeps)
    out.push(
      `spec.remoteWrite[0].writeRelabelConfigs ${keeps ? "keeps" : "has no keep on __name__"}, expected ${config.distributed.prometheus.keepOnlyUsedMetrics ? "a keep on __name__" : "none"} (distributed.prometheus.keepOnlyUsedMetrics)`,
    );
  return out;
}

export function prometheusFindings(objects: RenderedObject[], config: StackConfig): Finding[] {
  return objects
    .filter((r) => r.object.kind === "Prometheus" && r.object.apiVersion.startsWith("monitoring.coreos.com/"))
    .flatMap((r) => prometheusProblems(at(r.object, "spec"), config).map((p) => finding(CHECK, r, p)));
}
