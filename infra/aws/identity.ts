import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";
import type { Namespaces } from "../platform/naming";
import { collectorAwsExport, collectorAwsFragment } from "../tracing/collector-aws";
import { awsPartition, exportedLogGroups, logGroupArn } from "./names";
import { collectorStatements, grafanaStatements } from "./policies";
import { WorkloadRole } from "./workload-role";

export interface AwsIdentityArgs {
  config: StackConfig;
  namespaces: Namespaces;
  tags: Record<string, string>;
}

/**
 * The platform-wide part of AWS identity: the collector's and Grafana's roles, and the EKS Pod Identity agent
 * add-on when the config asks for it. Loki's role is made next to its bucket (infra/logging/logging.ts).
 */
export class AwsIdentity extends pulumi.ComponentResource {
  /** Absent when `aws.export` switches every signal off: the collector then calls no AWS API. */
  readonly collector?: WorkloadRole;
  readonly grafana: WorkloadRole;

  constructor(name: string, args: AwsIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:aws:AwsIdentity", name, {}, opts);
    const { config, namespaces: ns, tags } = args;
    const identity = config.aws.identity;
    if (identity?.mechanism === "pod-identity" && identity.manageAgentAddon && identity.clusterName) {
      // Pod Identity needs this agent on every node (EC2 Linux nodes only: not Fargate, Windows or self-managed).
      new aws.eks.Addon(
        `${name}-pod-identity-agent`,
        { clusterName: identity.clusterName, addonName: "eks-pod-identity-agent", tags },
        { parent: this },
      );
    }
    const groups = exportedLogGroups(config).map((g) => logGroupArn(config, g));
    const region = config.aws.region as string;
    const accountGroups = `arn:${awsPartition(region)}:logs:${region}:${config.aws.accountId}:log-group:*`;
    const collectorExport = collectorAwsExport(config);
    if (collectorExport) {
      const exporters = collectorAwsFragment(collectorExport).exporters;
      this.collector = new WorkloadRole(
        `${name}-collector`,
        {
          config,
          workload: "collector",
          namespace: ns.platform,
          statements: collectorStatements(exporters, (group) => logGroupArn(config, group)),
          tags,
        },
        { parent: this },
      );
    }
    this.grafana = new WorkloadRole(
      `${name}-grafana`,
      {
        config,
        workload: "grafana",
        namespace: ns.platform,
        statements: grafanaStatements(groups, accountGroups),
        tags,
      },
      { parent: this },
    );
    this.registerOutputs({ collectorRoleArn: this.collector?.role.arn, grafanaRoleArn: this.grafana.role.arn });
  }
}
