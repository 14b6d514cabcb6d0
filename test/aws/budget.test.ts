import { readFileSync } from "node:fs";
import path from "node:path";
import { budgetLimitUsd, costGuardrailNames, partitionOf } from "../../infra/aws/budget";
import type { CollectedResource } from "../../infra/preflight/collect";
import { ofType, runStack } from "../infra/support";

// Prod with AWS on, as an operator would set it; everything expected below is derived from these inputs.
const REGION = "eu-west-1";
const ACCOUNT = "123456789012";
const EMAILS = ["finops@example.com", "platform@example.com"];
const THRESHOLD_USD = 250;
const PROD_BUDGET = 3000; // Pulumi.prod.yaml cost.monthlyBudget
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:obs-prod-cost-alerts`;
const TAGS = { environment: "prod", team: "platform", "cost-center": "cc-1000", "managed-by": "pulumi" };

function one(resources: CollectedResource[], type: string): CollectedResource {
  const found = ofType(resources, type);
  expect(found).toHaveLength(1);
  return found[0] as CollectedResource;
}

/** Whether the provider's Args for a type token (aws:<module>/<camel>:<Class>) declare a `tags` input. */
function takesTags(type: string): boolean {
  const [, token = "", className = ""] = type.split(":");
  const [module = "", file = ""] = token.split("/");
  const root = path.dirname(require.resolve("@pulumi/aws/package.json"));
  const dts = readFileSync(path.join(root, module, `${file}.d.ts`), "utf8");
  const args = dts.slice(dts.indexOf(`export interface ${className}Args`));
  return /\n\s+tags\?:/.test(args.slice(0, args.indexOf("\n}")));
}

let resources: CollectedResource[];
beforeAll(async () => {
  ({ resources } = await runStack("prod", (p) => {
    p.aws = {
      enabled: true,
      region: REGION,
      accountId: ACCOUNT,
      identity: {
        mechanism: "irsa",
        oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/EXAMPLE`,
      },
      budget: { emails: EMAILS, anomalyThresholdUsd: THRESHOLD_USD },
    };
  }));
}, 120_000);

describe("CostGuardrails under mocks (prove the shape of the AWS objects)", () => {
  test("the budget: monthly COST, limit = cost.monthlyBudget in USD, filtered on user:environment$prod", () => {
    const budget = one(resources, "aws:budgets/budget:Budget").inputs;
    expect(budget).toMatchObject({
      name: "obs-prod-monthly-cost",
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: String(PROD_BUDGET),
      limitUnit: "USD",
      costFilters: [{ name: "TagKeyValue", values: ["user:environment$prod"] }],
    });
  });

  test("three notifications (forecast 100 %, actual 80 % and 100 %) to the topic and the e-mail addresses", () => {
    const { notifications } = one(resources, "aws:budgets/budget:Budget").inputs;
    const common = {
      thresholdType: "PERCENTAGE",
      comparisonOperator: "GREATER_THAN",
      subscriberSnsTopicArns: [TOPIC_ARN],
      subscriberEmailAddresses: EMAILS,
    };
    expect(notifications).toEqual([
      { notificationType: "FORECASTED", threshold: 100, ...common },
      { notificationType: "ACTUAL", threshold: 80, ...common },
      { notificationType: "ACTUAL", threshold: 100, ...common },
    ]);
  });

  test("the topic policy lets only budgets and costalerts publish, for this account only", () => {
    const policy = one(resources, "aws:sns/topicPolicy:TopicPolicy").inputs;
    expect(one(resources, "aws:sns/topic:Topic").inputs.name).toBe("obs-prod-cost-alerts");
    expect(policy.arn).toBe(TOPIC_ARN);
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: "CostAlertsPublish",
        Effect: "Allow",
        Principal: { Service: ["budgets.amazonaws.com", "costalerts.amazonaws.com"] },
        Action: "SNS:Publish",
        Resource: TOPIC_ARN,
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
    ]);
  });

  test("one e-mail subscription to the topic per aws.budget.emails entry", () => {
    const subs = ofType(resources, "aws:sns/topicSubscription:TopicSubscription").map((r) => r.inputs);
    expect(subs).toEqual(EMAILS.map((endpoint) => ({ topic: TOPIC_ARN, protocol: "email", endpoint })));
  });

  test("a CUSTOM anomaly monitor on the environment tag, and an IMMEDIATE subscription to SNS at the threshold", () => {
    const monitor = one(resources, "aws:costexplorer/anomalyMonitor:AnomalyMonitor").inputs;
    expect(monitor.monitorType).toBe("CUSTOM");
    expect(JSON.parse(monitor.monitorSpecification)).toEqual({
      Tags: { Key: "environment", Values: ["prod"], MatchOptions: ["EQUALS"] },
    });
    const sub = one(resources, "aws:costexplorer/anomalySubscription:AnomalySubscription").inputs;
    expect(sub).toMatchObject({
      frequency: "IMMEDIATE",
      subscribers: [{ type: "SNS", address: TOPIC_ARN }],
      thresholdExpression: {
        dimension: {
          key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
          matchOptions: ["GREATER_THAN_OR_EQUAL"],
          values: [String(THRESHOLD_USD)],
        },
      },
    });
  });

  test("every guardrail resource whose provider type accepts tags carries the four required tags", () => {
    // the stack-wide check is the mandatory aws-required-tags policy (test/policies/stacks.test.ts)
    const aws = resources.filter((r) => r.name.startsWith("platform-prod-cost-guardrails-"));
    const taggable = aws.filter((r) => takesTags(r.type));
    // the check is not vacuous: the guardrails' four taggable types are exactly these, the two others take no tags
    expect(taggable.map((r) => r.type).sort()).toEqual(
      [
        "aws:sns/topic:Topic",
        "aws:budgets/budget:Budget",
        "aws:costexplorer/anomalyMonitor:AnomalyMonitor",
        "aws:costexplorer/anomalySubscription:AnomalySubscription",
      ].sort(),
    );
    expect(takesTags("aws:sns/topicPolicy:TopicPolicy")).toBe(false);
    expect(takesTags("aws:sns/topicSubscription:TopicSubscription")).toBe(false);
    const untagged = taggable.filter((r) => !Object.entries(TAGS).every(([k, v]) => r.inputs.tags?.[k] === v));
    expect(untagged.map((r) => `${r.type}::${r.name}`)).toEqual([]);
  });
});

describe("pure helpers", () => {
  const base = { environment: "prod" as const, namespacePrefix: "obs" };
  test("a cost model in another currency than USD fails, naming cost.currency and aws.enabled", () => {
    const config = { cost: { currency: "EUR", monthlyBudget: 100 }, aws: { enabled: true } } as never;
    expect(() => budgetLimitUsd(config)).toThrow(/cost\.currency is EUR.*aws\.enabled/);
  });

  test("the topic ARN takes the region's partition", () => {
    expect(partitionOf("us-gov-west-1")).toBe("aws-us-gov");
    expect(partitionOf("cn-north-1")).toBe("aws-cn");
    const names = costGuardrailNames({ ...base, aws: { region: "cn-north-1", accountId: ACCOUNT } } as never);
    expect(names.topicArn).toBe(`arn:aws-cn:sns:cn-north-1:${ACCOUNT}:obs-prod-cost-alerts`);
  });
});
