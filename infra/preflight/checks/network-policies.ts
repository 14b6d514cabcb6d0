import { OPEN_RULE_REASON_ANNOTATION } from "../../platform/labels";
import type { RenderedObject } from "../../render/render";
import { type Finding, finding, type LabelSelector, type PodTemplate, podTemplates, selects } from "./objects";

interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: unknown[];
}
interface NetworkPolicySpec {
  podSelector?: LabelSelector;
  ingress?: Rule[];
  egress?: Rule[];
}

/** Namespaces by the label every namespace carries (kubernetes.io/metadata.name) plus their own labels. */
function namespaceLabels(objects: RenderedObject[], pods: PodTemplate[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const name of new Set(pods.map((p) => p.namespace))) out.set(name, { "kubernetes.io/metadata.name": name });
  for (const { object } of objects.filter((r) => r.object.kind === "Namespace")) {
    const name = object.metadata.name;
    out.set(name, { ...(object.metadata.labels ?? {}), "kubernetes.io/metadata.name": name });
  }
  return out;
}

/** The pods a peer admits: pod selector in the policy's namespace, or in the namespaces it selects. */
function peerPods(
  peer: Peer,
  policyNamespace: string,
  pods: PodTemplate[],
  namespaces: Map<string, Record<string, string>>,
) {
  const inNamespaces = peer.namespaceSelector
    ? [...namespaces].filter(([, labels]) => selects(peer.namespaceSelector, labels)).map(([n]) => n)
    : [policyNamespace];
  const podSelector = peer.podSelector ?? {};
  return pods.filter((p) => inNamespaces.includes(p.namespace) && selects(podSelector, p.labels));
}

/**
 * Every NetworkPolicy selects some pod; every peer selects some pod (a typo in a label silently blocks
 * traffic); a rule without peers (open to all) is allowed only when the policy says why.
 */
export function networkPoliciesSelectPods(objects: RenderedObject[]): Finding[] {
  const pods = podTemplates(objects);
  const namespaces = namespaceLabels(objects, pods);
  const out: Finding[] = [];
  for (const r of objects.filter((o) => o.object.kind === "NetworkPolicy")) {
    const ns = r.object.metadata.namespace ?? "";
    const spec = (r.object as { spec?: NetworkPolicySpec }).spec ?? {};
    if (!pods.some((p) => p.namespace === ns && selects(spec.podSelector ?? {}, p.labels))) {
      out.push(
        finding("network-policy", r, `spec.podSelector ${JSON.stringify(spec.podSelector)} selects no pod in ${ns}`),
      );
    }
    const reason = (r.object.metadata.annotations as Record<string, string> | undefined)?.[OPEN_RULE_REASON_ANNOTATION];
    for (const [direction, rules, key] of [
      ["ingress", spec.ingress ?? [], "from"],
      ["egress", spec.egress ?? [], "to"],
    ] as const) {
      rules.forEach((rule, i) => {
        const peers = rule[key];
        if (!peers || peers.length === 0) {
          if (!reason?.trim()) {
            out.push(
              finding(
                "network-policy",
                r,
                `${direction}[${i}] has no "${key}": open to every ${key === "from" ? "source" : "destination"}; say why in the ${OPEN_RULE_REASON_ANNOTATION} annotation or name the peers`,
              ),
            );
          }
          return;
        }
        peers.forEach((peer, j) => {
          if (peer.ipBlock) return;
          if (peerPods(peer, ns, pods, namespaces).length === 0) {
            out.push(
              finding("network-policy", r, `${direction}[${i}].${key}[${j}] ${JSON.stringify(peer)} selects no pod`),
            );
          }
        });
      });
    }
  }
  return out;
}
