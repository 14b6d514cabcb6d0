import { evaluatePolicies, loadPolicyConfig } from "../../policies/harness";
import { runStack, type Stack } from "../infra/support";
import { awsOnWithIrsa } from "../support/aws";
import { mandatory } from "./support";

// Each stack, run under mocks, passes its own environment's policy config.
describe.each<Stack>(["dev", "staging", "prod"])("%s stack", (stack) => {
  test("has no violations, mandatory or advisory", async () => {
    const { resources } = await runStack(stack);
    const violations = await evaluatePolicies(resources, loadPolicyConfig(stack), { "pulumi:stack": stack });
    expect(mandatory(violations)).toEqual([]);
    // none advisory either today: a new advisory finding shows up here and in review
    expect(violations.filter((v) => v.level === "advisory")).toEqual([]);
  });
});

test("prod with AWS enabled: the Loki bucket, the cost guardrails and the now mandatory budget rule leave no violation", async () => {
  const { resources } = await runStack("prod", (p) => {
    p.aws = awsOnWithIrsa();
  });
  expect(resources.some((r) => r.type === "aws:s3/bucket:Bucket")).toBe(true);
  expect(resources.filter((r) => r.type === "aws:budgets/budget:Budget")).toHaveLength(1);
  const violations = await evaluatePolicies(resources, loadPolicyConfig("prod"));
  expect(violations).toEqual([]);
});

test("a stack checked against a stricter environment's bounds fails (the policies are not vacuous)", async () => {
  const { resources } = await runStack("dev");
  const failed = new Set(mandatory(await evaluatePolicies(resources, loadPolicyConfig("prod"))).map((v) => v.policy));
  expect([...failed].sort()).toEqual(
    [
      "fault-injection-not-in-prod",
      "jaeger-retention",
      "loki-retention",
      "no-chaos-in-prod",
      "prometheus-retention",
      "scale-distributed",
    ].sort(),
  );
});
