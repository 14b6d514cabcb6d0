import { describeProjection, type KeyedProjection, storageProjections } from "../../capacity/projections";
import { storeUsage } from "../../capacity/stores";
import type { StackConfig } from "../../config/schema";
import { namespaces } from "../../platform/naming";
import type { RenderedObject } from "../../render/render";
import type { Finding } from "./objects";

const configObject = (config: StackConfig) => `stack config (Pulumi.${config.environment}.yaml)`;

/**
 * Each store's configured size against the disk projected from the stack's `capacity` block
 * (infra/capacity/projections.ts): a volume below the projection fills before its retention is reached.
 */
export function storageSizing(
  config: StackConfig,
  projections: KeyedProjection[] = storageProjections(config),
): Finding[] {
  return projections
    .filter((p) => !p.ok)
    .map((p) => ({
      check: "storage-sizing",
      object: configObject(config),
      message: `${p.key} is below the projected need: ${describeProjection(p)}; raise ${p.key} or lower the retention`,
    }));
}

/** `<template>-<statefulset>-<ordinal>` for every replica: the PVCs a StatefulSet's claim templates create. */
function claimNames(r: RenderedObject): string[] {
  const o = r.object as { kind: string; metadata: { name: string }; spec?: Record<string, unknown> };
  if (o.kind === "PersistentVolumeClaim") return [o.metadata.name];
  if (o.kind !== "StatefulSet") return [];
  const templates = (o.spec?.volumeClaimTemplates ?? []) as { metadata?: { name?: string } }[];
  const replicas = typeof o.spec?.replicas === "number" ? o.spec.replicas : 1;
  return templates.flatMap((t) =>
    Array.from({ length: replicas }, (_, i) => `${t.metadata?.name ?? ""}-${o.metadata.name}-${i}`),
  );
}

/**
 * The storage alerts of Loki and Jaeger stay quiet where the kubelet reports their PVC (infra/capacity/stores.ts):
 * a claim pattern that matches no claim the cluster would hold would never silence them, and one that matched
 * another store's claim would silence the wrong one. Persistent stacks only (dev has no claims).
 */
export function storeClaimsExist(objects: RenderedObject[], config: StackConfig): Finding[] {
  if (!config.storage.persistent) return [];
  const platform = namespaces(config).platform;
  const claims = objects
    .filter((r) => r.object.metadata.namespace === platform)
    .flatMap(claimNames)
    .sort();
  return storeUsage(config).flatMap((usage) => {
    if (usage.claimPattern === undefined) return [];
    const pattern = new RegExp(`^(?:${usage.claimPattern})$`);
    const matched = claims.filter((c) => pattern.test(c));
    if (matched.length > 0) return [];
    return [
      {
        check: "store-claims",
        object: configObject(config),
        message: `the ${usage.store} storage alert looks for PersistentVolumeClaim ~ "${usage.claimPattern}" in ${platform}, which matches none of: ${claims.join(", ") || "no claims"}`,
      },
    ];
  });
}
