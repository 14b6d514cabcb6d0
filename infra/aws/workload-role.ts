import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";
import { type AwsWorkload, WORKLOAD_SERVICE_ACCOUNTS, workloadRoleArn, workloadRoleName } from "./names";
import { irsaTrustPolicy, podIdentityTrustPolicy, policyDocument, type Statement } from "./policies";

export interface WorkloadRoleArgs {
  config: Pick<StackConfig, "namespacePrefix" | "environment" | "aws">;
  workload: AwsWorkload;
  /** The namespace of the workload's ServiceAccount. */
  namespace: string;
  /** The inline policy's statements (infra/aws/policies.ts); an Output when they name a resource's ARN. */
  statements: pulumi.Input<Statement[]>;
  /** environment, team, cost-center, managed-by (also the provider's default tags; explicit for the policy pack). */
  tags: Record<string, string>;
}

/**
 * One workload's IAM role, assumable only through its ServiceAccount (IRSA or EKS Pod Identity, no keys), with
 * its least-privilege inline policy. With Pod Identity it also makes the association; with IRSA the chart
 * annotates the ServiceAccount with the role's ARN (names.ts: serviceAccountAnnotations).
 */
export class WorkloadRole extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;

  constructor(name: string, args: WorkloadRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:aws:WorkloadRole", name, {}, opts);
    const { config, workload, namespace } = args;
    const identity = config.aws.identity;
    if (!config.aws.enabled || !identity) throw new Error("aws.identity is required when aws.enabled is true");
    const serviceAccount = WORKLOAD_SERVICE_ACCOUNTS[workload];
    let trust: object;
    if (identity.mechanism === "irsa") {
      if (!identity.oidcProviderArn) throw new Error("aws.identity.oidcProviderArn: is required with mechanism irsa");
      trust = irsaTrustPolicy(identity.oidcProviderArn, namespace, serviceAccount);
    } else {
      trust = podIdentityTrustPolicy();
    }
    this.role = new aws.iam.Role(
      `${name}`,
      {
        name: workloadRoleName(config, workload),
        description: `${workload} of ${config.namespacePrefix}-${config.environment}, through its ServiceAccount`,
        assumeRolePolicy: JSON.stringify(trust),
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        name: `${workload}-least-privilege`,
        policy: pulumi.output(args.statements).apply((s) => JSON.stringify(policyDocument(s))),
      },
      { parent: this },
    );
    if (identity.mechanism === "pod-identity") {
      if (!identity.clusterName) throw new Error("aws.identity.clusterName: is required with mechanism pod-identity");
      new aws.eks.PodIdentityAssociation(
        `${name}-association`,
        {
          clusterName: identity.clusterName,
          namespace,
          serviceAccount,
          // the fixed name's ARN (what IRSA annotations carry too), after the role exists
          roleArn: this.role.name.apply(() => workloadRoleArn(config, workload)),
          tags: args.tags,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ roleArn: this.role.arn });
  }
}
