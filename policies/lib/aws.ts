import type { PolicyResource } from "@pulumi/policy";

export const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

/**
 * The resources of `types` that configure `bucket`. In a real preview the link is the `bucket`
 * property (or its property dependency); under mocks it is the mocked id `<name>-id`, or the
 * naming convention `<bucket name>-<suffix>` (infra/logging/logging.ts).
 */
export function configsOf(bucket: PolicyResource, resources: PolicyResource[], types: string[]): PolicyResource[] {
  const ids = new Set([bucket.props.bucket, bucket.props.id, `${bucket.name}-id`].filter(Boolean));
  return resources.filter(
    (r) =>
      types.includes(r.type) &&
      (ids.has(r.props.bucket) ||
        r.propertyDependencies.bucket?.some((d) => d.urn === bucket.urn) ||
        r.name.startsWith(`${bucket.name}-`)),
  );
}
