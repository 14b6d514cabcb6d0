import type { StackConfig } from "../../../config/schema";
import type { RenderedObject } from "../../../render/render";
import { type Finding, finding } from "../objects";
import { durationSeconds, GI, prometheusBytes } from "./units";
import { at, CHECK, claimProblems, show, strings } from "./workloads";

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
  if (replicas !== m.replicas)
    out.push(`spec.replicas is ${show(replicas)}, expected ${m.replicas} (metrics.replicas)`);
  const interval = at(spec, "scrapeInterval") ?? "30s"; // the operator's default
  if (durationSeconds(interval, "prometheus") !== durationSeconds(m.scrapeInterval, "prometheus"))
    out.push(`spec.scrapeInterval is ${show(interval)}, expected "${m.scrapeInterval}" (metrics.scrapeInterval)`);
  const features = strings(at(spec, "enableFeatures"));
  if (!features.includes("exemplar-storage"))
    out.push(
      `spec.enableFeatures is ${show(features)}, expected it to contain "exemplar-storage" (trace links on metrics)`,
    );
  return out;
}

export function prometheusFindings(objects: RenderedObject[], config: StackConfig): Finding[] {
  return objects
    .filter((r) => r.object.kind === "Prometheus" && r.object.apiVersion.startsWith("monitoring.coreos.com/"))
    .flatMap((r) => prometheusProblems(at(r.object, "spec"), config).map((p) => finding(CHECK, r, p)));
}
