import { REQUIRED_LABELS } from "../../policies/rules/required-labels";
import { CHART_LABELS, chart, chartChild, deployment, evaluate, LABELS, of } from "./support";

const AWS_TAGS = { environment: "prod", team: "platform", "cost-center": "cc-1000", "managed-by": "pulumi" };

describe("kubernetes-required-labels", () => {
  test("passes a fully labelled Deployment and chart", async () => {
    const v = await evaluate([deployment(), chart("loki", {})]);
    expect(of(v, "kubernetes-required-labels")).toEqual([]);
  });

  test("fails missing object labels, pod template labels and chart label values", async () => {
    const d = deployment();
    delete d.inputs.metadata.labels.team;
    delete d.inputs.spec.template.metadata.labels.environment;
    const alloy = chart("alloy", { commonLabels: undefined, controller: { podLabels: { team: "platform" } } });
    const bare = chart("jaeger", { commonLabels: undefined });
    expect(of(await evaluate([d, alloy, bare]), "kubernetes-required-labels")).toEqual([
      expect.stringContaining("metadata.labels lack team"),
      expect.stringContaining("pod template labels lack environment"),
      expect.stringContaining("controller.podLabels lack environment"),
      expect.stringContaining("sets none of commonLabels"),
    ]);
  });

  test("fails chart label values that repeat the labels the chart writes itself (duplicate keys in the render)", async () => {
    const loki = chart("loki", { commonLabels: { ...CHART_LABELS, "app.kubernetes.io/name": "logging" } });
    expect(of(await evaluate([loki]), "kubernetes-required-labels")).toEqual([
      expect.stringContaining("commonLabels set app.kubernetes.io/name, which the chart sets itself"),
    ]);
  });

  test("chart-made objects: an identity label on every object and ownership labels on pods, not the program's full set", async () => {
    const made = chartChild(deployment("loki"));
    made.inputs.metadata.labels = { "app.kubernetes.io/name": "loki", "app.kubernetes.io/managed-by": "Helm" };
    made.inputs.spec.template.metadata.labels = { "app.kubernetes.io/name": "loki", ...CHART_LABELS };
    expect(of(await evaluate([made]), "kubernetes-required-labels")).toEqual([]);

    const unowned = chartChild(deployment("alloy"), "alloy");
    unowned.inputs.metadata.labels = { app: "alloy" };
    unowned.inputs.spec.template.metadata.labels = { app: "alloy", team: "platform" };
    const anonymous = chartChild({
      type: "kubernetes:core/v1:ConfigMap",
      name: "c",
      inputs: { metadata: { labels: {} } },
    });
    expect(of(await evaluate([unowned, anonymous]), "kubernetes-required-labels")).toEqual([
      expect.stringContaining("pod template labels lack environment"),
      expect.stringContaining("metadata.labels have none of app.kubernetes.io/name, app"),
    ]);
  });

  test("operator-made pods take their labels from a chart-made Prometheus resource's podMetadata", async () => {
    const prometheus = chartChild(
      {
        type: "kubernetes:monitoring.coreos.com/v1:Prometheus",
        name: "kps-prometheus",
        inputs: {
          metadata: { labels: { app: "kps-prometheus" } },
          spec: { podMetadata: { labels: { team: "platform" } } },
        },
      },
      "kps",
    );
    expect(of(await evaluate([prometheus]), "kubernetes-required-labels")).toEqual([
      expect.stringContaining("spec.podMetadata.labels lack environment"),
    ]);
  });

  test("CustomResourceDefinitions a chart ships are shared by every environment: no ownership labels asked", async () => {
    const crd = chartChild(
      { type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", name: "x", inputs: { metadata: {} } },
      "kps",
    );
    expect(of(await evaluate([crd]), "kubernetes-required-labels")).toEqual([]);
  });

  test("is not applicable to non-Kubernetes resources", async () => {
    const v = await evaluate([{ type: "random:index/randomPassword:RandomPassword", name: "p", inputs: {} }]);
    expect(of(v, "kubernetes-required-labels")).toEqual([]);
  });
});

describe("aws-required-tags", () => {
  test("accepts tagsAll (provider default tags, real previews) or tags (mocks)", async () => {
    const v = await evaluate([
      { type: "aws:s3/bucket:Bucket", name: "a", inputs: { tags: AWS_TAGS } },
      { type: "aws:cloudwatch/logGroup:LogGroup", name: "b", inputs: { tags: {}, tagsAll: AWS_TAGS } },
    ]);
    expect(of(v, "aws-required-tags")).toEqual([]);
  });

  test("fails a taggable resource without tags, ignores untaggable ones", async () => {
    const v = await evaluate([
      { type: "aws:s3/bucket:Bucket", name: "a", inputs: {} },
      { type: "aws:kms/key:Key", name: "k", inputs: { tags: { ...AWS_TAGS, "cost-center": "" } } },
      { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "p", inputs: { bucket: "a-id" } },
    ]);
    expect(of(v, "aws-required-tags")).toEqual([
      "aws:s3/bucket:Bucket::a: tags lack environment, team, cost-center, managed-by",
      "aws:kms/key:Key::k: tags lack cost-center",
    ]);
  });
});

test("LABELS fixture matches the policy's required labels", () => {
  expect(Object.keys(LABELS).sort()).toEqual([...REQUIRED_LABELS].sort());
});
