import { GRAFANA_ACTIONS } from "../../infra/aws/policies";
import type { CollectedResource } from "../../infra/preflight/collect";
import { chart, ofType, runStack } from "../infra/support";

// Pulumi mocks: these tests prove the shape of what the program registers for prod with AWS on.
const ACCOUNT = "123456789012";
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE1`;
const ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE1";
const NS = "obs-prod-platform";
const roleArn = (w: string) => `arn:aws:iam::${ACCOUNT}:role/obs-prod-${w}`;
const group = (what: string) => `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/observability/prod/${what}`;

type Identity = Record<string, unknown>;
const withAws = (identity: Identity) =>
  runStack("prod", (p) => {
    p.aws = { enabled: true, region: "eu-west-1", accountId: ACCOUNT, identity };
  });

const roles = (rs: CollectedResource[]) => ofType(rs, "aws:iam/role:Role");
const policyOf = (rs: CollectedResource[], roleName: string) => {
  const role = roles(rs).find((r) => r.inputs.name === roleName);
  const policy = ofType(rs, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === `${role?.name}-id`);
  if (!policy) throw new Error(`no inline policy for ${roleName}`);
  return JSON.parse(policy.inputs.policy).Statement.map((s: any) => [s.Sid, s.Action, s.Resource]);
};

describe("IRSA (mocked program: proves the shape)", () => {
  let resources: CollectedResource[];
  beforeAll(async () => {
    ({ resources } = await withAws({ mechanism: "irsa", oidcProviderArn: PROVIDER }));
  }, 120_000);

  test("one role per workload, each trusting only its own ServiceAccount's web identity", () => {
    const trust = Object.fromEntries(
      roles(resources).map((r) => [r.inputs.name, JSON.parse(r.inputs.assumeRolePolicy)]),
    );
    expect(Object.keys(trust).sort()).toEqual(["obs-prod-collector", "obs-prod-grafana", "obs-prod-loki"]);
    for (const [workload, sa] of [
      ["collector", "otel-collector"],
      ["loki", "loki"],
      ["grafana", "kps-grafana"],
    ]) {
      expect(trust[`obs-prod-${workload}`].Statement).toEqual([
        {
          Effect: "Allow",
          Principal: { Federated: PROVIDER },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${ISSUER}:sub`]: `system:serviceaccount:${NS}:${sa}`,
              [`${ISSUER}:aud`]: "sts.amazonaws.com",
            },
          },
        },
      ]);
    }
  });

  test("each inline policy has exactly its workload's actions on its resources (an extra action fails)", () => {
    const streams = (w: string) => [group(w), `${group(w)}:log-stream:*`];
    expect(policyOf(resources, "obs-prod-collector")).toEqual([
      [
        "XRayIngest",
        ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
        ["*"],
      ],
      ["EmfToOwnGroup", ["logs:PutLogEvents", "logs:CreateLogStream", "logs:DescribeLogStreams"], streams("metrics")],
      ["LogsToOwnGroup", ["logs:PutLogEvents", "logs:CreateLogStream", "logs:DescribeLogStreams"], streams("logs")],
    ]);
    // the groups are the ones the collector chart's exporters really name
    const exporters = chart(resources, "otel-collector").inputs.values.config.exporters;
    expect(exporters.awsemf.log_group_name).toBe("/observability/prod/metrics");
    expect(exporters["otlp_http/cloudwatch_logs"].headers["x-aws-log-group"]).toBe("/observability/prod/logs");
    // the mock bucket's ARN is arn:aws:s3:::<resource name>-mock
    const bucket = ofType(resources, "aws:s3/bucket:Bucket")[0];
    const bucketArn = `arn:aws:s3:::${bucket?.name}-mock`;
    expect(policyOf(resources, "obs-prod-loki")).toEqual([
      ["LokiBucket", ["s3:ListBucket"], [bucketArn]],
      ["LokiObjects", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [`${bucketArn}/*`]],
    ]);
    expect(policyOf(resources, "obs-prod-grafana")).toEqual([
      ["CloudWatchMetricsRead", [...GRAFANA_ACTIONS.metrics], ["*"]],
      ["OwnLogGroupsQuery", [...GRAFANA_ACTIONS.logGroups], [...streams("logs"), ...streams("metrics")]],
      ["ListLogGroups", ["logs:DescribeLogGroups"], [`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:*`]],
      ["LogsQueryResults", ["logs:GetQueryResults", "logs:StopQuery"], ["*"]],
      ["XRayRead", [...GRAFANA_ACTIONS.xray], ["*"]],
    ]);
  });

  test("each chart annotates its ServiceAccount with its workload's role ARN", () => {
    const annotation = (values: any) => values.serviceAccount?.annotations?.["eks.amazonaws.com/role-arn"];
    expect(annotation(chart(resources, "otel-collector").inputs.values)).toBe(roleArn("collector"));
    expect(annotation(chart(resources, "loki").inputs.values)).toBe(roleArn("loki"));
    expect(annotation(chart(resources, "kps").inputs.values.grafana)).toBe(roleArn("grafana"));
  });

  test("Loki's S3 storage carries no access keys: credentials come from its role", () => {
    const s3 = chart(resources, "loki").inputs.values.loki.storage.s3;
    expect(s3).toEqual({ region: "eu-west-1" });
  });

  test("every role carries the environment, team, cost-center and managed-by tags", () => {
    for (const r of roles(resources)) {
      expect(Object.keys(r.inputs.tags).sort()).toEqual(["cost-center", "environment", "managed-by", "team"]);
      expect(r.inputs.tags.environment).toBe("prod");
    }
  });

  test("no Pod Identity association or agent add-on with IRSA", () => {
    expect(ofType(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation")).toEqual([]);
    expect(ofType(resources, "aws:eks/addon:Addon")).toEqual([]);
  });
});

describe.each([false, true])("Pod Identity, manageAgentAddon %s (mocked program: proves the shape)", (manage) => {
  let resources: CollectedResource[];
  beforeAll(async () => {
    ({ resources } = await withAws({ mechanism: "pod-identity", clusterName: "eks-prod", manageAgentAddon: manage }));
  }, 120_000);

  test("each role trusts pods.eks.amazonaws.com with AssumeRole and TagSession only", () => {
    expect(roles(resources)).toHaveLength(3);
    for (const r of roles(resources)) {
      expect(JSON.parse(r.inputs.assumeRolePolicy).Statement).toEqual([
        {
          Effect: "Allow",
          Principal: { Service: "pods.eks.amazonaws.com" },
          Action: ["sts:AssumeRole", "sts:TagSession"],
        },
      ]);
    }
  });

  test("one association per workload names the ServiceAccount its chart renders and that workload's role", () => {
    const associations = ofType(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map(
      (a) => a.inputs,
    );
    expect(associations.map((a) => [a.clusterName, a.namespace, a.serviceAccount, a.roleArn]).sort()).toEqual(
      [
        ["eks-prod", NS, "kps-grafana", roleArn("grafana")],
        ["eks-prod", NS, "loki", roleArn("loki")],
        ["eks-prod", NS, "otel-collector", roleArn("collector")],
      ].sort(),
    );
  });

  test("no IRSA annotation on the ServiceAccounts", () => {
    expect(chart(resources, "otel-collector").inputs.values.serviceAccount?.annotations).toBeUndefined();
    expect(chart(resources, "loki").inputs.values.serviceAccount?.annotations).toBeUndefined();
    expect(chart(resources, "kps").inputs.values.grafana.serviceAccount?.annotations).toBeUndefined();
  });

  test(`the eks-pod-identity-agent add-on is ${manage ? "made" : "not made"}`, () => {
    const addons = ofType(resources, "aws:eks/addon:Addon").map((a) => [a.inputs.clusterName, a.inputs.addonName]);
    expect(addons).toEqual(manage ? [["eks-prod", "eks-pod-identity-agent"]] : []);
  });
});

test("AWS off (prod as committed): no role, association or annotation (mocked program: proves the shape)", async () => {
  const { resources } = await runStack("prod");
  expect(roles(resources)).toEqual([]);
  expect(ofType(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation")).toEqual([]);
  expect(chart(resources, "otel-collector").inputs.values.serviceAccount?.annotations).toBeUndefined();
}, 120_000);
