import { REQUIRED_LABELS } from "../../policies/rules/required-labels";
import { chart, deployment, evaluate, LABELS, of } from "./support";

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
      expect.stringContaining("controller.podLabels lack app.kubernetes.io/name"),
      expect.stringContaining("sets none of commonLabels"),
    ]);
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
