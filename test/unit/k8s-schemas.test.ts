import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { CHARTS, KUBERNETES_VERSION } from "../../infra/charts/pins";
import { chartDefaultsDir } from "../../infra/charts/values-check";
import {
  builtInModelsKubernetesVersion,
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

type SchemaForTest = Record<string, any>;
/** The openAPIV3Schema of a test CRD's first version, to break on purpose. */
const firstVersionSchema = (crd: KubernetesObject): SchemaForTest =>
  (crd.spec as { versions: [{ schema: { openAPIV3Schema: SchemaForTest } }] }).versions[0].schema.openAPIV3Schema;

/** A small CRD using every schema extension the CRD check honours. */
function widgetCrd(): KubernetesObject {
  const target = {
    type: "object",
    required: ["name"],
    properties: { name: { type: "string" }, weight: { type: "integer" } },
  };
  const spec = {
    type: "object",
    required: ["size"],
    properties: {
      size: { type: "integer", minimum: 1 },
      port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
      mode: { type: "string", enum: ["fast", "safe"] },
      schedule: { type: "string", pattern: "^(?i)(mon|tues)day$" }, // RE2 syntax, as in the operator CRDs
      owner: { type: "string", nullable: true },
      note: { type: "string" },
      targets: { type: "array", items: target },
      tags: { type: "object", additionalProperties: { type: "string" } },
      config: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      template: {
        type: "object",
        "x-kubernetes-embedded-resource": true,
        properties: { spec: { type: "object", properties: { replicas: { type: "integer" } } } },
      },
    },
  };
  const status = { type: "object", properties: { ready: { type: "boolean" } } };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { kind: "Widget", listKind: "WidgetList", plural: "widgets", singular: "widget" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", properties: { spec, status } } },
        },
        { name: "v1beta1", served: false, storage: false, schema: { openAPIV3Schema: { type: "object" } } },
      ],
    },
  };
}

function widget(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubernetesObject {
  return {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "checkout", namespace: "shop", labels },
    spec: { size: 1, ...spec },
    ...extra,
  };
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

describe("unknown fields of built-in kinds", () => {
  test("a misspelt field in a Deployment spec, with the field it probably meant", async () => {
    const verdict = await validateKubernetesObject(deployment(container, { replica: 3 }));
    expect(errorsOf(verdict)).toEqual([
      'spec.replica: unknown field (DeploymentSpec has no field "replica"; did you mean "replicas"?)',
    ]);
  });

  test("a container field at the pod level", async () => {
    const obj = deployment(container);
    (obj.spec as { template: { spec: Record<string, unknown> } }).template.spec.image = "ghcr.io/acme/checkout:1.2.3";
    expect(errorsOf(await validateKubernetesObject(obj))).toEqual([
      'spec.template.spec.image: unknown field (PodSpec has no field "image")',
    ]);
  });

  test("fields inside list items and metadata are checked too", async () => {
    const verdict = await validateKubernetesObject({
      ...deployment({ ...container, imagePullPolicyy: "Always", ports: [{ containerPort: 8080, hostport: 1 }] }),
      metadata: { name: "checkout", label: { team: "payments" } },
    });
    expect(errorsOf(verdict).sort()).toEqual([
      'metadata.label: unknown field (ObjectMeta has no field "label"; did you mean "labels"?)',
      'spec.template.spec.containers[0].imagePullPolicyy: unknown field (Container has no field "imagePullPolicyy"; did you mean "imagePullPolicy"?)',
      'spec.template.spec.containers[0].ports[0].hostport: unknown field (ContainerPort has no field "hostport"; did you mean "hostPort"?)',
    ]);
  });

  test("are reported next to type errors, in one verdict", async () => {
    const verdict = await validateKubernetesObject(deployment({ ...container, image: 5 }, { strategyy: {} }));
    expect(errorsOf(verdict)).toEqual([
      "spec.template.spec.containers[0].image: must be string",
      'spec.strategyy: unknown field (DeploymentSpec has no field "strategyy"; did you mean "strategy"?)',
    ]);
  });

  test("a model inside a map is walked: a misspelt keyword in a CRD's schema properties", async () => {
    const crd = widgetCrd();
    const schema = firstVersionSchema(crd);
    schema.properties.spec.typ = "object";
    expect(errorsOf(await validateKubernetesObject(crd))).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.properties.spec.typ: unknown field (JSONSchemaProps has no field "typ"; did you mean "type"?)',
    ]);
  });

  test("free-form values stay open: label maps, IntOrString, Secret data, a CRD's defaults", async () => {
    const crd = widgetCrd();
    const schema = firstVersionSchema(crd);
    schema.properties.spec.default = { anything: { goes: true } };
    for (const obj of [service({ port: 80, targetPort: "http" }), crd, ...validObjects]) {
      expect([obj.kind, await validateKubernetesObject(obj)]).toEqual([obj.kind, { status: "valid" }]);
    }
  });

  test("a kind the targeted Kubernetes API no longer has is validated, with a notice that fields were not", async () => {
    const verdict = await validateKubernetesObject({ ...deployment(container), apiVersion: "apps/v1beta2" });
    expect(verdict.status).toBe("valid");
    expect(verdict.notice).toMatch(
      /^unknown fields not checked: the Kubernetes 1\.33\.\d+ API .* has no apps\/v1beta2 Deployment$/,
    );
  });

  test("the client models are those of the Kubernetes version the platform targets", () => {
    const minor = (version: string) => version.split(".").slice(0, 2).join(".");
    expect(minor(builtInModelsKubernetesVersion())).toBe(minor(KUBERNETES_VERSION));
  });
});

describe("custom resources against the CRDs of the object set", () => {
  const crds = [widgetCrd()];
  const check = (obj: KubernetesObject) => validateKubernetesObject(obj, { crds });
  const wellFormed = widget(
    {
      port: 8080,
      mode: "fast",
      schedule: "TUESday",
      owner: null,
      targets: [{ name: "a", weight: 2 }, { name: "b" }],
      tags: { tier: "gold" },
      config: { anything: { nested: [1, "two"] } },
      template: { apiVersion: "v1", kind: "Pod", metadata: { name: "x", labels }, spec: { replicas: 2 } },
    },
    { status: { ready: true } },
  );

  test("a well-formed custom resource is valid; IntOrString takes both forms", async () => {
    expect(await check(wellFormed)).toEqual({ status: "valid" });
    expect(await check(widget({ port: "http" }))).toEqual({ status: "valid" });
  });

  test("unknown fields at any depth, with the CRD they are missing from", async () => {
    const verdict = await check(
      widget(
        {
          sizee: 2,
          targets: [{ name: "a", wieght: 1 }],
          template: { apiVersion: "v1", kind: "Pod", spec: { replica: 1 } },
        },
        { status: { readyy: true }, extra: 1 },
      ),
    );
    const unknown = (path: string, field: string, hint = "") =>
      `${path}: unknown field (CRD widgets.example.com/v1 has no field "${field}" here${hint})`;
    expect(errorsOf(verdict).sort()).toEqual(
      [
        unknown("extra", "extra"),
        unknown("spec.sizee", "sizee", '; did you mean "size"?'),
        unknown("spec.targets[0].wieght", "wieght", '; did you mean "weight"?'),
        unknown("spec.template.spec.replica", "replica", '; did you mean "replicas"?'),
        unknown("status.readyy", "readyy", '; did you mean "ready"?'),
      ].sort(),
    );
  });

  test("types, enums, required fields, bounds and RE2 patterns", async () => {
    const verdict = await check(
      widget({ size: 0, port: true, mode: "slow", schedule: "sunday", targets: [{ weight: 1 }], tags: { a: 1 } }),
    );
    expect(errorsOf(verdict).sort()).toEqual([
      'spec.mode: must be one of ["fast","safe"]',
      "spec.port: must be integer or string",
      'spec.schedule: must match pattern "^(?i)(mon|tues)day$"',
      "spec.size: must be >= 1",
      "spec.tags.a: must be string",
      "spec.targets[0].name: is required",
    ]);
  });

  test("a null is kept where the schema is nullable, pruned (so valid) elsewhere, an error as a list item", async () => {
    expect(await check(widget({ owner: null, note: null, mode: null }))).toEqual({ status: "valid" });
    expect(errorsOf(await check(widget({ targets: [null] })))).toEqual(["spec.targets[0]: must be object"]);
  });

  test("apiVersion, kind and metadata are always allowed; metadata is checked as ObjectMeta", async () => {
    const verdict = await check({ ...widget({}), metadata: { name: "checkout", annotation: { a: "b" } } });
    expect(errorsOf(verdict)).toEqual([
      'metadata.annotation: unknown field (ObjectMeta has no field "annotation"; did you mean "annotations"?)',
    ]);
  });

  test("an embedded resource needs its apiVersion and kind", async () => {
    const verdict = await check(widget({ template: { metadata: { name: "x" }, spec: {} } }));
    expect(errorsOf(verdict).sort()).toEqual([
      "spec.template.apiVersion: is required",
      "spec.template.kind: is required",
    ]);
  });

  test("an apiVersion the CRD does not serve", async () => {
    const verdict = await check({ ...widget({}), apiVersion: "example.com/v1beta1" });
    expect(errorsOf(verdict)).toEqual(["apiVersion: CRD widgets.example.com serves no version v1beta1 (served: v1)"]);
  });

  test("a custom resource whose CRD is not in the set falls back to the npm model, with a notice", async () => {
    const serviceMonitor = validObjects.find((o) => o.kind === "ServiceMonitor") as KubernetesObject;
    const verdict = await check(serviceMonitor);
    expect(verdict.status).toBe("valid");
    expect(verdict.notice).toMatch(/^not checked against a CRD: no CustomResourceDefinition in the set defines/);
    expect(await check({ ...widget({}), apiVersion: "example.com/v2" })).toEqual({
      status: "invalid",
      errors: ["apiVersion: CRD widgets.example.com serves no version v2 (served: v1)"],
    });
    expect(await validateKubernetesObject(serviceMonitor)).toEqual({ status: "valid" }); // no crds given: as before
  });

  test("does not mutate the object or the CRD", async () => {
    const before = structuredClone([wellFormed, crds]);
    await check(wellFormed);
    await check(widget({ sizee: 1, owner: null }));
    expect([wellFormed, crds]).toEqual(before);
  });
});

// The CRDs of the pinned kube-prometheus-stack, as its chart ships them (beside the checkout, also in CI).
const { chart: kpsChart, version: kpsVersion } = CHARTS.kubePrometheusStack;
const chartsDir = chartDefaultsDir();
const kpsCrdsDir = chartsDir && path.join(chartsDir, `${kpsChart}-${kpsVersion}`, "charts", "crds", "crds");
const haveKpsCrds = kpsCrdsDir !== undefined && existsSync(kpsCrdsDir);
if (!haveKpsCrds) console.warn(`k8s-schemas: ${kpsChart} ${kpsVersion} CRDs not found; SKIPPING the real-CRD checks`);
const describeRealCrds = haveKpsCrds
  ? describe
  : process.env.REQUIRE_CHART_DEFAULTS === "1"
    ? (name: string, _fn: () => void) =>
        describe(name, () => {
          test(`${kpsChart} ${kpsVersion} CRDs are present`, () => {
            throw new Error(
              "REQUIRE_CHART_DEFAULTS=1 but no chart sources: set CHART_DEFAULTS_DIR or provide ../shared/charts",
            );
          });
        })
    : describe.skip;

describeRealCrds("custom resources against the real prometheus-operator CRDs", () => {
  let crds: KubernetesObject[] = [];
  beforeAll(() => {
    crds = ["servicemonitors", "prometheuses", "prometheusrules"].map((plural) => {
      const docs = parseAllDocuments(readFileSync(path.join(kpsCrdsDir as string, `crd-${plural}.yaml`), "utf8"));
      return docs
        .map((d) => d.toJS() as KubernetesObject)
        .find((o) => o?.kind === "CustomResourceDefinition") as KubernetesObject;
    });
  });
  const check = (obj: KubernetesObject) => validateKubernetesObject(obj, { crds });

  test("the well-formed ServiceMonitor and PrometheusRule are valid", async () => {
    for (const obj of validObjects.filter((o) => o.apiVersion.startsWith("monitoring.coreos.com/"))) {
      expect([obj.kind, await check(obj)]).toEqual([obj.kind, { status: "valid" }]);
    }
  });

  test("an unknown field in a ServiceMonitor endpoint", async () => {
    const verdict = await check({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: "checkout", namespace: "shop" },
      spec: { selector: { matchLabels: labels }, endpoints: [{ port: "http", scrapeInterval: "30s" }] },
    });
    expect(errorsOf(verdict)).toEqual([
      'spec.endpoints[0].scrapeInterval: unknown field (CRD servicemonitors.monitoring.coreos.com/v1 has no field "scrapeInterval" here)',
    ]);
  });

  test("Prometheus storage.volumeClaimTemplate without apiVersion/kind: valid, as the CRD says (the npm model disagrees)", async () => {
    const prometheus: KubernetesObject = {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "Prometheus",
      metadata: { name: "kps-prometheus", namespace: "monitoring" },
      spec: {
        retention: "15d",
        storage: {
          volumeClaimTemplate: {
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "50Gi" } } },
          },
        },
      },
    };
    expect(await check(prometheus)).toEqual({ status: "valid" });
    // Documents the false positive the CRD check replaces; if this starts passing, the npm model was fixed.
    expect(errorsOf(await validateKubernetesObject(prometheus)).sort()).toEqual([
      "spec.storage.volumeClaimTemplate.apiVersion: is required",
      "spec.storage.volumeClaimTemplate.kind: is required",
    ]);
    const misspelt = structuredClone(prometheus) as SchemaForTest;
    misspelt.spec.storage.volumeClaimTemplate.spec.resourcez = {};
    expect(errorsOf(await check(misspelt as KubernetesObject))).toEqual([
      'spec.storage.volumeClaimTemplate.spec.resourcez: unknown field (CRD prometheuses.monitoring.coreos.com/v1 has no field "resourcez" here; did you mean "resources"?)',
    ]);
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
