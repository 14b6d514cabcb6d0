import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isRecord } from "../lib/values";

export const REQUIRED_TAGS = ["environment", "team", "cost-center", "managed-by"];

/** Taggable types the program creates even when a resource is declared without any tags. */
const TAGGABLE = new Set([
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:kms/key:Key",
  "aws:iam/role:Role",
  "aws:sns/topic:Topic",
  "aws:budgets/budget:Budget",
  "aws:costexplorer/anomalyMonitor:AnomalyMonitor",
  "aws:costexplorer/anomalySubscription:AnomalySubscription",
]);

/**
 * The provider sets default tags, which a real preview shows in `tagsAll`; under mocks only the
 * explicit `tags` exist, so both are accepted (`tagsAll ?? tags`).
 */
export const awsTags: ResourceValidationPolicy = {
  name: "aws-required-tags",
  description: `AWS resources that take tags carry ${REQUIRED_TAGS.join(", ")}.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const taggable = "tags" in args.props || "tagsAll" in args.props || TAGGABLE.has(args.type);
    if (!args.type.startsWith("aws:") || !taggable) args.notApplicable("not a taggable AWS resource");
    const tags = args.props.tagsAll ?? args.props.tags;
    const lacking = REQUIRED_TAGS.filter((t) => !isRecord(tags) || !tags[t]);
    if (lacking.length > 0) report(`tags lack ${lacking.join(", ")}`);
  },
};
