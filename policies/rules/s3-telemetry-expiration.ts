import type { StackValidationPolicy } from "@pulumi/policy";
import { BUCKET_TYPES, configsOf } from "../lib/aws";
import type { Json } from "../lib/values";

const LIFECYCLE = [
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
];

const expires = (rule: Json) =>
  rule?.status === "Enabled" && [rule.expiration].flat().some((e: Json) => e?.days > 0 || e?.date);

/** Telemetry buckets grow without bound unless objects expire (Loki's own retention does not empty S3). */
export const s3TelemetryExpiration: StackValidationPolicy = {
  name: "s3-telemetry-expiration",
  description: "Every S3 bucket has a lifecycle configuration with an enabled expiration rule.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const buckets = args.resources.filter((r) => BUCKET_TYPES.includes(r.type));
    if (buckets.length === 0) args.notApplicable("no S3 buckets");
    for (const bucket of buckets) {
      const rules = configsOf(bucket, args.resources, LIFECYCLE).flatMap((c) => c.props.rules ?? []);
      if (!rules.some(expires))
        report(`bucket ${bucket.name} has no enabled lifecycle rule with expiration`, bucket.urn);
    }
  },
};
