import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { lokiStatements } from "../aws/policies";
import { WorkloadRole } from "../aws/workload-role";
import { pinnedChart } from "../charts/chart";
import { mergeValues, staticValues } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";
import { collectorOtlpHttpUrl, LOKI_OBJECT_STORE_SECRET, lokiUrl, type Namespaces, RELEASES } from "../platform/naming";
import { requireSecret } from "../platform/secrets";
import { alloyPipeline } from "./alloy-config";
import { lokiObjectStore, lokiValues } from "./values";

export interface LogsBucketArgs {
  retentionDays: number;
  tags: Record<string, string>;
}

/** An S3 bucket for Loki: encrypted, private, objects expire one day after Loki's own retention. */
export class LogsBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;

  constructor(name: string, args: LogsBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:logging:LogsBucket", name, {}, opts);
    this.bucket = new aws.s3.Bucket(`${name}`, { forceDestroy: false, tags: args.tags }, { parent: this });
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      {
        bucket: this.bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
      },
      { parent: this },
    );
    new aws.s3.BucketPublicAccessBlock(
      `${name}-private`,
      {
        bucket: this.bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-expiry`,
      {
        bucket: this.bucket.id,
        rules: [
          { id: "expire-after-retention", status: "Enabled", filter: {}, expiration: { days: args.retentionDays + 1 } },
        ],
      },
      { parent: this },
    );
    this.registerOutputs({ bucket: this.bucket.bucket });
  }
}

export interface LoggingArgs {
  config: StackConfig;
  namespaces: Namespaces;
  labels: Record<string, string>;
  /** Tags for AWS resources, when AWS is enabled. */
  awsTags: Record<string, string>;
}

/**
 * Loki with retention on (one binary in `single`; read, write and backend targets behind the chart's gateway on
 * object storage in `distributed`) and Alloy shipping every pod's logs to it.
 */
export class Logging extends pulumi.ComponentResource {
  readonly lokiValues: Record<string, unknown>;
  readonly alloyValues: Record<string, unknown>;
  readonly lokiUrl: string;
  readonly lokiPushUrl: string;

  constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:logging:Logging", name, {}, opts);
    const { config, namespaces: ns, labels } = args;
    this.lokiUrl = lokiUrl(config, ns);
    this.lokiPushUrl = `${this.lokiUrl}/loki/api/v1/push`;

    let s3: { bucket: pulumi.Output<string>; region: string } | undefined;
    let lokiRole: WorkloadRole | undefined;
    // prod keeps its logs on S3 when AWS is on; `distributed` needs an object store wherever it runs
    if (config.aws.enabled && (config.environment === "prod" || config.scale === "distributed")) {
      const logs = new LogsBucket(
        `${name}-loki-bucket`,
        { retentionDays: config.logs.retentionDays, tags: args.awsTags },
        { parent: this },
      );
      s3 = { bucket: logs.bucket.bucket, region: config.aws.region as string };
      // Loki's own role, on this bucket only (the chart's ServiceAccount carries it: lokiValues); it exists
      // before Loki's pods start, as Pod Identity binds a pod's credentials when it starts
      lokiRole = new WorkloadRole(
        `${name}-loki-role`,
        {
          config,
          workload: "loki",
          namespace: ns.platform,
          statements: logs.bucket.arn.apply(lokiStatements),
          tags: args.awsTags,
        },
        { parent: this },
      );
    }
    const storage = { s3: s3 && { bucket: s3.bucket as unknown as string, region: s3.region } };
    this.lokiValues = mergeValues(staticValues("loki"), lokiValues(config, labels, storage));
    // an S3-compatible store's keys: Pulumi secrets into a Secret Loki reads as env vars (never chart values)
    const keys =
      lokiObjectStore(config, storage).kind === "s3-compatible"
        ? new k8s.core.v1.Secret(
            `${name}-loki-object-store`,
            {
              metadata: {
                name: LOKI_OBJECT_STORE_SECRET.name,
                namespace: ns.platform,
                labels: { ...labels, "app.kubernetes.io/name": "loki" },
              },
              type: "Opaque",
              stringData: {
                [LOKI_OBJECT_STORE_SECRET.accessKeyId]: requireSecret("lokiObjectStoreAccessKeyId"),
                [LOKI_OBJECT_STORE_SECRET.secretAccessKey]: requireSecret("lokiObjectStoreSecretAccessKey"),
              },
            },
            { parent: this },
          )
        : undefined;
    pinnedChart(
      `${name}-loki`,
      "loki",
      { name: RELEASES.loki, namespace: ns.platform, values: this.lokiValues },
      this,
      undefined,
      [...(lokiRole ? [lokiRole] : []), ...(keys ? [keys] : [])],
    );

    this.alloyValues = mergeValues(staticValues("alloy"), {
      fullnameOverride: RELEASES.alloy,
      controller: { podLabels: chartLabels(labels) },
      alloy: {
        configMap: {
          content: alloyPipeline({
            namespaces: [ns.apps, ns.platform],
            lokiPushUrl: this.lokiPushUrl,
            environment: config.environment,
            ...(config.aws.enabled && config.aws.export.logs
              ? { toCollector: { otlpHttpUrl: collectorOtlpHttpUrl(ns), namespace: ns.apps } }
              : {}),
          }),
        },
      },
    });
    pinnedChart(
      `${name}-alloy`,
      "alloy",
      { name: RELEASES.alloy, namespace: ns.platform, values: this.alloyValues },
      this,
    );
    this.registerOutputs({ lokiUrl: this.lokiUrl });
  }
}
