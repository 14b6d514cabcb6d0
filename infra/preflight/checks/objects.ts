import type { KubernetesObject, RenderedObject } from "../../render/render";

/**
 * Shared vocabulary of the preflight checks: what the cluster would hold (program objects, rendered chart
 * objects, and what a named controller or the cluster itself provides), pod templates, label selectors.
 */

export interface Finding {
  /** The check that found it, e.g. `service-selects-pods`. */
  check: string;
  /** `Kind namespace/name (origin template)`. */
  object: string;
  message: string;
}

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes specs are arbitrary JSON
type Json = any;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A pod as some object will create it: a workload's template, or what an operator creates for a CR. */
export interface PodTemplate {
  namespace: string;
  labels: Record<string, string>;
  spec: Record<string, Json>;
  owner: RenderedObject;
}

export const nameOf = (o: KubernetesObject) => o.metadata.name;
export const namespaceOf = (o: KubernetesObject, fallback = "") => o.metadata.namespace ?? fallback;

/** `Deployment obs-dev-platform/loki (loki/templates/…)`: enough to find the object and its source. */
export function describe(r: RenderedObject): string {
  const ns = r.object.metadata.namespace ? `${r.object.metadata.namespace}/` : "";
  const where = r.template ? `${r.origin}: ${r.template}` : r.origin;
  return `${r.object.kind} ${ns}${r.object.metadata.name} (${where})`;
}

export function finding(check: string, r: RenderedObject, message: string): Finding {
  return { check, object: describe(r), message };
}

/** Kubernetes label-selector semantics; an empty selector selects everything. */
export function selects(
  selector: LabelSelector | undefined | null,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return false;
  const have = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (have[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(have, e.key);
    const value = have[e.key];
    const ok =
      e.operator === "In"
        ? present && (e.values ?? []).includes(value as string)
        : e.operator === "NotIn"
          ? !present || !(e.values ?? []).includes(value as string)
          : e.operator === "Exists"
            ? present
            : e.operator === "DoesNotExist"
              ? !present
              : false;
    if (!ok) return false;
  }
  return true;
}

/** A Service-style selector (plain map): every pair must match; an empty map selects nothing useful. */
export const selectsMap = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selects({ matchLabels: selector ?? {} }, labels);

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

/** Pods the Prometheus operator creates for a Prometheus or Alertmanager resource (operator v0.93 labels). */
function operatorPods(r: RenderedObject): PodTemplate[] {
  const o = r.object as KubernetesObject & { spec?: Record<string, Json> };
  const app = o.kind === "Prometheus" ? "prometheus" : o.kind === "Alertmanager" ? "alertmanager" : undefined;
  if (!app || !o.apiVersion.startsWith("monitoring.coreos.com/")) return [];
  const name = o.metadata.name;
  const labels: Record<string, string> = {
    ...(o.spec?.podMetadata?.labels ?? {}),
    "app.kubernetes.io/name": app,
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/managed-by": "prometheus-operator",
    [app]: name,
    ...(app === "prometheus" ? { "operator.prometheus.io/name": name, "operator.prometheus.io/shard": "0" } : {}),
  };
  // The operator builds the containers itself; what the CR says about them is enough for the checks.
  const spec = {
    serviceAccountName: o.spec?.serviceAccountName,
    containers: [{ name: app, ports: [{ name: app === "prometheus" ? "web" : "http-web" }] }],
  };
  return [{ namespace: namespaceOf(o), labels, spec, owner: r }];
}

/** Every pod template in the set, including operator-created Prometheus/Alertmanager pods. */
export function podTemplates(objects: RenderedObject[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const r of objects) {
    const o = r.object as KubernetesObject & { spec?: Record<string, Json> };
    if (WORKLOADS.has(o.kind) && o.spec?.template) {
      out.push({
        namespace: namespaceOf(o),
        labels: o.spec.template.metadata?.labels ?? {},
        spec: o.spec.template.spec ?? {},
        owner: r,
      });
    } else if (o.kind === "CronJob" && o.spec?.jobTemplate?.spec?.template) {
      const t = o.spec.jobTemplate.spec.template;
      out.push({ namespace: namespaceOf(o), labels: t.metadata?.labels ?? {}, spec: t.spec ?? {}, owner: r });
    } else {
      out.push(...operatorPods(r));
    }
  }
  return out;
}

/**
 * What every supported cluster has before the platform arrives, and what named controllers create: the
 * checks count these as present. Each says who provides it.
 */
export function providedObjects(platformNamespace: string, kubeletService: string): RenderedObject[] {
  const provided = (object: KubernetesObject, by: string): RenderedObject => ({ object, origin: `provided by ${by}` });
  return [
    provided(
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: "kubernetes",
          namespace: "default",
          labels: { component: "apiserver", provider: "kubernetes" },
        },
        spec: { ports: [{ name: "https", port: 443 }] },
      },
      "the API server",
    ),
    provided(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "coredns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
        spec: {
          selector: { matchLabels: { "k8s-app": "kube-dns" } },
          template: {
            metadata: { labels: { "k8s-app": "kube-dns" } },
            spec: {
              containers: [{ name: "coredns", ports: [{ name: "dns" }, { name: "dns-tcp" }, { name: "metrics" }] }],
            },
          },
        },
      },
      "the cluster (CoreDNS)",
    ),
    provided(
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "kube-dns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
        spec: {
          selector: { "k8s-app": "kube-dns" },
          ports: [
            { name: "dns", port: 53 },
            { name: "metrics", port: 9153 },
          ],
        },
      },
      "the cluster (CoreDNS)",
    ),
    provided(
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: kubeletService,
          namespace: "kube-system",
          labels: { "app.kubernetes.io/name": "kubelet", "k8s-app": "kubelet" },
        },
        spec: {
          clusterIP: "None",
          ports: [
            { name: "https-metrics", port: 10250 },
            { name: "http-metrics", port: 10255 },
          ],
        },
      },
      "the Prometheus operator (--kubelet-service)",
    ),
    provided(
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "kube-system", labels: { "kubernetes.io/metadata.name": "kube-system" } },
      },
      "the cluster",
    ),
    provided(
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: platformNamespace } },
      "the cluster (every namespace)",
    ),
  ];
}
