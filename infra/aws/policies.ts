/**
 * Least-privilege IAM, as data: one action list per workload, derived from what its AWS clients really call, and
 * the trust policies of IRSA and EKS Pod Identity. Pure: no Pulumi resources.
 */

export interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

/**
 * The collector: X-Ray OTLP ingestion with sigv4auth and the sampling APIs, and CloudWatch Logs for the logs and
 * the awsemf exporter (EMF metrics are log events, so no cloudwatch:PutMetricData). Log groups are made by Pulumi,
 * so no logs:CreateLogGroup.
 */
export const COLLECTOR_ACTIONS = {
  xray: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
  logs: ["logs:PutLogEvents", "logs:CreateLogStream", "logs:DescribeLogStreams"],
} as const;

/** Loki's S3 object store: list the bucket; read, write and delete (retention, compactor) its objects. */
export const LOKI_ACTIONS = {
  bucket: ["s3:ListBucket"],
  objects: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
} as const;

/**
 * Grafana, read-only. The CloudWatch datasource's documented policy (grafana.com/docs/grafana/latest/datasources/
 * aws-cloudwatch/configure/#iam-policies) minus the EC2/tag/OAM template-variable helpers: metric queries, and Logs
 * Insights queries on the project's log groups. The X-Ray datasource's documented policy
 * (grafana.com/docs/plugins/grafana-x-ray-datasource/latest/#iam-policies) minus Insights and ec2:DescribeRegions.
 */
export const GRAFANA_ACTIONS = {
  metrics: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
  logGroups: ["logs:StartQuery", "logs:GetLogGroupFields", "logs:GetLogEvents"],
  listLogGroups: ["logs:DescribeLogGroups"],
  queries: ["logs:GetQueryResults", "logs:StopQuery"],
  xray: [
    "xray:GetTraceSummaries",
    "xray:BatchGetTraces",
    "xray:GetServiceGraph",
    "xray:GetTraceGraph",
    "xray:GetTimeSeriesServiceStatistics",
    "xray:GetGroups",
  ],
} as const;

/**
 * Actions whose IAM entry lists no resource type (Service Authorization Reference), so `*` is their only
 * resource. Every other action is scoped to the project's ARNs.
 */
export const UNSCOPED_ACTIONS: readonly string[] = [
  ...COLLECTOR_ACTIONS.xray,
  ...GRAFANA_ACTIONS.xray,
  ...GRAFANA_ACTIONS.metrics,
  ...GRAFANA_ACTIONS.queries,
];

const allow = (Sid: string, actions: readonly string[], Resource: string[]): Statement => ({
  Sid,
  Effect: "Allow",
  Action: [...actions],
  Resource,
});

/** A log group's ARN and the ARN of every stream in it (PutLogEvents and CreateLogStream act on streams). */
export function logGroupResources(logGroupArns: string[]): string[] {
  return logGroupArns.flatMap((arn) => [arn, `${arn}:log-stream:*`]);
}

export function collectorStatements(logGroupArns: string[]): Statement[] {
  return [
    allow("XRayIngest", COLLECTOR_ACTIONS.xray, ["*"]),
    allow("OwnLogGroups", COLLECTOR_ACTIONS.logs, logGroupResources(logGroupArns)),
  ];
}

export function lokiStatements(bucketArn: string): Statement[] {
  return [
    allow("LokiBucket", LOKI_ACTIONS.bucket, [bucketArn]),
    allow("LokiObjects", LOKI_ACTIONS.objects, [`${bucketArn}/*`]),
  ];
}

/** `logGroupArns`: the project's log groups; `logGroupsOfAccount`: `arn:…:logs:<region>:<account>:log-group:*`. */
export function grafanaStatements(logGroupArns: string[], logGroupsOfAccount: string): Statement[] {
  return [
    allow("CloudWatchMetricsRead", GRAFANA_ACTIONS.metrics, ["*"]),
    allow("OwnLogGroupsQuery", GRAFANA_ACTIONS.logGroups, logGroupResources(logGroupArns)),
    allow("ListLogGroups", GRAFANA_ACTIONS.listLogGroups, [logGroupsOfAccount]),
    allow("LogsQueryResults", GRAFANA_ACTIONS.queries, ["*"]),
    allow("XRayRead", GRAFANA_ACTIONS.xray, ["*"]),
  ];
}

export function policyDocument(statements: Statement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** The issuer host/path IAM conditions are keyed on: the provider ARN after `oidc-provider/`. */
export function oidcIssuer(oidcProviderArn: string): string {
  const at = oidcProviderArn.indexOf(":oidc-provider/");
  if (at < 0) throw new Error(`aws.identity.oidcProviderArn: not an OIDC provider ARN: ${oidcProviderArn}`);
  return oidcProviderArn.slice(at + ":oidc-provider/".length);
}

/** IRSA: only this ServiceAccount's projected token, issued for STS, may assume the role. */
export function irsaTrustPolicy(oidcProviderArn: string, namespace: string, serviceAccount: string) {
  const issuer = oidcIssuer(oidcProviderArn);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  };
}

/** EKS Pod Identity: the agent assumes the role and tags the session (the association picks the ServiceAccount). */
export function podIdentityTrustPolicy() {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
      },
    ],
  };
}
