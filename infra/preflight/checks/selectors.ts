import type { RenderedObject } from "../../render/render";
import { type Finding, finding, type LabelSelector, podTemplates, selects, selectsMap } from "./objects";

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]);

/** The API server rejects a workload whose selector does not match its own pod template. */
export function workloadSelectorMatchesTemplate(objects: RenderedObject[]): Finding[] {
  const out: Finding[] = [];
  for (const r of objects) {
    const o = r.object as {
      kind: string;
      spec?: { selector?: LabelSelector; template?: { metadata?: { labels?: Record<string, string> } } };
    };
    if (!WORKLOADS.has(o.kind)) continue;
    const labels = o.spec?.template?.metadata?.labels ?? {};
    if (!o.spec?.selector || !selects(o.spec.selector, labels)) {
      out.push(
        finding(
          "workload-selector",
          r,
          `spec.selector ${JSON.stringify(o.spec?.selector ?? null)} does not match the pod template labels ${JSON.stringify(labels)}`,
        ),
      );
    }
  }
  return out;
}

/** A Service with a selector must reach some pod in its namespace, else it has no endpoints. */
export function serviceSelectsPods(objects: RenderedObject[]): Finding[] {
  const pods = podTemplates(objects);
  const out: Finding[] = [];
  for (const r of objects) {
    const o = r.object as {
      kind: string;
      metadata: { namespace?: string };
      spec?: { selector?: Record<string, string>; type?: string };
    };
    if (o.kind !== "Service" || o.spec?.type === "ExternalName") continue;
    const selector = o.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) continue; // endpoints managed by someone else
    const ns = o.metadata.namespace ?? "";
    if (!pods.some((p) => p.namespace === ns && selectsMap(selector, p.labels))) {
      out.push(
        finding("service-selects-pods", r, `selector ${JSON.stringify(selector)} matches no pod template in ${ns}`),
      );
    }
  }
  return out;
}
