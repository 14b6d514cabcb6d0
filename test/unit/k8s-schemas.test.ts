import {
  type KubernetesObject,
  type SchemaVerdict,
  supportedKinds,
  validateKubernetesObject,
} from "../../infra/preflight/k8s-schemas";

const labels = { "app.kubernetes.io/name": "checkout" };

function deployment(container: Record<string, unknown>, spec: Record<string, unknown> = {}): KubernetesObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "checkout", namespace: "shop" },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [container] } },
      ...spec,
    },
  };
}

const container = {
  name: "checkout",
  image: "ghcr.io/acme/checkout:1.2.3",
  imagePullPolicy: "IfNotPresent",
  ports: [{ name: "http", containerPort: 8080 }],
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
};

function service(port: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "checkout", namespace: "shop" },
    spec: { selector: labels, ports: [port] },
  };
}

function errorsOf(verdict: SchemaVerdict): string[] {
  if (verdict.status !== "invalid") throw new Error(`expected "invalid", got ${JSON.stringify(verdict)}`);
  return verdict.errors;
}

const validObjects: KubernetesObject[] = [
  deployment(container),
  service({ name: "http", port: 80, targetPort: "http", protocol: "TCP" }),
  {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: "checkout", namespace: "shop" },
    spec: { selector: { matchLabels: labels }, endpoints: [{ port: "http", path: "/metrics", interval: "30s" }] },
  },
  {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "checkout", namespace: "shop" },
    spec: {
      groups: [
        {
          name: "checkout.slo",
          rules: [
            { record: "job:http_requests:rate5m", expr: "sum by (job) (rate(http_requests_total[5m]))" },
            { alert: "CheckoutDown", expr: "up{job='checkout'} == 0", for: "5m", labels: { severity: "page" } },
          ],
        },
      ],
    },
  },
  {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "checkout", namespace: "shop" },
    spec: {
      podSelector: { matchLabels: labels },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080, protocol: "TCP" }] }],
    },
  },
  {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "checkout", namespace: "shop" },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "checkout" },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
      ],
    },
  },
  {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: "checkout", namespace: "shop" },
    spec: { minAvailable: "50%", selector: { matchLabels: labels } },
  },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { team: "payments" } } },
  {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "shop" },
    type: "Opaque",
    data: { password: Buffer.from("hunter2").toString("base64") },
    stringData: { user: "checkout" },
  },
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "checkout", namespace: "shop" },
    data: { LOG_LEVEL: "info" },
  },
];

describe("validateKubernetesObject accepts well-formed objects", () => {
  test.each(validObjects.map((o) => [`${o.apiVersion}/${o.kind}`, o] as const))("%s is valid", async (_, obj) => {
    expect(await validateKubernetesObject(obj)).toEqual({ status: "valid" });
  });

  test("IntOrString fields accept both a number and a string", async () => {
    expect(await validateKubernetesObject(service({ port: 80, targetPort: 8080 }))).toEqual({ status: "valid" });
    expect(await validateKubernetesObject(service({ port: 80, targetPort: "http" }))).toEqual({ status: "valid" });
  });

  test("does not mutate the object it validates", async () => {
    const obj = deployment(container);
    const before = structuredClone(obj);
    await validateKubernetesObject(obj);
    expect(obj).toEqual(before);
  });
});

describe("validateKubernetesObject reports mistakes with the JSON path of the bad field", () => {
  test("a container image given as a number", async () => {
    const verdict = await validateKubernetesObject(deployment({ ...container, image: 5 }));
    expect(errorsOf(verdict)).toEqual(["spec.template.spec.containers[0].image: must be string"]);
  });

  test("a Service port given as a string where an int32 is required", async () => {
    const verdict = await validateKubernetesObject(service({ port: "80", targetPort: 8080 }));
    expect(errorsOf(verdict)).toEqual(["spec.ports[0].port: must be integer"]);
  });

  test("an IntOrString field of another type names both allowed forms once", async () => {
    const verdict = await validateKubernetesObject(service({ port: 80, targetPort: { name: "http" } }));
    expect(errorsOf(verdict)).toEqual(["spec.ports[0].targetPort: must be string or must be integer"]);
  });

  test("a Deployment without spec.selector", async () => {
    const { selector: _, ...spec } = deployment(container).spec as Record<string, unknown>;
    const verdict = await validateKubernetesObject({ apiVersion: "apps/v1", kind: "Deployment", spec });
    expect(errorsOf(verdict)).toEqual(["spec.selector: is required"]);
  });

  test("a container without a name", async () => {
    const { name: _, ...nameless } = container;
    const verdict = await validateKubernetesObject(deployment(nameless));
    expect(errorsOf(verdict)).toEqual(["spec.template.spec.containers[0].name: is required"]);
  });

  test("a value outside an enum lists the allowed values", async () => {
    const verdict = await validateKubernetesObject(deployment({ ...container, imagePullPolicy: "Sometimes" }));
    expect(errorsOf(verdict)).toEqual([
      'spec.template.spec.containers[0].imagePullPolicy: must be one of ["Always","IfNotPresent","Never"]',
    ]);
  });

  test("a resource quantity that is not a quantity", async () => {
    const verdict = await validateKubernetesObject(
      deployment({ ...container, resources: { limits: { cpu: "lots" } } }),
    );
    expect(errorsOf(verdict)).toEqual([
      'spec.template.spec.containers[0].resources.limits.cpu: must be number or must match format "quantity"',
    ]);
  });

  test("every mistake in one object is reported, label keys with dots are bracketed", async () => {
    const verdict = await validateKubernetesObject({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "checkout", labels: { "app.kubernetes.io/name": 3 } },
      data: { PORT: 8080 },
    });
    expect(errorsOf(verdict).sort()).toEqual([
      "data.PORT: must be string",
      'metadata.labels["app.kubernetes.io/name"]: must be string',
    ]);
  });

  test("Secret data that is not base64", async () => {
    const verdict = await validateKubernetesObject({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db" },
      data: { password: "hunter2!" },
    });
    expect(errorsOf(verdict)).toEqual(['data.password: must match format "byte"']);
  });

  test("an HPA minReplicas given as a string", async () => {
    const verdict = await validateKubernetesObject({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "checkout" },
      spec: { scaleTargetRef: { kind: "Deployment", name: "checkout" }, minReplicas: "2", maxReplicas: 10 },
    });
    expect(errorsOf(verdict)).toEqual(["spec.minReplicas: must be integer"]);
  });

  test("a ServiceMonitor with a numeric endpoint port and no selector", async () => {
    const verdict = await validateKubernetesObject({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: "checkout" },
      spec: { endpoints: [{ port: 8080 }] },
    });
    expect(errorsOf(verdict).sort()).toEqual(["spec.endpoints[0].port: must be string", "spec.selector: is required"]);
  });

  test("a PrometheusRule with an unnamed group and a malformed duration", async () => {
    const verdict = await validateKubernetesObject({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { name: "checkout" },
      spec: { groups: [{ rules: [{ alert: "CheckoutDown", expr: "up == 0", for: "five minutes" }] }] },
    });
    const errors = errorsOf(verdict);
    expect(errors).toHaveLength(2);
    expect(errors).toContain("spec.groups[0].name: is required");
    expect(errors.find((e) => e.startsWith("spec.groups[0].rules[0].for: must match pattern"))).toBeDefined();
  });

  test("object metadata is checked too", async () => {
    const verdict = await validateKubernetesObject({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "shop", generateName: 42 },
    });
    expect(errorsOf(verdict)).toEqual(["metadata.generateName: must be string"]);
  });
});

describe("unknown fields", () => {
  // Documents a limitation, see the comment at the top of k8s-schemas.ts: upstream schemas allow additional
  // properties, so a misspelt field passes. If this starts failing, the schemas got stricter; update the docs.
  test("are not flagged, because the upstream schemas allow additional properties", async () => {
    const verdict = await validateKubernetesObject(
      deployment({ ...container, imagePullPolicyy: "Always" }, { replica: 3, strategyy: {} }),
    );
    expect(verdict).toEqual({ status: "valid" });
  });
});

describe("validateKubernetesObject returns no-schema instead of guessing", () => {
  test.each([
    ["an unknown CRD", "example.com/v1", "Widget"],
    ["an unknown kind in a supported group", "monitoring.coreos.com/v1", "Widget"],
    ["an unknown version of a supported group", "apps/v9", "Deployment"],
    ["a group the packages ship but the allow-list excludes", "events.k8s.io/v1", "Event"],
    ["a helper type that is not a resource", "v1", "Probe"],
    ["a kind that would escape the package folder", "v1", "../../apps/v1/Deployment"],
    ["a malformed apiVersion", "a/b/c", "Service"],
    ["a kind in the wrong case", "apps/v1", "deployment"],
  ])("%s (%s %s)", async (_, apiVersion, kind) => {
    expect(await validateKubernetesObject({ apiVersion, kind, metadata: { name: "x" } })).toEqual({
      status: "no-schema",
    });
  });
});

describe("supportedKinds", () => {
  const kinds = supportedKinds();

  test("lists every kind the platform deploys", () => {
    expect(kinds).toEqual(
      expect.arrayContaining([
        "apps/v1/Deployment",
        "v1/Service",
        "v1/Namespace",
        "v1/Secret",
        "v1/ConfigMap",
        "networking.k8s.io/v1/NetworkPolicy",
        "autoscaling/v2/HorizontalPodAutoscaler",
        "policy/v1/PodDisruptionBudget",
        "monitoring.coreos.com/v1/ServiceMonitor",
        "monitoring.coreos.com/v1/PodMonitor",
        "monitoring.coreos.com/v1/PrometheusRule",
        "monitoring.coreos.com/v1/Probe",
        "monitoring.coreos.com/v1/Prometheus",
        "monitoring.coreos.com/v1/Alertmanager",
        "monitoring.coreos.com/v1alpha1/ScrapeConfig",
        "monitoring.coreos.com/v1alpha1/AlertmanagerConfig",
      ]),
    );
  });

  test("lists only resources of allow-listed groups", () => {
    expect(kinds).not.toContain("v1/Probe");
    expect(kinds).not.toContain("apps/v1/DeploymentSpec");
    expect(kinds.filter((k) => k.startsWith("events.k8s.io/"))).toEqual([]);
  });

  test("every listed kind loads and validates a minimal object", async () => {
    // Proves the listing and the import specifiers agree; a skeleton either passes or fails on missing
    // required fields, but never comes back as no-schema.
    for (const kind of kinds) {
      const slash = kind.lastIndexOf("/");
      const obj = { apiVersion: kind.slice(0, slash), kind: kind.slice(slash + 1), metadata: { name: "x" } };
      const verdict = await validateKubernetesObject(obj);
      expect([kind, verdict.status]).not.toEqual([kind, "no-schema"]);
    }
  });
});
