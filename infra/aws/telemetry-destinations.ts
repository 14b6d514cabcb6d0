import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";
import { awsPartition, COLLECTOR_LOG_STREAM, logGroupNames } from "./names";

export interface AwsTelemetryDestinationsArgs {
  config: StackConfig;
  tags: Record<string, string>;
}

/** Where X-Ray's Transaction Search writes spans and its application-signals data (fixed by AWS). */
export const TRANSACTION_SEARCH_LOG_GROUPS = ["aws/spans", "/aws/application-signals/data"] as const;

/**
 * X-Ray may write the spans it receives into Transaction Search's log groups, and only for this account's
 * X-Ray (the confused-deputy conditions AWS documents for the policy).
 */
export function transactionSearchLogPolicy(region: string, accountId: string) {
  const partition = awsPartition(region);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TransactionSearchXRayAccess",
        Effect: "Allow",
        Principal: { Service: "xray.amazonaws.com" },
        Action: "logs:PutLogEvents",
        Resource: TRANSACTION_SEARCH_LOG_GROUPS.map(
          (g) => `arn:${partition}:logs:${region}:${accountId}:log-group:${g}:*`,
        ),
        Condition: {
          ArnLike: { "aws:SourceArn": `arn:${partition}:xray:${region}:${accountId}:*` },
          StringEquals: { "aws:SourceAccount": accountId },
        },
      },
    ],
  };
}

/**
 * What the collector writes to in AWS: the log groups of the services' logs and of the EMF metrics (retention
 * per environment, optional KMS key), the stream the OTLP logs endpoint needs to exist, and X-Ray Transaction
 * Search, which the OTLP traces endpoint requires (spans to CloudWatch Logs, a share indexed as trace summaries).
 */
export class AwsTelemetryDestinations extends pulumi.ComponentResource {
  readonly logGroups: aws.cloudwatch.LogGroup[] = [];

  constructor(name: string, args: AwsTelemetryDestinationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:aws:AwsTelemetryDestinations", name, {}, opts);
    const { config, tags } = args;
    const exp = config.aws.export;
    const groups = logGroupNames(config);
    const logGroup = (kind: "logs" | "metrics") =>
      new aws.cloudwatch.LogGroup(
        `${name}-${kind}`,
        {
          name: groups[kind],
          retentionInDays: exp.logRetentionDays,
          ...(exp.kmsKeyArn ? { kmsKeyId: exp.kmsKeyArn } : {}),
          tags,
        },
        { parent: this },
      );
    if (exp.logs) {
      const logs = logGroup("logs");
      this.logGroups.push(logs);
      new aws.cloudwatch.LogStream(
        `${name}-logs-stream`,
        { name: COLLECTOR_LOG_STREAM, logGroupName: logs.name },
        { parent: this },
      );
    }
    if (exp.metrics) this.logGroups.push(logGroup("metrics"));

    if (exp.traces && exp.manageTransactionSearch) {
      const region = config.aws.region as string;
      const policy = new aws.cloudwatch.LogResourcePolicy(
        `${name}-transaction-search`,
        {
          policyName: "TransactionSearchXRayAccess",
          policyDocument: JSON.stringify(transactionSearchLogPolicy(region, config.aws.accountId as string)),
        },
        { parent: this },
      );
      new aws.xray.TraceSegmentDestination(
        `${name}-segment-destination`,
        { destination: "CloudWatchLogs" },
        { parent: this, dependsOn: [policy] },
      );
      // "Default" is the rule X-Ray creates; its probabilistic share of spans becomes searchable trace summaries
      new aws.xray.IndexingRule(
        `${name}-indexing`,
        { name: "Default", rule: { probabilistic: { desiredSamplingPercentage: exp.indexingPercent } } },
        { parent: this, dependsOn: [policy] },
      );
    }
    this.registerOutputs({ logGroupNames: this.logGroups.map((g) => g.name) });
  }
}
