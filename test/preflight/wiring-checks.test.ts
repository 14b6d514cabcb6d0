import { OPEN_RULE_REASON_ANNOTATION } from "../../infra/platform/labels";
import { networkPoliciesSelectPods } from "../../infra/preflight/checks/network-policies";
import { podTemplates, providedObjects, selects } from "../../infra/preflight/checks/objects";
import { referencedObjectsExist } from "../../infra/preflight/checks/references";
import { serviceSelectsPods, workloadSelectorMatchesTemplate } from "../../infra/preflight/checks/selectors";
import { deployment, obj } from "./support";

const APP = { "app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki" };

describe("label selectors (Kubernetes semantics)", () => {
  test("matchLabels and every matchExpressions operator", () => {
    const labels = { a: "1", b: "2" };
    expect(selects({ matchLabels: { a: "1" } }, labels)).toBe(true);
    expect(selects({ matchLabels: { a: "2" } }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: "b", operator: "In", values: ["2", "3"] }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: "b", operator: "NotIn", values: ["2"] }] }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: "c", operator: "Exists" }] }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: "c", operator: "DoesNotExist" }] }, labels)).toBe(true);
    expect(selects({}, labels)).toBe(true);
  });

  test("the Prometheus operator's pods for a Prometheus resource carry its podMetadata labels", () => {
    const prometheus = obj({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "Prometheus",
      metadata: { name: "kps-prometheus", namespace: "p" },
      spec: { podMetadata: { labels: { team: "t" } } },
    });
    expect(podTemplates([prometheus])[0]?.labels).toMatchObject({
      "app.kubernetes.io/name": "prometheus",
      prometheus: "kps-prometheus",
      team: "t",
    });
  });
});

describe("workload-selector check", () => {
  test("fails when the selector does not match the pod template (duplicate-key label collision), passes when it does", () => {
    const good = deployment("loki", "p", APP);
    const broken = obj({
      ...good.object,
      spec: {
        ...(good.object.spec as object),
        template: { metadata: { labels: { ...APP, "app.kubernetes.io/name": "logging" } } },
      },
    });
    expect(workloadSelectorMatchesTemplate([good])).toEqual([]);
    const findings = workloadSelectorMatchesTemplate([broken]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.object).toBe("Deployment p/loki (test)");
    expect(findings[0]?.message).toMatch(/does not match the pod template labels .*logging/);
  });
});

describe("service-selects-pods check", () => {
  const service = (selector: Record<string, string>, namespace = "p") =>
    obj({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "loki", namespace },
      spec: { selector, ports: [{ port: 3100 }] },
    });

  test("fails for a Service whose selector matches no pod in its namespace; passes when one matches", () => {
    const pods = deployment("loki", "p", APP);
    expect(serviceSelectsPods([pods, service(APP)])).toEqual([]);
    expect(serviceSelectsPods([pods, service({ "app.kubernetes.io/name": "logging" })])[0]?.message).toMatch(
      /matches no pod template in p/,
    );
    expect(serviceSelectsPods([pods, service(APP, "other")])).toHaveLength(1);
  });

  test("a Service without a selector (endpoints managed elsewhere) is not judged", () => {
    expect(serviceSelectsPods([service({})])).toEqual([]);
  });
});

describe("references check", () => {
  const podSpec = {
    serviceAccountName: "loki",
    volumes: [
      { name: "config", configMap: { name: "loki-config" } },
      { name: "tls", secret: { secretName: "kps-admission" } },
      { name: "maybe", secret: { secretName: "optional-one", optional: true } },
    ],
    containers: [{ name: "c", env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "token", key: "t" } } }] }],
  };
  const present = (kind: string, name: string) => obj({ apiVersion: "v1", kind, metadata: { name, namespace: "p" } });

  test("fails for every non-optional Secret, ConfigMap or ServiceAccount nothing creates (the operator's hook-made TLS Secret)", () => {
    const findings = referencedObjectsExist([
      deployment("loki", "p", APP, podSpec),
      present("ConfigMap", "loki-config"),
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      "serviceAccountName needs ServiceAccount p/loki, which nothing creates",
      "volume tls needs Secret p/kps-admission, which nothing creates",
      "container c env TOKEN needs Secret p/token, which nothing creates",
    ]);
  });

  test("passes when everything referenced exists in the pod's namespace", () => {
    const all = [
      deployment("loki", "p", APP, podSpec),
      present("ConfigMap", "loki-config"),
      present("Secret", "kps-admission"),
      present("Secret", "token"),
      present("ServiceAccount", "loki"),
    ];
    expect(referencedObjectsExist(all)).toEqual([]);
  });

  test("an Alertmanager resource's config Secret must exist", () => {
    const am = obj({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "Alertmanager",
      metadata: { name: "kps-alertmanager", namespace: "p" },
      spec: { configSecret: "am-config" },
    });
    expect(referencedObjectsExist([am])[0]?.message).toMatch(/spec.configSecret needs Secret p\/am-config/);
    expect(referencedObjectsExist([am, present("Secret", "am-config")])).toEqual([]);
  });

  test("a RoleBinding needs its Role in its namespace and its ServiceAccount subjects in theirs (the responder's crosses namespaces)", () => {
    const binding = (subjectNamespace?: string) =>
      obj({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "responder", namespace: "apps" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "responder" },
        subjects: [
          { kind: "ServiceAccount", name: "responder", ...(subjectNamespace ? { namespace: subjectNamespace } : {}) },
        ],
      });
    const role = obj({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "responder", namespace: "apps" },
    });
    const account = present("ServiceAccount", "responder"); // in namespace p
    expect(referencedObjectsExist([binding("p"), role, account])).toEqual([]);
    // the subject's namespace left out means the binding's own, where no such ServiceAccount is
    expect(referencedObjectsExist([binding(), role, account]).map((f) => f.message)).toEqual([
      "subjects[0] needs ServiceAccount apps/responder, which nothing creates",
    ]);
    expect(referencedObjectsExist([binding("p"), account]).map((f) => f.message)).toEqual([
      "roleRef needs Role apps/responder, which nothing creates",
    ]);
  });
});

describe("network-policy check", () => {
  const policy = (spec: Record<string, unknown>, annotations?: Record<string, string>) =>
    obj({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "order", namespace: "apps", ...(annotations ? { annotations } : {}) },
      spec,
    });
  const order = deployment("order", "apps", { app: "order" });
  const prometheus = deployment("prometheus", "platform", { "app.kubernetes.io/name": "prometheus" });
  const fromPrometheus = (labels: Record<string, string>) => ({
    from: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "platform" } },
        podSelector: { matchLabels: labels },
      },
    ],
    ports: [{ port: 8080 }],
  });

  test("passes when the policy and every peer select pods", () => {
    const p = policy({
      podSelector: { matchLabels: { app: "order" } },
      ingress: [fromPrometheus({ "app.kubernetes.io/name": "prometheus" })],
    });
    expect(networkPoliciesSelectPods([order, prometheus, p])).toEqual([]);
  });

  test("fails when a peer selects no pod (a label the chart does not render)", () => {
    const p = policy({
      podSelector: { matchLabels: { app: "order" } },
      ingress: [fromPrometheus({ app: "prometheus" })],
    });
    expect(networkPoliciesSelectPods([order, prometheus, p])[0]?.message).toMatch(
      /ingress\[0\]\.from\[0\] .* selects no pod/,
    );
  });

  test("fails when the policy itself selects no pod", () => {
    const p = policy({ podSelector: { matchLabels: { app: "ordr" } } });
    expect(networkPoliciesSelectPods([order, p])[0]?.message).toMatch(/spec.podSelector .* selects no pod in apps/);
  });

  test("a rule open to every source fails unless the policy says why", () => {
    const open = { podSelector: { matchLabels: { app: "order" } }, ingress: [{ ports: [{ port: 8080 }] }] };
    expect(networkPoliciesSelectPods([order, policy(open)])[0]?.message).toMatch(
      /ingress\[0\] has no "from": open to every source/,
    );
    expect(
      networkPoliciesSelectPods([order, policy(open, { [OPEN_RULE_REASON_ANNOTATION]: "entry service" })]),
    ).toEqual([]);
  });

  test("peers in kube-system find the cluster's CoreDNS pods among the provided objects", () => {
    const dns = policy({
      podSelector: { matchLabels: { app: "order" } },
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
        },
      ],
    });
    expect(networkPoliciesSelectPods([order, dns])).toHaveLength(1);
    expect(networkPoliciesSelectPods([order, dns, ...providedObjects("platform", "kps-kubelet")])).toEqual([]);
  });
});
