import { leastPrivilegeProblems } from "../../policies/rules/iam-least-privilege";
import { evaluate, mandatory } from "./support";

// Mutations of an AWS stack, each rejected at the mandatory level (they fail `pulumi preview`).
const TAGS = { environment: "prod", team: "platform", "cost-center": "cc-1000", "managed-by": "pulumi" };
const levelsOf = async (resources: Parameters<typeof evaluate>[0], policy: string) =>
  mandatory(await evaluate(resources, "prod"))
    .filter((v) => v.policy === policy)
    .map((v) => v.message);

const policyDoc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const rolePolicy = (policy: string) => ({
  type: "aws:iam/rolePolicy:RolePolicy",
  name: "collector",
  inputs: { role: "r", policy },
});
const LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/obs/prod/metrics:*";

test("AWS on in prod without a budget is rejected as mandatory (aws-budget)", async () => {
  const topic = { type: "aws:sns/topic:Topic", name: "t", inputs: { tags: TAGS } };
  expect(await levelsOf([topic], "aws-budget")).toEqual(["prod uses AWS but has no aws.budgets.Budget"]);
  const budget = { type: "aws:budgets/budget:Budget", name: "b", inputs: { tags: TAGS } };
  expect(await levelsOf([topic, budget], "aws-budget")).toEqual([]);
});

test("a log group without retention is rejected as mandatory (cloudwatch-log-retention)", async () => {
  const group = (retentionInDays?: number) => ({
    type: "aws:cloudwatch/logGroup:LogGroup",
    name: "g",
    inputs: { tags: TAGS, ...(retentionInDays === undefined ? {} : { retentionInDays }) },
  });
  expect(await levelsOf([group()], "cloudwatch-log-retention")).toEqual([
    "retentionInDays is not set: logs are kept forever",
  ]);
  // prod bounds are 30-400 days (policies/config/prod.json)
  expect(await levelsOf([group(30)], "cloudwatch-log-retention")).toEqual([]);
});

test("a budget, topic or anomaly monitor without the required tags is rejected as mandatory (aws-required-tags)", async () => {
  const { "cost-center": _, ...lacking } = TAGS;
  const untagged = [
    "aws:budgets/budget:Budget",
    "aws:sns/topic:Topic",
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor",
  ];
  const found = await levelsOf(
    untagged.map((type) => ({ type, name: "x", inputs: { tags: lacking } })),
    "aws-required-tags",
  );
  expect(found).toEqual(["tags lack cost-center", "tags lack cost-center", "tags lack cost-center"]);
  // a subscription declared with no tags at all is still caught: its type is known taggable
  const bare = { type: "aws:costexplorer/anomalySubscription:AnomalySubscription", name: "s", inputs: {} };
  expect(await levelsOf([bare], "aws-required-tags")).toEqual(["tags lack environment, team, cost-center, managed-by"]);
});

test("an unencrypted public bucket is rejected as mandatory (s3-bucket-security)", async () => {
  const bucket = { type: "aws:s3/bucket:Bucket", name: "logs", inputs: { tags: TAGS } };
  expect(await levelsOf([bucket], "s3-bucket-security")).toEqual([
    "bucket logs has no server-side encryption configuration",
    "bucket logs has no public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true",
  ]);
});

describe("iam-least-privilege (mandatory)", () => {
  test('rejects Action "*", and Resource "*" on an action that takes a resource, in a RolePolicy and in a Role\'s inline policy', async () => {
    const star = rolePolicy(policyDoc({ Effect: "Allow", Action: "*", Resource: LOG_GROUP }));
    const role = {
      type: "aws:iam/role:Role",
      name: "grafana",
      inputs: {
        tags: TAGS,
        assumeRolePolicy: "{}",
        inlinePolicies: [
          { name: "read", policy: policyDoc({ Effect: "Allow", Action: ["logs:PutLogEvents"], Resource: "*" }) },
        ],
      },
    };
    expect(await levelsOf([star, role], "iam-least-privilege")).toEqual([
      'Statement[0] allows Action "*"',
      'Statement[0] grants logs:PutLogEvents on Resource "*"',
    ]);
  });

  test('accepts X-Ray actions on Resource "*" and scoped CloudWatch Logs actions (the collector\'s shape)', async () => {
    const collector = rolePolicy(
      policyDoc(
        { Sid: "XRay", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:GetSamplingRules"], Resource: "*" },
        { Sid: "Logs", Effect: "Allow", Action: ["logs:PutLogEvents", "logs:CreateLogStream"], Resource: [LOG_GROUP] },
      ),
    );
    expect(await levelsOf([collector], "iam-least-privilege")).toEqual([]);
  });

  test('accepts Resource "*" on the read actions that take no resource (Grafana\'s metric and query-result calls)', async () => {
    const grafana = rolePolicy(
      policyDoc(
        { Effect: "Allow", Action: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], Resource: ["*"] },
        { Effect: "Allow", Action: ["logs:GetQueryResults", "logs:StopQuery"], Resource: ["*"] },
      ),
    );
    expect(await levelsOf([grafana], "iam-least-privilege")).toEqual([]);
  });

  test("a statement mixing X-Ray with another action on * names only the other action", () => {
    const doc = policyDoc({
      Sid: "Mixed",
      Effect: "Allow",
      Action: ["xray:PutTraceSegments", "s3:GetObject"],
      Resource: "*",
    });
    expect(leastPrivilegeProblems(doc)).toEqual(['Statement[0] (Mixed) grants s3:GetObject on Resource "*"']);
  });

  test("rejects NotAction and NotResource allows and a document that is not JSON; ignores Deny statements", () => {
    const doc = policyDoc(
      { Effect: "Allow", NotAction: "iam:*", Resource: LOG_GROUP },
      { Effect: "Allow", Action: "logs:PutLogEvents", NotResource: LOG_GROUP },
      { Effect: "Deny", Action: "*", Resource: "*" },
    );
    expect(leastPrivilegeProblems(doc)).toEqual([
      "Statement[0] allows NotAction: everything but a list",
      "Statement[1] allows NotResource: everything but a list",
    ]);
    expect(leastPrivilegeProblems("{not json")).toEqual(["policy is not valid JSON"]);
  });
});
