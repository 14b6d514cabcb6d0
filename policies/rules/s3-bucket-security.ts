import type { StackValidationPolicy } from "@pulumi/policy";
import { BUCKET_TYPES, configsOf } from "../lib/aws";
import type { Json } from "../lib/values";

const SSE = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const PUBLIC_ACCESS_BLOCK = ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"];
const BLOCKS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

/** Telemetry contains request data and identifiers: encrypted at rest and never public. */
export const s3BucketSecurity: StackValidationPolicy = {
  name: "s3-bucket-security",
  description: "Every S3 bucket has server-side encryption and a public access block with all four settings true.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const buckets = args.resources.filter((r) => BUCKET_TYPES.includes(r.type));
    if (buckets.length === 0) args.notApplicable("no S3 buckets");
    for (const bucket of buckets) {
      const sse = configsOf(bucket, args.resources, SSE).flatMap((c) => c.props.rules ?? []);
      if (!sse.some((r: Json) => r?.applyServerSideEncryptionByDefault?.sseAlgorithm)) {
        report(`bucket ${bucket.name} has no server-side encryption configuration`, bucket.urn);
      }
      const blocks = configsOf(bucket, args.resources, PUBLIC_ACCESS_BLOCK);
      if (!blocks.some((b) => BLOCKS.every((k) => b.props[k] === true))) {
        report(`bucket ${bucket.name} has no public access block with ${BLOCKS.join(", ")} all true`, bucket.urn);
      }
    }
  },
};
