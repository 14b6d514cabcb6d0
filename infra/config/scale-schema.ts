import { z } from "zod";
import { int, resources } from "./fields";

/**
 * `scale`: `single` runs each backend as one node (Loki single binary, one collector, Jaeger on Badger);
 * `distributed` runs the distributed modes the upstream projects ship (docs/scaling.md).
 */
export const SCALE_MODES = ["single", "distributed"] as const;
export type ScaleMode = (typeof SCALE_MODES)[number];

const httpsUrl = z.url({ protocol: /^https$/, error: "must be an https:// URL" });

/** An S3-compatible store (MinIO, Ceph RGW…) for Loki when the stack does not use AWS's S3. */
const objectStore = z.strictObject({
  endpoint: httpsUrl,
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be an S3 bucket name" }),
  region: z.string().min(1).default("us-east-1"),
  /** Path-style requests (MinIO and most self-hosted stores need them). */
  forcePathStyle: z.boolean({ error: "must be true or false" }).default(true),
});

export const REMOTE_WRITE_AUTH = ["none", "basic", "bearer"] as const;
/** Prometheus' long-term store: Amazon Managed Service for Prometheus (needs aws.enabled), or any remote-write URL. */
const remoteWrite = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({ kind: z.literal("amp") }),
    z.strictObject({
      kind: z.literal("url"),
      url: httpsUrl,
      /** basic: Pulumi secrets remoteWriteUsername + remoteWritePassword; bearer: remoteWriteBearerToken. */
      auth: z.enum(REMOTE_WRITE_AUTH, { error: `must be one of: ${REMOTE_WRITE_AUTH.join(", ")}` }).default("basic"),
    }),
  ],
  { error: 'kind must be "amp" or "url"' },
);

const tier = (replicas: number, min: number, max: number) => ({ replicas: int(min, max).default(replicas) });

/** Sizes of the distributed components; defaults justified in docs/scaling.md. */
export const distributedSchema = z
  .strictObject({
    collector: z
      .strictObject({
        /** Stateless OTLP gateway: load-balances spans by trace id to the samplers; scaled by its HPA. */
        gateway: z
          .strictObject({
            ...tier(2, 2, 20),
            maxReplicas: int(2, 50).default(6),
            cpuTargetPercent: int(10, 95).default(70),
            resources: resources.optional(),
          })
          .default({ replicas: 2, maxReplicas: 6, cpuTargetPercent: 70 }),
        /** Tail-sampling StatefulSet: every span of a trace reaches the same one. */
        sampler: z.strictObject({ ...tier(3, 2, 20), resources: resources.optional() }).default({ replicas: 3 }),
      })
      .default({
        gateway: { replicas: 2, maxReplicas: 6, cpuTargetPercent: 70 },
        sampler: { replicas: 3 },
      }),
    loki: z
      .strictObject({
        read: int(2, 20).default(3),
        write: int(3, 20).default(3),
        backend: int(2, 10).default(3),
        replicationFactor: int(1, 5).default(3),
        /** Required unless aws.enabled (then the Logging component's S3 bucket, through Loki's role). */
        objectStore: objectStore.optional(),
      })
      .default({ read: 3, write: 3, backend: 3, replicationFactor: 3 }),
    jaeger: z
      .strictObject({
        opensearch: z
          .strictObject({
            nodes: int(3, 9).default(3),
            storageGi: int(10, 10_000).default(100),
            /** The Amazon OpenSearch Service instance type when aws.enabled. */
            instanceType: z
              .string()
              .regex(/^[a-z0-9]+\.[a-z0-9]+\.search$/, {
                error: 'must be an OpenSearch instance type such as "r6g.large.search"',
              })
              .default("r6g.large.search"),
            /** With aws.enabled: the domain's VPC placement (without it the domain has a public endpoint). */
            vpc: z
              .strictObject({
                subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { error: "must be a subnet id" })).min(1),
                securityGroupIds: z
                  .array(z.string().regex(/^sg-[0-9a-f]+$/, { error: "must be a security group id" }))
                  .min(1),
              })
              .optional(),
          })
          .default({ nodes: 3, storageGi: 100, instanceType: "r6g.large.search" }),
      })
      .default({ opensearch: { nodes: 3, storageGi: 100, instanceType: "r6g.large.search" } }),
    prometheus: z
      .strictObject({
        replicas: int(1, 5).default(2),
        remoteWrite: remoteWrite.optional(),
        /** Remote-write only the metrics a rule, dashboard or tool of this project reads. */
        keepOnlyUsedMetrics: z.boolean({ error: "must be true or false" }).default(false),
      })
      .default({ replicas: 2, keepOnlyUsedMetrics: false }),
  })
  .refine((d) => d.loki.replicationFactor <= d.loki.write, {
    error: "must not exceed loki.write: each stream is written to that many write replicas",
    path: ["loki", "replicationFactor"],
  })
  .refine((d) => d.collector.gateway.maxReplicas >= d.collector.gateway.replicas, {
    error: "maxReplicas must be ≥ replicas",
    path: ["collector", "gateway", "maxReplicas"],
  });

export type DistributedConfig = z.infer<typeof distributedSchema>;
