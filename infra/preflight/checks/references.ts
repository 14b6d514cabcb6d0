import type { RenderedObject } from "../../render/render";
import { type Finding, finding, podTemplates } from "./objects";

interface Reference {
  kind: "Secret" | "ConfigMap" | "ServiceAccount" | "Role";
  name: string;
  where: string;
  /** Where the referenced object must be, when not in the referring object's namespace. */
  namespace?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: pod specs are arbitrary JSON
type Json = any;

/** Every Secret, ConfigMap and ServiceAccount a pod needs to start (optional ones excluded). */
export function podReferences(spec: Json): Reference[] {
  const refs: Reference[] = [];
  const add = (kind: Reference["kind"], name: unknown, where: string, optional: unknown) => {
    if (typeof name === "string" && name && optional !== true) refs.push({ kind, name, where });
  };
  if (spec.serviceAccountName) add("ServiceAccount", spec.serviceAccountName, "serviceAccountName", false);
  for (const v of spec.volumes ?? []) {
    add("Secret", v.secret?.secretName, `volume ${v.name}`, v.secret?.optional);
    add("ConfigMap", v.configMap?.name, `volume ${v.name}`, v.configMap?.optional);
    for (const s of v.projected?.sources ?? []) {
      add("Secret", s.secret?.name, `volume ${v.name}`, s.secret?.optional);
      add("ConfigMap", s.configMap?.name, `volume ${v.name}`, s.configMap?.optional);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const e of c.env ?? []) {
      const from = e.valueFrom ?? {};
      add("Secret", from.secretKeyRef?.name, `container ${c.name} env ${e.name}`, from.secretKeyRef?.optional);
      add("ConfigMap", from.configMapKeyRef?.name, `container ${c.name} env ${e.name}`, from.configMapKeyRef?.optional);
    }
    for (const e of c.envFrom ?? []) {
      add("Secret", e.secretRef?.name, `container ${c.name} envFrom`, e.secretRef?.optional);
      add("ConfigMap", e.configMapRef?.name, `container ${c.name} envFrom`, e.configMapRef?.optional);
    }
  }
  return refs;
}

/** Secrets the Prometheus operator and Alertmanager resources reference by name in their spec. */
function operatorReferences(r: RenderedObject): Reference[] {
  const o = r.object as Json;
  if (!String(o.apiVersion).startsWith("monitoring.coreos.com/")) return [];
  const refs: Reference[] = [];
  for (const name of o.spec?.secrets ?? []) refs.push({ kind: "Secret", name, where: "spec.secrets" });
  for (const name of o.spec?.configMaps ?? []) refs.push({ kind: "ConfigMap", name, where: "spec.configMaps" });
  if (o.kind === "Alertmanager" && o.spec?.configSecret) {
    refs.push({ kind: "Secret", name: o.spec.configSecret, where: "spec.configSecret" });
  }
  // remote-write credentials: the operator reads these Secrets from the resource's namespace
  for (const [i, rw] of (o.spec?.remoteWrite ?? []).entries()) {
    for (const ref of [rw?.basicAuth?.username, rw?.basicAuth?.password, rw?.authorization?.credentials]) {
      if (ref?.name && ref.optional !== true)
        refs.push({ kind: "Secret", name: ref.name, where: `spec.remoteWrite[${i}]` });
    }
  }
  const scrape = o.spec?.additionalScrapeConfigs;
  if (scrape?.name && scrape.optional !== true) {
    refs.push({ kind: "Secret", name: scrape.name, where: "spec.additionalScrapeConfigs" });
  }
  return refs;
}

/**
 * What a RoleBinding grants to and with: its Role (in its own namespace) and its ServiceAccount subjects (in
 * theirs; a binding across namespaces, such as the responder's, names the subject's namespace). A typo
 * here deploys fine and fails later with 403 Forbidden.
 */
function bindingReferences(r: RenderedObject): Reference[] {
  const o = r.object as Json;
  if (o.kind !== "RoleBinding" && o.kind !== "ClusterRoleBinding") return [];
  const refs: Reference[] = [];
  if (o.kind === "RoleBinding" && o.roleRef?.kind === "Role") {
    refs.push({ kind: "Role", name: o.roleRef.name, where: "roleRef" });
  }
  for (const [i, s] of (o.subjects ?? []).entries()) {
    if (s?.kind !== "ServiceAccount") continue;
    const namespace = s.namespace ?? o.metadata.namespace ?? "";
    refs.push({ kind: "ServiceAccount", name: s.name, where: `subjects[${i}]`, namespace });
  }
  return refs;
}

/**
 * A pod whose Secret, ConfigMap or ServiceAccount does not exist never starts (stuck in ContainerCreating);
 * a RoleBinding whose Role or ServiceAccount does not exist grants nothing.
 */
export function referencedObjectsExist(objects: RenderedObject[]): Finding[] {
  const present = new Set(
    objects.map((r) => `${r.object.kind}/${r.object.metadata.namespace ?? ""}/${r.object.metadata.name}`),
  );
  const out: Finding[] = [];
  const check = (owner: RenderedObject, namespace: string, refs: Reference[]) => {
    for (const ref of refs) {
      if (ref.kind === "ServiceAccount" && ref.name === "default") continue; // every namespace has one
      const ns = ref.namespace ?? namespace;
      if (!present.has(`${ref.kind}/${ns}/${ref.name}`)) {
        out.push(
          finding("references", owner, `${ref.where} needs ${ref.kind} ${ns}/${ref.name}, which nothing creates`),
        );
      }
    }
  };
  for (const pod of podTemplates(objects)) check(pod.owner, pod.namespace, podReferences(pod.spec));
  for (const r of objects) {
    check(r, r.object.metadata.namespace ?? "", [...operatorReferences(r), ...bindingReferences(r)]);
  }
  return out;
}
