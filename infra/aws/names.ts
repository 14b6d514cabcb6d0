import type { StackConfig } from "../config/schema";
import { PLATFORM_SERVICES, RELEASES } from "../platform/naming";

/** The workloads that call AWS, each with its own role. */
export const AWS_WORKLOADS = ["collector", "loki", "grafana", "prometheus"] as const;
export type AwsWorkload = (typeof AWS_WORKLOADS)[number];

/** The annotation IRSA's webhook reads to give a pod the role's web-identity credentials. */
export const IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";

/**
 * The ServiceAccount each chart renders (fullnameOverride in charts-values/): opentelemetry-collector and loki name
 * it after their fullname; kube-prometheus-stack's grafana sub-chart after its fullname `<release>-grafana`.
 */
export const WORKLOAD_SERVICE_ACCOUNTS: Record<AwsWorkload, string> = {
  collector: RELEASES.collector,
  loki: RELEASES.loki,
  grafana: PLATFORM_SERVICES.grafana.name,
  // kube-prometheus-stack names Prometheus' ServiceAccount `<release>-prometheus` (as rendered)
  prometheus: PLATFORM_SERVICES.prometheus.name,
};

type AwsNaming = Pick<StackConfig, "namespacePrefix" | "environment" | "aws">;

/** The project's CloudWatch log groups, one place for the collector's exporters and the LogGroup resources. */
export function logGroupNames(config: Pick<StackConfig, "environment">) {
  return {
    /** The services' logs (OTLP logs from the collector). */
    logs: `/observability/${config.environment}/logs`,
    /** The awsemf exporter's embedded-metric-format events (RED metrics). */
    metrics: `/observability/${config.environment}/metrics`,
  };
}

/** Whether the collector exports anything to AWS (it then has a role; otherwise none). */
export function collectorCallsAws(config: Pick<StackConfig, "aws">): boolean {
  const { traces, metrics, logs } = config.aws.export;
  return config.aws.enabled && (traces || metrics || logs);
}

/** Whether Prometheus remote-writes to an Amazon Managed Service for Prometheus workspace (it then has a role). */
export function writesToAmp(
  config: Partial<Pick<StackConfig, "scale" | "distributed">> & Pick<StackConfig, "aws">,
): boolean {
  const kind = config.distributed?.prometheus.remoteWrite?.kind;
  return config.aws.enabled && config.scale === "distributed" && kind === "amp";
}

/**
 * An Amazon Managed Service for Prometheus workspace's endpoints (docs.aws.amazon.com/prometheus/latest/userguide/
 * AMP-onboard-ingest-metrics-remote-write.html): the query root Grafana uses and the remote-write URL.
 */
export function ampWorkspaceUrls(region: string, workspaceId: string) {
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  const query = `https://aps-workspaces.${region}.${suffix}/workspaces/${workspaceId}/`;
  return { query, remoteWrite: `${query}api/v1/remote_write` };
}

/** The ARN of a workspace (`arn:…:aps:<region>:<account>:workspace/<id>`), the resource of every aps: action. */
export function ampWorkspaceArn(config: AwsNaming, workspaceId: string): string {
  const { region, accountId } = enabledAws(config);
  return `arn:${awsPartition(region)}:aps:${region}:${accountId}:workspace/${workspaceId}`;
}

/** The log groups Pulumi makes for this stack: the services' logs and the EMF metrics, as `aws.export` says. */
export function exportedLogGroups(config: Pick<StackConfig, "aws" | "environment">): string[] {
  if (!config.aws.enabled) return [];
  const names = logGroupNames(config);
  return [...(config.aws.export.logs ? [names.logs] : []), ...(config.aws.export.metrics ? [names.metrics] : [])];
}

/** The CloudWatch metric namespace the awsemf exporter writes the RED metrics to: one per environment. */
export function cloudWatchNamespace(config: Pick<StackConfig, "environment">): string {
  return `Observability/${config.environment}`;
}

/** The stream the collector writes the services' logs to: made by Pulumi, as the OTLP logs endpoint requires. */
export const COLLECTOR_LOG_STREAM = "otel-collector";

/** The regional OTLP endpoints of X-Ray (traces, with Transaction Search) and CloudWatch Logs. */
export function otlpEndpoints(region: string) {
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return {
    traces: `https://xray.${region}.${suffix}/v1/traces`,
    logs: `https://logs.${region}.${suffix}/v1/logs`,
  };
}

/** aws, aws-cn or aws-us-gov: the partition every ARN of the region starts with. */
export function awsPartition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function enabledAws(config: AwsNaming): { region: string; accountId: string } {
  const { region, accountId } = config.aws;
  if (!config.aws.enabled || !region || !accountId) throw new Error("aws.enabled with aws.region and aws.accountId");
  return { region, accountId };
}

/** The role's name, fixed (not auto-named) so its ARN is known before it exists and the charts can carry it. */
export function workloadRoleName(config: AwsNaming, workload: AwsWorkload): string {
  return `${config.namespacePrefix}-${config.environment}-${workload}`;
}

export function workloadRoleArn(config: AwsNaming, workload: AwsWorkload): string {
  const { region, accountId } = enabledAws(config);
  return `arn:${awsPartition(region)}:iam::${accountId}:role/${workloadRoleName(config, workload)}`;
}

/** The ARN of a log group (`…:log-group:<name>`), as IAM's CloudWatch Logs resource types spell it. */
export function logGroupArn(config: AwsNaming, logGroup: string): string {
  const { region, accountId } = enabledAws(config);
  return `arn:${awsPartition(region)}:logs:${region}:${accountId}:log-group:${logGroup}`;
}

/**
 * A workload ServiceAccount's annotations: the IRSA role ARN when AWS is on with IRSA; nothing otherwise (Pod
 * Identity associates the ServiceAccount by name, without annotations).
 */
export function serviceAccountAnnotations(config: AwsNaming, workload: AwsWorkload): Record<string, string> {
  if (!config.aws.enabled || config.aws.identity?.mechanism !== "irsa") return {};
  if (workload === "collector" && !collectorCallsAws(config)) return {};
  if (workload === "prometheus" && !writesToAmp(config)) return {};
  return { [IRSA_ROLE_ANNOTATION]: workloadRoleArn(config, workload) };
}

/** The chart values `{ serviceAccount: { annotations } }` carrying the IRSA annotation; `{}` when there is none. */
export function serviceAccountValues(config: AwsNaming, workload: AwsWorkload): { serviceAccount?: object } {
  const annotations = serviceAccountAnnotations(config, workload);
  return Object.keys(annotations).length > 0 ? { serviceAccount: { annotations } } : {};
}
