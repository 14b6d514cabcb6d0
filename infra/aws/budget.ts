import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";

/** The cost-allocation tag the budget and the anomaly monitor filter on (activate it in Billing: docs/aws.md). */
export const COST_TAG = "environment";
/** The services that publish budget and anomaly alerts to the topic. */
export const ALERT_PUBLISHERS = ["budgets.amazonaws.com", "costalerts.amazonaws.com"] as const;
/** Notifications: [type, percent of the limit]; a forecast warns before the month is over, actuals confirm. */
export const BUDGET_NOTIFICATIONS = [
  ["FORECASTED", 100],
  ["ACTUAL", 80],
  ["ACTUAL", 100],
] as const;

type BudgetConfig = Pick<StackConfig, "environment" | "namespacePrefix" | "cost" | "aws">;

/** The partition of a region's ARNs (cn-* and us-gov-* regions live in their own partitions). */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.includes("-gov-")) return "aws-us-gov";
  return "aws";
}

/**
 * AWS Budgets limits are in USD here, and a silent conversion would put the alert at the wrong amount:
 * a stack whose cost model is in another currency must say so by setting cost.currency to USD.
 */
export function budgetLimitUsd(config: Pick<StackConfig, "cost" | "aws">): string {
  if (config.cost.currency !== "USD") {
    throw new Error(
      `cost.currency is ${config.cost.currency}, but aws.enabled creates an AWS Budget whose limit ` +
        "(cost.monthlyBudget) is in USD: set cost.currency to USD with the budget in USD, or disable aws",
    );
  }
  return String(config.cost.monthlyBudget);
}

/** Names and the topic ARN, fixed from config so the topic policy and the subscribers need no lookup. */
export function costGuardrailNames(config: BudgetConfig) {
  const base = `${config.namespacePrefix}-${config.environment}`;
  const { region, accountId } = config.aws;
  if (!region || !accountId) throw new Error("aws.region and aws.accountId are required when aws.enabled is true");
  const topicName = `${base}-cost-alerts`;
  return {
    budget: `${base}-monthly-cost`,
    monitor: `${base}-cost-anomalies`,
    subscription: `${base}-cost-anomalies-immediate`,
    topic: topicName,
    topicArn: `arn:${partitionOf(region)}:sns:${region}:${accountId}:${topicName}`,
  };
}

/** Lets Budgets and Cost Anomaly Detection publish, for this account only (confused-deputy guard). */
export function alertTopicPolicy(topicArn: string, accountId: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CostAlertsPublish",
        Effect: "Allow",
        Principal: { Service: [...ALERT_PUBLISHERS] },
        Action: "SNS:Publish",
        Resource: topicArn,
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}

/**
 * A CUSTOM monitor on the environment tag, not the DIMENSIONAL SERVICE one: an account holds a single
 * services monitor, so one per stack would collide when environments share an account.
 */
export function anomalyMonitorSpecification(environment: string): string {
  return JSON.stringify({ Tags: { Key: COST_TAG, Values: [environment], MatchOptions: ["EQUALS"] } });
}

export interface CostGuardrailsArgs {
  config: BudgetConfig;
  /** environment, team, cost-center, managed-by: set explicitly too, so they show without the provider's tagsAll. */
  tags: Record<string, string>;
}

/** AWS Budgets and Cost Anomaly Detection for one environment, alerting through one SNS topic. */
export class CostGuardrails extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly budget: aws.budgets.Budget;

  constructor(name: string, args: CostGuardrailsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:aws:CostGuardrails", name, {}, opts);
    const { config, tags } = args;
    const names = costGuardrailNames(config);
    const limitAmount = budgetLimitUsd(config);
    const accountId = config.aws.accountId as string;
    const { emails, anomalyThresholdUsd } = config.aws.budget;

    this.topic = new aws.sns.Topic(`${name}-topic`, { name: names.topic, tags }, { parent: this });
    // The ARN is known from config (the mocks compute none); dependsOn keeps the order a real ARN reference would.
    const afterTopic = { parent: this, dependsOn: [this.topic] };
    const topicPolicy = new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      { arn: names.topicArn, policy: JSON.stringify(alertTopicPolicy(names.topicArn, accountId)) },
      afterTopic,
    );
    emails.forEach((email, i) => {
      new aws.sns.TopicSubscription(
        `${name}-email-${i}`,
        { topic: names.topicArn, protocol: "email", endpoint: email },
        afterTopic,
      );
    });
    // Budgets and Cost Explorer check their publish permission when the notification is saved.
    const afterPolicy = { parent: this, dependsOn: [topicPolicy] };

    this.budget = new aws.budgets.Budget(
      `${name}-budget`,
      {
        name: names.budget,
        budgetType: "COST",
        timeUnit: "MONTHLY",
        limitAmount,
        limitUnit: "USD",
        costFilters: [{ name: "TagKeyValue", values: [`user:${COST_TAG}$${config.environment}`] }],
        notifications: BUDGET_NOTIFICATIONS.map(([notificationType, threshold]) => ({
          notificationType,
          threshold,
          thresholdType: "PERCENTAGE",
          comparisonOperator: "GREATER_THAN",
          subscriberSnsTopicArns: [names.topicArn],
          ...(emails.length > 0 ? { subscriberEmailAddresses: [...emails] } : {}),
        })),
        tags,
      },
      afterPolicy,
    );

    const monitor = new aws.costexplorer.AnomalyMonitor(
      `${name}-anomaly-monitor`,
      {
        name: names.monitor,
        monitorType: "CUSTOM",
        monitorSpecification: anomalyMonitorSpecification(config.environment),
        tags,
      },
      { parent: this },
    );
    // IMMEDIATE alerts can only go to SNS; the e-mail addresses receive them through their topic subscriptions.
    new aws.costexplorer.AnomalySubscription(
      `${name}-anomaly-subscription`,
      {
        name: names.subscription,
        frequency: "IMMEDIATE",
        monitorArnLists: [monitor.arn],
        subscribers: [{ type: "SNS", address: names.topicArn }],
        thresholdExpression: {
          dimension: {
            key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
            matchOptions: ["GREATER_THAN_OR_EQUAL"],
            values: [String(anomalyThresholdUsd)],
          },
        },
        tags,
      },
      afterPolicy,
    );

    this.registerOutputs({ topicArn: names.topicArn, budgetName: names.budget });
  }
}
