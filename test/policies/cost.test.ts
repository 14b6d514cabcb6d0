import { loadPolicyConfig } from "../../policies/harness";
import { container, deployment, evaluate, of } from "./support";

const caps = loadPolicyConfig("prod")["resource-caps"];

describe("resource-caps (advisory)", () => {
  test("passes within caps, reports replicas, HPA and limits above them as advisory", async () => {
    const big = deployment("big");
    big.inputs.spec.replicas = caps.maxReplicas + 1;
    container(big).resources.limits = { cpu: `${caps.maxCpuCores * 1000 + 1}m`, memory: `${caps.maxMemoryMi + 1}Mi` };
    const hpa = {
      type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
      name: "hpa",
      inputs: { spec: { maxReplicas: caps.maxReplicas + 1 } },
    };
    const v = await evaluate([deployment(), big, hpa]);
    expect(of(v, "resource-caps")).toEqual([
      expect.stringContaining("big: replicas"),
      expect.stringContaining("cpu limit"),
      expect.stringContaining("memory limit"),
      expect.stringContaining("hpa: maxReplicas"),
    ]);
    expect(new Set(v.filter((x) => x.policy === "resource-caps").map((x) => x.level))).toEqual(new Set(["advisory"]));
  });
});

describe("aws-budget (mandatory)", () => {
  const bucket = { type: "aws:s3/bucket:Bucket", name: "logs", inputs: {} };
  const budget = { type: "aws:budgets/budget:Budget", name: "b", inputs: {} };
  test("prod with AWS needs a budget; dev and AWS-less prod do not", async () => {
    expect(of(await evaluate([bucket], "prod"), "aws-budget")).toEqual([
      "stack: prod uses AWS but has no aws.budgets.Budget",
    ]);
    expect(of(await evaluate([bucket, budget], "prod"), "aws-budget")).toEqual([]);
    expect(of(await evaluate([bucket], "dev"), "aws-budget")).toEqual([]);
    expect(of(await evaluate([deployment()], "prod"), "aws-budget")).toEqual([]);
  });
});
