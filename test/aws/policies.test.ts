import { logGroupArn, logGroupNames, serviceAccountAnnotations, workloadRoleArn } from "../../infra/aws/names";
import {
  COLLECTOR_ACTIONS,
  collectorStatements,
  GRAFANA_ACTIONS,
  grafanaStatements,
  irsaTrustPolicy,
  LOKI_ACTIONS,
  lokiStatements,
  oidcIssuer,
  podIdentityTrustPolicy,
  UNSCOPED_ACTIONS,
} from "../../infra/aws/policies";
import { type CollectorAwsExport, collectorAwsExport, collectorAwsFragment } from "../../infra/tracing/collector-aws";

const PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123";
const config = {
  namespacePrefix: "obs",
  environment: "prod" as const,
  aws: {
    enabled: true,
    region: "eu-west-1",
    accountId: "123456789012",
    identity: { mechanism: "irsa" as const, oidcProviderArn: PROVIDER, manageAgentAddon: false },
    budget: { emails: [], anomalyThresholdUsd: 100 },
    export: {
      traces: true,
      metrics: true,
      logs: true,
      logRetentionDays: 90,
      manageTransactionSearch: true,
      indexingPercent: 1,
    },
  },
};
const GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/observability/prod/logs";
const METRICS_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/observability/prod/metrics";
const arnOf = (group: string) => logGroupArn(config, group);
/** The collector's AWS exporters exactly as the collector config is generated for `exportConfig`. */
const exportersFor = (exportConfig: Partial<typeof config.aws.export> = {}) =>
  collectorAwsFragment(
    collectorAwsExport({
      ...config,
      aws: { ...config.aws, export: { ...config.aws.export, ...exportConfig } },
    }) as CollectorAwsExport,
  ).exporters;

describe("least-privilege action lists", () => {
  test("the collector's statements follow its generated AWS exporters: X-Ray on *, each log exporter on its own group", () => {
    const logActions = ["logs:PutLogEvents", "logs:CreateLogStream", "logs:DescribeLogStreams"];
    expect(collectorStatements(exportersFor(), arnOf)).toEqual([
      {
        Sid: "XRayIngest",
        Effect: "Allow",
        Action: [
          "xray:PutTraceSegments",
          "xray:PutTelemetryRecords",
          "xray:GetSamplingRules",
          "xray:GetSamplingTargets",
        ],
        Resource: ["*"],
      },
      {
        Sid: "EmfToOwnGroup",
        Effect: "Allow",
        Action: logActions,
        Resource: [METRICS_GROUP, `${METRICS_GROUP}:log-stream:*`],
      },
      { Sid: "LogsToOwnGroup", Effect: "Allow", Action: logActions, Resource: [GROUP, `${GROUP}:log-stream:*`] },
    ]);
  });

  test("a signal switched off in aws.export takes its permissions with it", () => {
    const sids = (e: Partial<typeof config.aws.export>) =>
      collectorStatements(exportersFor(e), arnOf).map((s) => s.Sid);
    expect(sids({ traces: false })).toEqual(["EmfToOwnGroup", "LogsToOwnGroup"]);
    expect(sids({ metrics: false, logs: false })).toEqual(["XRayIngest"]);
    expect(sids({ logs: false })).toEqual(["XRayIngest", "EmfToOwnGroup"]);
  });

  test("an exporter that calls AWS without permissions decided here is refused, by type or by endpoint", () => {
    expect(() => collectorStatements({ ...exportersFor(), awsxray: { region: "eu-west-1" } }, arnOf)).toThrow(
      "exporter awsxray calls AWS but has no permissions defined",
    );
    expect(() =>
      collectorStatements({ "otlp_http/other": { endpoint: "https://monitoring.eu-west-1.amazonaws.com" } }, arnOf),
    ).toThrow("exporter otlp_http/other calls AWS");
    // the in-cluster exporters need nothing
    expect(collectorStatements({ "otlp_grpc/jaeger": { endpoint: "jaeger:4317" }, prometheus: {} }, arnOf)).toEqual([]);
  });

  test("the collector gets no CloudWatch metric or log-group-creation action (awsemf writes log events)", () => {
    const actions = collectorStatements(exportersFor(), arnOf).flatMap((s) => s.Action);
    expect(actions).not.toContain("cloudwatch:PutMetricData");
    expect(actions).not.toContain("logs:CreateLogGroup");
  });

  test("Loki may list its bucket and read, write and delete objects in that bucket only", () => {
    expect(lokiStatements("arn:aws:s3:::loki-chunks")).toEqual([
      { Sid: "LokiBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::loki-chunks"] },
      {
        Sid: "LokiObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: ["arn:aws:s3:::loki-chunks/*"],
      },
    ]);
  });

  test("Grafana's actions are all reads (Get, List, Describe, BatchGet, StartQuery/StopQuery)", () => {
    const actions = Object.values(GRAFANA_ACTIONS).flat();
    for (const action of actions) expect(action).toMatch(/^[a-z]+:(Get|List|Describe|BatchGet|StartQuery$|StopQuery$)/);
  });

  test("* is the resource only of statements whose every action IAM cannot scope; never for logs or S3 writes", () => {
    const all = [
      ...collectorStatements(exportersFor(), arnOf),
      ...lokiStatements("arn:aws:s3:::b"),
      ...grafanaStatements([GROUP], "arn:aws:logs:eu-west-1:123456789012:log-group:*"),
    ];
    const wildcard = all.filter((s) => s.Resource.includes("*"));
    expect(wildcard.map((s) => s.Sid)).toEqual(["XRayIngest", "CloudWatchMetricsRead", "LogsQueryResults", "XRayRead"]);
    for (const s of wildcard) for (const a of s.Action) expect(UNSCOPED_ACTIONS).toContain(a);
    for (const a of [...COLLECTOR_ACTIONS.logs, ...LOKI_ACTIONS.objects]) expect(UNSCOPED_ACTIONS).not.toContain(a);
  });
});

describe("names and ARNs", () => {
  test("log group ARNs name the region, the account and /observability/<environment>/<what>", () => {
    expect(logGroupNames(config)).toEqual({ logs: "/observability/prod/logs", metrics: "/observability/prod/metrics" });
    expect(logGroupArn(config, "/observability/prod/logs")).toBe(GROUP);
  });

  test("a role ARN is arn:<partition>:iam::<account>:role/<prefix>-<env>-<workload>, aws-cn in a China region", () => {
    expect(workloadRoleArn(config, "loki")).toBe("arn:aws:iam::123456789012:role/obs-prod-loki");
    const china = { ...config, aws: { ...config.aws, region: "cn-north-1" } };
    expect(workloadRoleArn(china, "grafana")).toBe("arn:aws-cn:iam::123456789012:role/obs-prod-grafana");
  });

  test("the ServiceAccount gets the IRSA annotation with IRSA, and none with Pod Identity or AWS off", () => {
    expect(serviceAccountAnnotations(config, "collector")).toEqual({
      "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/obs-prod-collector",
    });
    const pod = {
      ...config,
      aws: {
        ...config.aws,
        identity: { mechanism: "pod-identity" as const, clusterName: "c", manageAgentAddon: false },
      },
    };
    expect(serviceAccountAnnotations(pod, "collector")).toEqual({});
    expect(serviceAccountAnnotations({ ...config, aws: { ...config.aws, enabled: false } }, "collector")).toEqual({});
  });
});

describe("trust policies", () => {
  test("the OIDC issuer is the provider ARN after oidc-provider/", () => {
    expect(oidcIssuer(PROVIDER)).toBe("oidc.eks.eu-west-1.amazonaws.com/id/ABC123");
    expect(() => oidcIssuer("arn:aws:iam::123456789012:role/x")).toThrow("aws.identity.oidcProviderArn");
  });

  test("IRSA: the federated provider, AssumeRoleWithWebIdentity, sub of this ServiceAccount and aud sts", () => {
    expect(irsaTrustPolicy(PROVIDER, "obs-prod-platform", "loki")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: PROVIDER },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "oidc.eks.eu-west-1.amazonaws.com/id/ABC123:sub": "system:serviceaccount:obs-prod-platform:loki",
              "oidc.eks.eu-west-1.amazonaws.com/id/ABC123:aud": "sts.amazonaws.com",
            },
          },
        },
      ],
    });
  });

  test("Pod Identity: the pods.eks.amazonaws.com service, AssumeRole and TagSession", () => {
    expect(podIdentityTrustPolicy()).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "pods.eks.amazonaws.com" },
          Action: ["sts:AssumeRole", "sts:TagSession"],
        },
      ],
    });
  });
});
