import { repoRoot } from "../../infra/charts/values-files";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { type LabelSelector, podTemplates, selects } from "../../infra/preflight/checks/objects";
import { podReferences } from "../../infra/preflight/checks/references";
import { asKubernetesObject, HELM_CHART_TYPE } from "../../infra/preflight/collect";
import { chartSpecOf } from "../../infra/preflight/main";
import { chartSourcesDir, type RenderedObject, renderChart } from "../../infra/render/render";
import { runStack, type Stack } from "./support";

/*
 * dev, staging and prod rendered side by side, as if they shared one cluster: each environment's objects stay
 * in its own namespaces, its NetworkPolicies admit no other environment's namespaces, and every Secret it
 * references is its own. The program's objects always; with the pinned charts' sources, the charts' too.
 */

type Json = Record<string, any>;
const STACKS: Stack[] = ["dev", "staging", "prod"];
const sources = chartSourcesDir(repoRoot());
const withSources = sources || process.env.REQUIRE_CHART_SOURCES === "1" ? test : test.skip;

const program = {} as Record<Stack, RenderedObject[]>;
const charts = {} as Record<Stack, RenderedObject[]>;
const resourceTypes = {} as Record<Stack, string[]>;
beforeAll(async () => {
  for (const stack of STACKS) {
    const { resources } = await runStack(stack);
    resourceTypes[stack] = resources.map((r) => r.type);
    program[stack] = resources
      .map(asKubernetesObject)
      .filter((o) => o !== undefined)
      .map((object) => ({ object: object as RenderedObject["object"], origin: "program" }));
    charts[stack] = [];
    if (!sources) continue;
    const rendered = await Promise.all(
      resources.filter((r) => r.type === HELM_CHART_TYPE).map((r) => renderChart(chartSpecOf(r), sources)),
    );
    charts[stack] = rendered.flatMap((c) => c.objects);
  }
}, 240_000);

const own = (stack: Stack) => namespaces(loadStackConfig(stack));
const ownNamespaces = (stack: Stack) => [own(stack).apps, own(stack).platform];
const nsOf = (r: RenderedObject) => r.object.metadata.namespace;
const id = (r: RenderedObject) => `${r.object.kind}/${nsOf(r) ?? ""}/${r.object.metadata.name}`;

/** Every namespace of the three environments (and kube-system) with its labels, as namespace selectors see them. */
function allNamespaces(objects: Record<Stack, RenderedObject[]>): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>([
    ["kube-system", { "kubernetes.io/metadata.name": "kube-system" }],
  ]);
  for (const r of STACKS.flatMap((s) => objects[s]).filter((r) => r.object.kind === "Namespace")) {
    const name = r.object.metadata.name;
    out.set(name, { ...(r.object.metadata.labels ?? {}), "kubernetes.io/metadata.name": name });
  }
  return out;
}

/** The namespaces a NetworkPolicy peer admits: those its namespaceSelector selects, else the policy's own. */
function admittedNamespaces(
  peer: { namespaceSelector?: LabelSelector; podSelector?: LabelSelector; ipBlock?: unknown },
  policyNamespace: string,
  known: Map<string, Record<string, string>>,
): string[] {
  if (!peer.namespaceSelector) return [policyNamespace];
  return [...known].filter(([, labels]) => selects(peer.namespaceSelector, labels)).map(([name]) => name);
}

/** Peers of a stack's NetworkPolicies that admit another environment's namespace, and rules open to all. */
function policyFindings(stack: Stack, objects: Record<Stack, RenderedObject[]>) {
  const known = allNamespaces(objects);
  const foreign = new Set(STACKS.filter((s) => s !== stack).flatMap(ownNamespaces));
  const crossing: string[] = [];
  const open: string[] = [];
  let peers = 0;
  for (const r of objects[stack].filter((o) => o.object.kind === "NetworkPolicy")) {
    const spec = (r.object as Json).spec ?? {};
    for (const [direction, key] of [
      ["ingress", "from"],
      ["egress", "to"],
    ] as const) {
      (spec[direction] ?? []).forEach((rule: Json, i: number) => {
        const where = `${r.object.metadata.name} ${direction}[${i}]`;
        if (!rule[key]?.length) open.push(where);
        for (const peer of rule[key] ?? []) {
          peers += 1;
          if (peer.ipBlock) open.push(`${where} ipBlock`);
          const reached = admittedNamespaces(peer, nsOf(r) ?? "", known).filter((n) => foreign.has(n));
          if (reached.length > 0) crossing.push(`${where} admits ${reached.join(", ")}`);
        }
      });
    }
  }
  return { crossing, open, peers };
}

/** Secrets a pod or an operator resource needs, each as `namespace/name`, with where it is named. */
function secretReferences(objects: RenderedObject[]): { secret: string; where: string }[] {
  const out: { secret: string; where: string }[] = [];
  for (const pod of podTemplates(objects)) {
    const where = `${pod.owner.object.kind} ${pod.owner.object.metadata.name}`;
    for (const ref of podReferences(pod.spec).filter((r) => r.kind === "Secret"))
      out.push({ secret: `${pod.namespace}/${ref.name}`, where: `${where} ${ref.where}` });
    for (const pull of pod.spec.imagePullSecrets ?? [])
      out.push({ secret: `${pod.namespace}/${pull.name}`, where: `${where} imagePullSecrets` });
  }
  for (const r of objects.filter((o) => String(o.object.apiVersion).startsWith("monitoring.coreos.com/"))) {
    const spec = (r.object as Json).spec ?? {};
    const names = [...(spec.secrets ?? []), spec.configSecret, spec.additionalScrapeConfigs?.name];
    for (const name of names.filter((n): n is string => typeof n === "string"))
      out.push({ secret: `${nsOf(r)}/${name}`, where: `${r.object.kind} ${r.object.metadata.name} spec` });
  }
  return out;
}

/** References of `stack` that do not resolve to a Secret the same environment creates in the same namespace. */
function foreignOrMissingSecrets(stack: Stack, objects: Record<Stack, RenderedObject[]>): string[] {
  const mine = new Set(
    objects[stack].filter((r) => r.object.kind === "Secret").map((r) => `${nsOf(r)}/${r.object.metadata.name}`),
  );
  return secretReferences(objects[stack])
    .filter((ref) => !mine.has(ref.secret))
    .map((ref) => `${ref.where} → ${ref.secret}`);
}

describe("environments side by side: the program's objects", () => {
  test("each environment has two namespaces of its own; no namespace belongs to two environments", () => {
    const all = STACKS.flatMap(ownNamespaces);
    expect(new Set(all).size).toBe(6);
    for (const stack of STACKS) {
      const made = program[stack].filter((r) => r.object.kind === "Namespace").map((r) => r.object.metadata.name);
      expect(made.sort()).toEqual(ownNamespaces(stack).sort());
    }
  });

  test.each(STACKS)("%s: every namespaced object lives in one of its environment's two namespaces", (stack) => {
    const outside = program[stack].filter(
      (r) => nsOf(r) !== undefined && !ownNamespaces(stack).includes(nsOf(r) ?? ""),
    );
    expect(outside.map(id)).toEqual([]);
    expect(program[stack].filter((r) => nsOf(r) !== undefined).length).toBeGreaterThan(20);
  });

  test("no two environments create an object of the same kind, namespace and name", () => {
    const owners = new Map<string, Stack[]>();
    for (const stack of STACKS)
      for (const key of new Set(program[stack].map(id))) owners.set(key, [...(owners.get(key) ?? []), stack]);
    expect([...owners].filter(([, stacks]) => stacks.length > 1).map(([key]) => key)).toEqual([]);
  });

  test.each(STACKS)(
    "%s: no NetworkPolicy peer admits another environment's namespace; the open rules are the documented ones",
    (stack) => {
      const { crossing, open, peers } = policyFindings(stack, program);
      expect(peers).toBeGreaterThan(10);
      expect(crossing).toEqual([]);
      // order is the entry service (any client); the responder reaches the API server, outside every namespace
      expect(open.sort()).toEqual(["order ingress[0]", "responder egress[1]"]);
    },
  );

  test.each(STACKS)(
    "%s: every Secret a pod or Prometheus resource names is one this environment creates beside it",
    (stack) => {
      expect(foreignOrMissingSecrets(stack, program)).toEqual([]);
      expect(secretReferences(program[stack]).length).toBeGreaterThan(0);
    },
  );

  test.each(STACKS)("%s reads no other stack's outputs or secrets: the program makes no StackReference", (stack) => {
    expect(resourceTypes[stack]).toContain("kubernetes:apps/v1:Deployment");
    expect(resourceTypes[stack].filter((t) => t === "pulumi:pulumi:StackReference")).toEqual([]);
  });
});

describe("the checks can fail", () => {
  test("a namespace selector on the project's label admits every environment's namespaces", () => {
    const known = allNamespaces(program);
    const peer = { namespaceSelector: { matchLabels: { "app.kubernetes.io/part-of": "observability-platform" } } };
    expect(admittedNamespaces(peer, "obs-dev-apps", known).sort()).toEqual(STACKS.flatMap(ownNamespaces).sort());
    expect(admittedNamespaces({ podSelector: {} }, "obs-dev-apps", known)).toEqual(["obs-dev-apps"]);
  });

  test("a policy admitting staging's platform namespace into dev, and a pod naming a Secret dev does not create, are reported", () => {
    const policy: RenderedObject = {
      origin: "test",
      object: {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "leaky", namespace: "obs-dev-apps" },
        spec: {
          podSelector: {},
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "obs-staging-platform" } } }],
            },
          ],
        },
      },
    };
    const pod: RenderedObject = {
      origin: "test",
      object: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "thief", namespace: "obs-dev-apps" },
        spec: {
          template: {
            metadata: { labels: {} },
            spec: { containers: [{ name: "c", envFrom: [{ secretRef: { name: "grafana-admin-prod" } }] }] },
          },
        },
      },
    };
    const leaky = { ...program, dev: [...program.dev, policy, pod] };
    expect(policyFindings("dev", leaky).crossing).toEqual(["leaky ingress[0] admits obs-staging-platform"]);
    expect(foreignOrMissingSecrets("dev", leaky)).toEqual([
      "Deployment thief container c envFrom → obs-dev-apps/grafana-admin-prod",
    ]);
  });
});

/**
 * What two environments sharing one cluster would both create, known and not fixed here (docs/architecture.md,
 * Multi-environment): the charts' cluster-wide RBAC (the later `pulumi up` rebinds kps-prometheus, alloy and
 * loki to its own service accounts, taking them from the other environment), Chaos Mesh's webhooks, and the
 * coredns Service kube-prometheus-stack puts in kube-system. CRDs are shared by design (same chart versions).
 */
const KNOWN_SHARED = [
  "ClusterRole//alloy",
  "ClusterRole//chaos-mesh-chaos-controller-manager-cluster-level",
  "ClusterRole//chaos-mesh-chaos-controller-manager-target-namespace",
  "ClusterRole//chaos-mesh-chaos-dashboard-cluster-level",
  "ClusterRole//chaos-mesh-chaos-dashboard-target-namespace",
  "ClusterRole//kps-operator",
  "ClusterRole//kps-prometheus",
  "ClusterRole//loki-clusterrole",
  "ClusterRoleBinding//alloy",
  "ClusterRoleBinding//chaos-mesh-chaos-controller-manager-cluster-level",
  "ClusterRoleBinding//chaos-mesh-chaos-controller-manager-target-namespace",
  "ClusterRoleBinding//chaos-mesh-chaos-dashboard-cluster-level",
  "ClusterRoleBinding//chaos-mesh-chaos-dashboard-target-namespace",
  "ClusterRoleBinding//kps-operator",
  "ClusterRoleBinding//kps-prometheus",
  "ClusterRoleBinding//loki-clusterrolebinding",
  "MutatingWebhookConfiguration//chaos-mesh-mutation",
  "Service/kube-system/kps-coredns",
  "ValidatingWebhookConfiguration//chaos-mesh-validation",
  "ValidatingWebhookConfiguration//chaos-mesh-validation-auth",
];
const SHARED_CRD_GROUPS = ["monitoring.coreos.com", "monitoring.grafana.com", "chaos-mesh.org"];
/** Kinds without a namespace (a chart template may still write one: Kubernetes ignores it). */
const CLUSTER_SCOPED = new Set([
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "Namespace",
]);
const clusterId = (r: RenderedObject) =>
  CLUSTER_SCOPED.has(r.object.kind) ? `${r.object.kind}//${r.object.metadata.name}` : id(r);

describe("environments side by side: the program's objects and every chart's, rendered", () => {
  const everything = () =>
    Object.fromEntries(STACKS.map((s) => [s, [...program[s], ...charts[s]]])) as Record<Stack, RenderedObject[]>;

  withSources(
    "every namespaced object is in its environment's namespaces, but kube-prometheus-stack's coredns Service",
    () => {
      const objects = everything();
      for (const stack of STACKS) {
        const outside = objects[stack].filter(
          (r) => !CLUSTER_SCOPED.has(r.object.kind) && !ownNamespaces(stack).includes(nsOf(r) ?? ""),
        );
        expect([stack, outside.map(id)]).toEqual([stack, ["Service/kube-system/kps-coredns"]]);
        expect(charts[stack].length).toBeGreaterThan(50);
      }
    },
  );

  withSources("objects two environments would both create: shared CRDs and the known cluster-wide names only", () => {
    const objects = everything();
    const owners = new Map<string, Set<Stack>>();
    for (const stack of STACKS)
      for (const r of objects[stack]) owners.set(clusterId(r), (owners.get(clusterId(r)) ?? new Set()).add(stack));
    const shared = [...owners].filter(([, stacks]) => stacks.size > 1).map(([key]) => key);
    const crds = shared.filter((key) => key.startsWith("CustomResourceDefinition//"));
    expect(crds.filter((key) => !SHARED_CRD_GROUPS.some((g) => key.endsWith(`.${g}`)))).toEqual([]);
    expect(shared.filter((key) => !crds.includes(key)).sort()).toEqual(KNOWN_SHARED);
  });

  withSources("no NetworkPolicy, the charts' included, admits another environment's namespace", () => {
    const objects = everything();
    for (const stack of STACKS) {
      const { crossing, open } = policyFindings(stack, objects);
      expect([stack, crossing, open.sort()]).toEqual([stack, [], ["order ingress[0]", "responder egress[1]"]]);
    }
  });

  withSources(
    "every Secret a chart's pod or Prometheus resource names is one its own environment creates beside it",
    () => {
      const objects = everything();
      for (const stack of STACKS) {
        expect([stack, foreignOrMissingSecrets(stack, objects)]).toEqual([stack, []]);
        expect(secretReferences(objects[stack]).length).toBeGreaterThan(secretReferences(program[stack]).length);
      }
    },
  );
});
