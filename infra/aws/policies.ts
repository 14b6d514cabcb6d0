/**
 * Least-privilege IAM, as data: one action list per workload, derived from what its AWS clients really call, and
 * the trust policies of IRSA and EKS Pod Identity. Pure: no Pulumi resources.
 */

import { AWS_EXPORTERS as AWS_EXPORTER_IDS } from "../tracing/collector-aws";

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
 * What each of the collector's AWS exporters (infra/tracing/collector-aws.ts) calls. X-Ray's OTLP endpoint
 * is authorised as X-Ray's write-only managed policy grants (segments, telemetry, sampling); CloudWatch Logs,
 * for the OTLP logs endpoint and for awsemf alike (EMF metrics are log events: no cloudwatch:PutMetricData).
 * Log groups are made by Pulumi, so no logs:CreateLogGroup.
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
 * Amazon Managed Service for Prometheus (docs.aws.amazon.com/prometheus/latest/userguide/AMP-and-IAM.html):
 * Prometheus only writes; Grafana only reads (the Prometheus HTTP API through SigV4). Both on the one workspace.
 */
export const AMP_ACTIONS = {
  write: ["aps:RemoteWrite"],
  query: ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"],
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

/**
 * The collector's statements, derived from its AWS exporters as generated: X-Ray on `*` for the traces exporter;
 * for a logs or EMF exporter, the log actions on the one group its own settings name. An AWS exporter this does
 * not know is an error, so a new one cannot ship without its permissions being decided here.
 */
export function collectorStatements(
  exporters: Record<string, unknown>,
  logGroupArnOf: (logGroup: string) => string,
): Statement[] {
  const statements: Statement[] = [];
  for (const [id, settings] of Object.entries(exporters)) {
    const s = (settings ?? {}) as Record<string, unknown>;
    if (id === AWS_EXPORTER_IDS.traces) statements.push(allow("XRayIngest", COLLECTOR_ACTIONS.xray, ["*"]));
    else if (id === AWS_EXPORTER_IDS.logs) {
      const group = (s.headers as Record<string, string> | undefined)?.["x-aws-log-group"];
      if (!group) throw new Error(`exporter ${id}: no x-aws-log-group header`);
      statements.push(allow("LogsToOwnGroup", COLLECTOR_ACTIONS.logs, logGroupResources([logGroupArnOf(group)])));
    } else if (id === AWS_EXPORTER_IDS.metrics) {
      const group = s.log_group_name as string | undefined;
      if (!group) throw new Error(`exporter ${id}: no log_group_name`);
      statements.push(allow("EmfToOwnGroup", COLLECTOR_ACTIONS.logs, logGroupResources([logGroupArnOf(group)])));
    } else if (/^aws|amazonaws\.com/.test(`${id} ${JSON.stringify(s)}`)) {
      throw new Error(`exporter ${id} calls AWS but has no permissions defined in infra/aws/policies.ts`);
    }
  }
  return statements;
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
    // no project log group (aws.export without logs and metrics): no statement, IAM refuses an empty Resource
    ...(logGroupArns.length > 0
      ? [allow("OwnLogGroupsQuery", GRAFANA_ACTIONS.logGroups, logGroupResources(logGroupArns))]
      : []),
    allow("ListLogGroups", GRAFANA_ACTIONS.listLogGroups, [logGroupsOfAccount]),
    allow("LogsQueryResults", GRAFANA_ACTIONS.queries, ["*"]),
    allow("XRayRead", GRAFANA_ACTIONS.xray, ["*"]),
  ];
}

export function prometheusStatements(workspaceArn: string): Statement[] {
  return [allow("AmpRemoteWrite", AMP_ACTIONS.write, [workspaceArn])];
}

/** Grafana's extra statement when a workspace exists: queries on that workspace only. */
export function grafanaAmpStatements(workspaceArn: string): Statement[] {
  return [allow("AmpQuery", AMP_ACTIONS.query, [workspaceArn])];
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
