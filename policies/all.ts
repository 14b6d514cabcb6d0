import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { awsBudget } from "./rules/aws-budget";
import { awsTags } from "./rules/aws-tags";
import { cloudwatchLogRetention } from "./rules/cloudwatch-log-retention";
import { containerResources } from "./rules/container-resources";
import { faultInjection } from "./rules/fault-injection";
import { iamLeastPrivilege } from "./rules/iam-least-privilege";
import { imagePinned } from "./rules/image-pinned";
import { jaegerRetention } from "./rules/jaeger-retention";
import { loadBalancerServices } from "./rules/load-balancer-services";
import { lokiRetention } from "./rules/loki-retention";
import { noChaosInProd } from "./rules/no-chaos-in-prod";
import { noPlaintextSecrets } from "./rules/no-plaintext-secrets";
import { podSecurity } from "./rules/pod-security";
import { prometheusRetention } from "./rules/prometheus-retention";
import { requiredLabels } from "./rules/required-labels";
import { resourceCaps } from "./rules/resource-caps";
import { s3BucketSecurity } from "./rules/s3-bucket-security";
import { s3TelemetryExpiration } from "./rules/s3-telemetry-expiration";
import { scaleDistributed } from "./rules/scale-distributed";
import { storageEncryption } from "./rules/storage-encryption";

/** Every policy of the pack, in report order. index.ts serves them; the harness evaluates them. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  // labels and tags
  requiredLabels,
  awsTags,
  // retention and persistence
  prometheusRetention,
  lokiRetention,
  jaegerRetention,
  cloudwatchLogRetention,
  s3TelemetryExpiration,
  // security
  podSecurity,
  containerResources,
  imagePinned,
  loadBalancerServices,
  s3BucketSecurity,
  storageEncryption,
  iamLeastPrivilege,
  noPlaintextSecrets,
  faultInjection,
  noChaosInProd,
  // scale
  scaleDistributed,
  // cost: caps advisory, the AWS budget mandatory
  resourceCaps,
  awsBudget,
];
