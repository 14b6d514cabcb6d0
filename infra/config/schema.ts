import { z } from "zod";
import {
  describeIssues,
  dottedPath,
  HTTP_DURATION_BUCKETS,
  LOG_LEVELS,
  RESPONDER_MODES,
  type ResponderMode,
  SERVICE_NAMES,
} from "../../contract";
import { durationSeconds } from "../preflight/checks/rendered-config/units";
import { blackboxConfig, probeTimingProblems } from "../probes/modules";
import { int, resources } from "./fields";
import { distributedSchema, SCALE_MODES } from "./scale-schema";

/** Stack config errors name the key path under `platform` and what is allowed. */
export class StackConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack config "platform":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "StackConfigError";
  }
}

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** A Kubernetes label value: at most 63 characters, alphanumeric at both ends. */
const labelValue = z.string().regex(/^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/, {
  error: "must be a Kubernetes label value (a-z, 0-9, -_. inside, ≤ 63)",
});
const dnsLabel = (max: number) =>
  z.string().regex(new RegExp(`^[a-z]([-a-z0-9]{0,${max - 2}}[a-z0-9])?$`), {
    error: `must be a DNS label (a-z, 0-9, -; starts with a letter; ≤ ${max} characters)`,
  });

/**
 * Loki's chunk encodings (pkg/compression/codec.go) worth choosing: `none` would store raw text, and
 * `lz4` (4 MB blocks) buys nothing over lz4-1M at our chunk sizes.
 */
export const CHUNK_ENCODINGS = ["snappy", "gzip", "lz4-64k", "lz4-256k", "lz4-1M", "zstd", "flate"] as const;

/** A Go duration (Loki's ingester parses its durations with time.ParseDuration) between two bounds. */
const duration = (minMinutes: number, maxMinutes: number, bounds: string) => {
  const error = `must be a duration from ${bounds} such as "1h30m" (units h, m, s)`;
  return z.string({ error }).refine(
    (text) => {
      const seconds = durationSeconds(text, "go");
      return seconds !== undefined && seconds >= minMinutes * 60 && seconds <= maxMinutes * 60;
    },
    { error },
  );
};

const chunks = z
  .strictObject({
    encoding: z.enum(CHUNK_ENCODINGS, { error: `must be one of: ${CHUNK_ENCODINGS.join(", ")}` }).default("snappy"),
    /** Compressed size at which Loki cuts a chunk (chunk_target_size); Loki's default is 1.5 MiB. */
    targetSizeBytes: int(262_144, 16_777_216).default(1_572_864),
    /**
     * Oldest a chunk may get before it is flushed (max_chunk_age). Loki accepts out-of-order lines up to
     * half of it back; beyond its 2h default, more unflushed data waits in memory and the WAL.
     */
    maxChunkAge: duration(30, 120, "30m to 2h").default("2h"),
    /** A stream idle this long has its chunk flushed even when small (chunk_idle_period). */
    idlePeriod: duration(5, 120, "5m to 2h").default("30m"),
  })
  .refine(
    (c) => {
      const [idle, age] = [durationSeconds(c.idlePeriod, "go"), durationSeconds(c.maxChunkAge, "go")];
      // an unparsable duration is reported on its own field
      return idle === undefined || age === undefined || idle <= age;
    },
    { error: "idlePeriod must not exceed maxChunkAge, which flushes the chunk first", path: ["idlePeriod"] },
  );
const CHUNK_DEFAULTS = {
  encoding: "snappy",
  targetSizeBytes: 1_572_864,
  maxChunkAge: "2h",
  idlePeriod: "30m",
} as const;

const serviceConfig = z
  .strictObject({
    replicas: int(1, 20),
    maxReplicas: int(1, 50),
    /** Target CPU utilisation (% of request) for the HorizontalPodAutoscaler. */
    cpuTargetPercent: int(10, 95).default(70),
    resources,
  })
  .refine((s) => s.maxReplicas >= s.replicas, { error: "maxReplicas must be ≥ replicas", path: ["maxReplicas"] });

/** A decimal in [min, max] whose error names both bounds (zod's default names only the one crossed). */
const decimal = (min: number, max: number, { exclusiveMin = false } = {}) => {
  const error = `must be a number ${exclusiveMin ? "above" : "from"} ${min} ${exclusiveMin ? "and at most" : "to"} ${max}`;
  const base = z.number({ error }).max(max, { error });
  return exclusiveMin ? base.gt(min, { error }) : base.min(min, { error });
};

/**
 * Defaults of the `capacity` block (docs/capacity.md). Volumes were measured on this repository's
 * services (2-core x64 VM, Node 24, info logs, every line and span kept) with POST /orders through
 * order → user, product; capacities are conservative until `npm run capacity-report` measures the knee.
 */
export const CAPACITY_DEFAULTS = {
  peakRps: 10,
  headroomPercent: 30,
  averageToPeakRatio: 0.5,
  /**
   * Half of one process' share of the telemetry bench's saturation (about 1,000 POST /orders/s for the three
   * processes with full telemetry on 2 cores, docs/performance.md); product serves one reservation per item.
   */
  services: {
    order: { capacityPerReplicaRps: 400 },
    product: { capacityPerReplicaRps: 800 },
    user: { capacityPerReplicaRps: 800 },
  },
  /** ~200 series in a busy service's own /metrics under a mixed load, + ~100 cAdvisor and kube-state-metrics series per pod. */
  activeSeriesPerReplica: 300,
  /** kube-state-metrics, kubelet/cAdvisor, node-exporter, the API server, Prometheus, Loki, the collector: an estimate for a small cluster. */
  platformActiveSeries: 100_000,
  /** ~1,100 B of JSON lines (order, user, two product reservations) per POST /orders with every line written. */
  logBytesPerRequest: 1_100,
  /** Lines of the platform's own pods (Alloy ships both namespaces): an estimate, measure with Loki's bytes received. */
  platformLogBytesPerSecond: 2_000,
  /** Spans per POST /orders: order server + 3 client calls, user server, two product servers. */
  spansPerRequest: 7,
  /** Badger bytes per span, index keys included: ~1 KB protobuf span (22 attributes) + ~55 B per indexed tag. */
  bytesPerSpan: 2_400,
} as const;

const capacityService = z.strictObject({
  /** Requests/s one replica serves with p99 under the SLO threshold (its knee), in its own requests. */
  capacityPerReplicaRps: decimal(0, 1_000_000, { exclusiveMin: true }),
});

const capacity = z.strictObject({
  /** Expected peak requests/s at the order entry point. */
  peakRps: decimal(0, 1_000_000, { exclusiveMin: true }).default(CAPACITY_DEFAULTS.peakRps),
  /** Spare capacity planned above the peak, in %: replicas = ceil(peak × (1 + h/100) / capacity per replica). */
  headroomPercent: decimal(0, 400).default(CAPACITY_DEFAULTS.headroomPercent),
  /** Average rate as a share of the peak, for storage (which fills at the average rate). */
  averageToPeakRatio: decimal(0, 1, { exclusiveMin: true }).default(CAPACITY_DEFAULTS.averageToPeakRatio),
  services: z
    .strictObject(
      Object.fromEntries(SERVICE_NAMES.map((name) => [name, capacityService])) as Record<
        (typeof SERVICE_NAMES)[number],
        typeof capacityService
      >,
    )
    .default(CAPACITY_DEFAULTS.services),
  /** Series one service replica adds to Prometheus (its /metrics plus its pod's cAdvisor and kube-state-metrics series). */
  activeSeriesPerReplica: int(1, 1_000_000).default(CAPACITY_DEFAULTS.activeSeriesPerReplica),
  /** Series that do not grow with the services' replicas (the cluster and the platform itself). */
  platformActiveSeries: int(0, 100_000_000).default(CAPACITY_DEFAULTS.platformActiveSeries),
  /** Bytes of log lines per request at the order entry point, all services, before access-log sampling. */
  logBytesPerRequest: decimal(0, 10_000_000).default(CAPACITY_DEFAULTS.logBytesPerRequest),
  /** Bytes/s of log lines from the platform's own pods. */
  platformLogBytesPerSecond: decimal(0, 1_000_000_000).default(CAPACITY_DEFAULTS.platformLogBytesPerSecond),
  /** Spans per request at the order entry point, all services, before tail sampling. */
  spansPerRequest: decimal(0, 10_000).default(CAPACITY_DEFAULTS.spansPerRequest),
  /** Bytes one stored span takes in Jaeger's Badger store. */
  bytesPerSpan: decimal(0, 10_000_000, { exclusiveMin: true }).default(CAPACITY_DEFAULTS.bytesPerSpan),
});

/** A Prometheus duration (`30s`, `2m`, `1h30m`: units ms s m h d w y, no fractions) between two bounds. */
const prometheusDuration = (minSeconds: number, maxSeconds: number, bounds: string) => {
  const error = `must be a Prometheus duration from ${bounds} such as "2m" or "1m30s" (units s, m, h)`;
  return z.string({ error }).refine(
    (text) => {
      const seconds = durationSeconds(text, "prometheus");
      return seconds !== undefined && seconds >= minSeconds && seconds <= maxSeconds;
    },
    { error },
  );
};

/**
 * Defaults of the `probes` block: synthetic checks by the blackbox exporter (infra/probes/), their alerts
 * (infra/alerting/probe-rules.ts). The modules' 3 s timeouts sit below the shortest interval.
 */
export const PROBES_DEFAULTS = {
  interval: "30s",
  failingFor: "3m",
  latencyThresholdSeconds: 1,
  slowFor: "10m",
} as const;

const probes = z
  .strictObject({
    /** How often every probe runs; also its scrape timeout, which each module's timeout must stay below. */
    interval: prometheusDuration(10, 300, "10s to 5m").default(PROBES_DEFAULTS.interval),
    /** ServiceProbeFailing pages once a probe has failed without a break for this long. */
    failingFor: prometheusDuration(60, 3_600, "1m to 1h").default(PROBES_DEFAULTS.failingFor),
    /** ServiceProbeSlow: the end-to-end probes' average duration over 5 minutes above this (seconds)… */
    latencyThresholdSeconds: decimal(0, 60, { exclusiveMin: true }).default(PROBES_DEFAULTS.latencyThresholdSeconds),
    /** …for this long. */
    slowFor: prometheusDuration(60, 6 * 3_600, "1m to 6h").default(PROBES_DEFAULTS.slowFor),
  })
  // against the module timeouts of the chart values (one definition for cluster and local runs)
  .superRefine((p, ctx) => {
    if (durationSeconds(p.interval, "prometheus") === undefined) return; // reported on the field itself
    for (const { field, message } of probeTimingProblems(p, blackboxConfig())) {
      ctx.addIssue({ code: "custom", path: [field], message });
    }
  });

/**
 * Guardrails of the alert responder (apps/responder, infra/responder/). `mode` defaults by environment:
 * prod decides, logs and counts but touches nothing (`dry-run`) until the team switches it to `act`.
 */
export const RESPONDER_DEFAULTS = {
  cooldownMinutes: 30,
  maxActionsPerHour: 6,
  retries: 3,
  verifyWindow: "10m",
  holdWhenServicesBurning: 2,
  raise: { step: 2, maxReplicasCap: 20, duration: "4h" },
} as const;

/** The responder's mode when the stack does not set it: dry-run in prod, act elsewhere. */
export function defaultResponderMode(environment: Environment): ResponderMode {
  return environment === "prod" ? "dry-run" : "act";
}

const responder = z.strictObject({
  /** `off`: decide nothing; `dry-run`: decide, log and count, touch nothing; `act`. */
  mode: z.enum(RESPONDER_MODES, { error: `must be one of: ${RESPONDER_MODES.join(", ")}` }).optional(),
  /** No second action on the same Deployment within this many minutes. */
  cooldownMinutes: int(1, 1_440).default(RESPONDER_DEFAULTS.cooldownMinutes),
  /** Actions (not dry-run decisions) allowed in any rolling hour, all targets together. */
  maxActionsPerHour: int(1, 60).default(RESPONDER_DEFAULTS.maxActionsPerHour),
  /** Retries of a failed Kubernetes API call (with exponential backoff) before the action is reported failed. */
  retries: int(0, 10).default(RESPONDER_DEFAULTS.retries),
  /** How long after an action the responder watches the alert and the burn rate to judge it. */
  verifyWindow: prometheusDuration(60, 3_600, "1m to 1h").default(RESPONDER_DEFAULTS.verifyWindow),
  /** Hold every action while this many services or more burn their budget fast at once. */
  holdWhenServicesBurning: int(2, 10).default(RESPONDER_DEFAULTS.holdWhenServicesBurning),
  /** The temporary raise of maxReplicas at the ceiling; the next `pulumi up` resets it anyway. */
  raise: z
    .strictObject({
      step: int(1, 10).default(RESPONDER_DEFAULTS.raise.step),
      /** maxReplicas is never raised above this. */
      maxReplicasCap: int(1, 100).default(RESPONDER_DEFAULTS.raise.maxReplicasCap),
      /** The raise is reverted after this long. */
      duration: prometheusDuration(600, 86_400, "10m to 24h").default(RESPONDER_DEFAULTS.raise.duration),
    })
    .default(RESPONDER_DEFAULTS.raise),
});

/** Whether Chaos Mesh and the Pushgateway are installed when the stack does not say: dev and staging only. */
export function defaultChaosEnabled(environment: Environment): boolean {
  return environment !== "prod";
}

/**
 * Chaos engineering (infra/chaos/, docs/chaos.md). `enabled` defaults by environment; prod set to true passes
 * the schema but is refused by the policy pack (no-chaos-in-prod, mandatory).
 */
const chaos = z.strictObject({
  /** Install Chaos Mesh (restricted to the apps namespace) and the Pushgateway of game-day results. */
  enabled: z.boolean({ error: "must be true or false" }).optional(),
  /** Create a Schedule for every catalogue experiment with a `schedule` (recurring game days). */
  schedules: z.boolean({ error: "must be true or false" }).default(false),
});

/**
 * Prices and budget of the cost model (contract/cost.ts, docs/cost.md). Defaults: AWS on-demand list prices
 * in us-east-1 — Fargate Linux/x86 per vCPU-hour and per GB-hour, EBS gp3 per GB-month — not OpenCost's
 * defaults, which are GCP prices.
 */
export const COST_DEFAULTS = {
  currency: "USD",
  cpuCoreHour: 0.04048,
  memoryGiBHour: 0.004445,
  /** Per GiB-month of each storage class; `default` prices claims of any class not listed. */
  storageGiBMonth: { default: 0.08 },
  /** Right-sizing in the manner of KRR: CPU at a usage percentile over the window, memory at its peak + margin. */
  rightSizing: { window: "7d", cpuQuantile: 0.95, memoryMarginPercent: 15 },
} as const;

const price = (max: number) => decimal(0, max);
const cost = z.strictObject(
  {
    /** ISO 4217 code the prices and the budget are in. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 currency code such as "USD" or "EUR"' })
      .default(COST_DEFAULTS.currency),
    cpuCoreHour: price(100).default(COST_DEFAULTS.cpuCoreHour),
    memoryGiBHour: price(100).default(COST_DEFAULTS.memoryGiBHour),
    storageGiBMonth: z
      .record(z.union([dnsLabel(63), z.literal("default")]), price(1_000), {
        error: "must map storage class names (or default) to a price per GiB-month",
      })
      .default({ ...COST_DEFAULTS.storageGiBMonth }),
    /** The environment's monthly budget in `currency`: the budget alerts (and AWS Budgets) read it. */
    monthlyBudget: decimal(0, 100_000_000, { exclusiveMin: true }),
    rightSizing: z
      .strictObject({
        window: prometheusDuration(3_600, 30 * 86_400, "1h to 30d").default(COST_DEFAULTS.rightSizing.window),
        cpuQuantile: decimal(0.5, 1).default(COST_DEFAULTS.rightSizing.cpuQuantile),
        memoryMarginPercent: int(0, 200).default(COST_DEFAULTS.rightSizing.memoryMarginPercent),
      })
      .default({ ...COST_DEFAULTS.rightSizing }),
  },
  { error: "must be set, with at least monthlyBudget (the environment's monthly budget in its currency)" },
);

/** How this Grafana authenticates to a peer's stores (basic or bearer: Pulumi secrets, infra/platform/secrets.ts). */
export const PEER_AUTH = ["none", "basic", "bearer"] as const;
const peerUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });
/** Another environment's stores, for this Grafana's per-environment datasources and multi-environment dashboard. */
const peer = z
  .strictObject({
    environment: z.enum(ENVIRONMENTS, { error: `must be one of: ${ENVIRONMENTS.join(", ")}` }),
    prometheusUrl: peerUrl,
    lokiUrl: peerUrl.optional(),
    jaegerUrl: peerUrl.optional(),
    /** The peer stack's namespacePrefix, when it is not this stack's: its dashboard columns read its namespaces. */
    namespacePrefix: dnsLabel(30).optional(),
    /** How this Grafana authenticates to the peer's stores; credentials are Pulumi secrets (infra/platform/secrets.ts). */
    auth: z.enum(PEER_AUTH, { error: `must be one of: ${PEER_AUTH.join(", ")}` }).default("none"),
  })
  .superRefine((p, ctx) => {
    if (p.auth === "none") return;
    for (const key of ["prometheusUrl", "lokiUrl", "jaegerUrl"] as const) {
      const url = p[key];
      // an unparsable URL is already reported by peerUrl
      if (url !== undefined && URL.canParse(url) && new URL(url).protocol !== "https:")
        ctx.addIssue({
          code: "custom",
          path: [key],
          // the URL itself stays out of the message: it may carry user:password@
          message: `must be an https:// URL when auth is ${p.auth}: credentials need https`,
        });
    }
  });

/** How workloads get AWS credentials without keys (docs/aws.md): IRSA, or EKS Pod Identity (EC2 Linux nodes only). */
export const AWS_IDENTITY_MECHANISMS = ["irsa", "pod-identity"] as const;
export type AwsIdentityMechanism = (typeof AWS_IDENTITY_MECHANISMS)[number];

const awsIdentity = z.strictObject({
  mechanism: z.enum(AWS_IDENTITY_MECHANISMS, { error: `must be one of: ${AWS_IDENTITY_MECHANISMS.join(", ")}` }),
  /** IRSA: the cluster's IAM OIDC provider, arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>. */
  oidcProviderArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/[a-z0-9.-]+(\/[A-Za-z0-9/._-]+)?$/, {
      error:
        "must be an IAM OIDC provider ARN such as arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
    })
    .optional(),
  /** Pod Identity: the EKS cluster the associations are made in. */
  clusterName: z
    .string()
    .regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, { error: "must be an EKS cluster name (letters, digits, - and _)" })
    .optional(),
  /** Pod Identity: install the eks-pod-identity-agent add-on with this stack (else it must already be there). */
  manageAgentAddon: z.boolean({ error: "must be true or false" }).default(false),
});

/** The only values CloudWatch Logs accepts for a log group's retention (PutRetentionPolicy). */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** What the collector sends to AWS (docs/aws.md), each signal switchable; all on by default when AWS is. */
const awsExport = z.strictObject({
  /** Sampled traces to X-Ray's OTLP endpoint (needs Transaction Search). */
  traces: z.boolean({ error: "must be true or false" }).default(true),
  /** The RED metrics computed from spans, as CloudWatch metrics (awsemf). */
  metrics: z.boolean({ error: "must be true or false" }).default(true),
  /** The services' logs (forwarded by Alloy) to a CloudWatch log group. */
  logs: z.boolean({ error: "must be true or false" }).default(true),
  /** Retention of the project's log groups; within the policy pack's bounds for the environment. */
  logRetentionDays: z
    .number()
    .refine((d) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(d), {
      error: `must be one of CloudWatch's retention values: ${CLOUDWATCH_RETENTION_DAYS.join(", ")}`,
    })
    .default(30),
  /** A customer-managed KMS key for the log groups (its key policy must let logs.<region>.amazonaws.com use it). */
  kmsKeyArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, {
      error:
        "must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    })
    .optional(),
  /**
   * X-Ray Transaction Search (spans to CloudWatch Logs; the OTLP traces endpoint needs it) is one setting per
   * account and region: true makes this stack manage it; false when another stack or a person already did.
   */
  manageTransactionSearch: z.boolean({ error: "must be true or false" }).default(true),
  /** Share of spans Transaction Search indexes as trace summaries (1 % is free of charge). */
  indexingPercent: decimal(0, 100).default(1),
});

const aws = z
  .strictObject({
    enabled: z.boolean(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: "must be an AWS region such as eu-west-1" })
      .optional(),
    /** The account the project's ARNs (log groups, topics) are in. */
    accountId: z
      .string()
      .regex(/^\d{12}$/, { error: "must be a 12-digit AWS account id" })
      .optional(),
    identity: awsIdentity.optional(),
    export: awsExport.default(awsExport.parse({})),
    /** AWS Budgets and Cost Anomaly Detection notifications: an SNS topic, plus these e-mail subscribers. */
    budget: z
      .strictObject({
        emails: z
          .array(z.email({ error: "must be an e-mail address" }))
          .max(10)
          .default([]),
        /** Cost Anomaly Detection alerts on anomalies whose impact is at least this much (in USD). */
        anomalyThresholdUsd: decimal(0, 1_000_000, { exclusiveMin: true }).default(100),
      })
      .default({ emails: [], anomalyThresholdUsd: 100 }),
  })
  .superRefine((a, ctx) => {
    if (!a.enabled) return;
    const need = (key: "region" | "accountId" | "identity", why: string) => {
      if (a[key] === undefined)
        ctx.addIssue({ code: "custom", path: [key], message: `is required when enabled: ${why}` });
    };
    need("region", "the provider and every endpoint are regional");
    need("accountId", "the least-privilege policies name the project's own ARNs");
    need("identity", "workloads get credentials through IRSA or EKS Pod Identity, never keys");
    if (a.identity?.mechanism === "irsa" && a.identity.oidcProviderArn === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["identity", "oidcProviderArn"],
        message: "is required with mechanism irsa",
      });
    }
    if (a.identity?.mechanism === "pod-identity" && a.identity.clusterName === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["identity", "clusterName"],
        message: "is required with mechanism pod-identity",
      });
    }
  });

export const stackConfigSchema = z
  .strictObject({
    environment: z.enum(ENVIRONMENTS, { error: `must be one of: ${ENVIRONMENTS.join(", ")}` }),
    /** Namespaces are `<prefix>-<environment>-platform` and `<prefix>-<environment>-apps`. */
    namespacePrefix: dnsLabel(30).default("obs"),
    team: labelValue,
    costCenter: labelValue,
    /** The `cluster` external label of this environment's Prometheus; unset: `<prefix>-<environment>`. */
    cluster: labelValue.optional(),
    /** Kubeconfig context to deploy to; unset uses the current context (kind, minikube). */
    kubeContext: z.string().min(1).optional(),
    storage: z.strictObject({
      /** Unset uses the cluster's default StorageClass. */
      storageClass: dnsLabel(63).optional(),
      /** Persistent volumes for every signal's store; required outside dev. */
      persistent: z.boolean(),
    }),
    metrics: z
      .strictObject({
        retentionDays: int(1, 400),
        retentionSizeGi: int(1, 10_000),
        storageGi: int(1, 10_000),
        replicas: int(1, 3).default(1),
        scrapeInterval: z.enum(["15s", "30s", "60s"]).default("30s"),
      })
      .refine((m) => m.retentionSizeGi < m.storageGi, {
        error: "retentionSizeGi must be below storageGi, or Prometheus fills its volume before it deletes",
        path: ["retentionSizeGi"],
      }),
    logs: z.strictObject({
      retentionDays: int(1, 400),
      storageGi: int(1, 10_000),
      /** LOG_LEVEL of the services. */
      level: z.enum(LOG_LEVELS, { error: `must be one of: ${LOG_LEVELS.join(", ")}` }).default("info"),
      /**
       * Write the access lines of successful, fast requests only for the traces tail sampling keeps
       * (traces.samplingPercentage, same hash); false writes every access line.
       */
      sampleAccessLogs: z.boolean({ error: "must be true or false" }).default(false),
      /** Loki's chunk compression and flushing. */
      chunks: chunks.default(CHUNK_DEFAULTS),
    }),
    traces: z.strictObject({
      retentionHours: int(1, 2_160),
      storageGi: int(1, 10_000),
      /** Share of non-error traces kept by tail sampling; error traces are always kept. */
      samplingPercentage: z.number().min(0).max(100).default(10),
      /** Bound of the in-memory store used when storage is not persistent. */
      maxTracesInMemory: int(1_000, 1_000_000).default(50_000),
    }),
    images: z.strictObject({
      /** Registry and path prefix; images are `<registry>/<service>-service:<tag>`. */
      registry: z
        .string()
        .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, { error: "must be a registry host with an optional path" }),
      tag: z
        .string()
        .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: "must be a Docker tag" })
        .refine((t) => t !== "latest", { error: 'must be an immutable tag (a version or commit), not "latest"' }),
      pullPolicy: z.enum(["IfNotPresent", "Always", "Never"]).default("IfNotPresent"),
    }),
    services: z.strictObject(
      Object.fromEntries(SERVICE_NAMES.map((name) => [name, serviceConfig])) as Record<
        (typeof SERVICE_NAMES)[number],
        typeof serviceConfig
      >,
    ),
    /** Service level objectives, the same for every demo service; alerts and dashboards derive from them. */
    slo: z
      .strictObject({
        period: z.enum(["28d", "30d"]).default("30d"),
        /** Share of requests that must not fail with a 5xx. */
        availability: z.number().min(0.9).max(0.9999).default(0.999),
        /** Share of requests that must be faster than latencyThresholdSeconds. */
        latency: z.number().min(0.9).max(0.9999).default(0.99),
        latencyThresholdSeconds: z
          .number()
          .refine((s) => (HTTP_DURATION_BUCKETS as readonly number[]).includes(s), {
            error: `must be a histogram bucket boundary: ${HTTP_DURATION_BUCKETS.join(", ")}`,
          })
          .default(0.5),
        /** Below this many requests per hour an SLO does not page: one failure at low traffic is not an outage. */
        minRequestsPerHour: int(0, 1_000_000).default(60),
      })
      .default({
        period: "30d",
        availability: 0.999,
        latency: 0.99,
        latencyThresholdSeconds: 0.5,
        minRequestsPerHour: 60,
      }),
    /** Expected traffic, planned headroom and measured volumes: capacity rules, alerts and storage sizing. */
    capacity: capacity.default(CAPACITY_DEFAULTS),
    /** Prices, budget and right-sizing of the cost model (docs/cost.md). */
    cost,
    /** Other environments this Grafana shows side by side (docs/architecture.md, multi-environment). */
    peers: z.array(peer).max(10).default([]),
    /** Synthetic health checks of the services (blackbox exporter) and their alerts. */
    probes: probes.default(PROBES_DEFAULTS),
    /** The alert responder's guardrails (docs/operations.md). */
    responder: responder.default({ ...RESPONDER_DEFAULTS }),
    /** Chaos Mesh, the Pushgateway and recurring experiments (docs/chaos.md). */
    chaos: chaos.default({ schedules: false }),
    /** Deploy the services with an admin token, enabling runtime fault injection (chaos, alert tests). */
    faultInjection: z.boolean().default(false),
    grafana: z
      .strictObject({
        /** Allow a Service of type LoadBalancer for Grafana (otherwise ClusterIP + port-forward). */
        loadBalancer: z.boolean().default(false),
      })
      .default({ loadBalancer: false }),
    aws: aws,
    /** single: one node per backend; distributed: the upstream distributed modes (docs/scaling.md). */
    scale: z.enum(SCALE_MODES, { error: `must be one of: ${SCALE_MODES.join(", ")}` }).default("single"),
    /** Sizes of the distributed components (defaults in infra/config/scale-schema.ts); read only when distributed. */
    distributed: distributedSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.environment !== "dev" && !c.storage.persistent) {
      ctx.addIssue({ code: "custom", path: ["storage", "persistent"], message: `must be true in ${c.environment}` });
    }
    const ceiling = Math.max(...SERVICE_NAMES.map((name) => c.services[name].maxReplicas));
    if (c.responder.raise.maxReplicasCap <= ceiling) {
      ctx.addIssue({
        code: "custom",
        path: ["responder", "raise", "maxReplicasCap"],
        message: `must be above the largest services.*.maxReplicas (${ceiling}), or no raise is ever possible`,
      });
    }
    const seen = new Set<string>();
    c.peers.forEach((p, i) => {
      if (p.environment === c.environment || seen.has(p.environment)) {
        ctx.addIssue({
          code: "custom",
          path: ["peers", i, "environment"],
          message: `must name another environment than ${c.environment} and each environment once, got ${p.environment}`,
        });
      }
      seen.add(p.environment);
    });
    if (c.scale === "distributed" && !c.aws.enabled && !c.distributed?.loki.objectStore) {
      ctx.addIssue({
        code: "custom",
        path: ["distributed", "loki", "objectStore"],
        message: "is required with scale distributed and aws.enabled false: Loki's chunks need an S3-compatible store",
      });
    }
    if (c.distributed?.prometheus.remoteWrite?.kind === "amp" && !c.aws.enabled) {
      ctx.addIssue({
        code: "custom",
        path: ["distributed", "prometheus", "remoteWrite", "kind"],
        message: 'is "amp" (Amazon Managed Service for Prometheus), which needs aws.enabled: true',
      });
    }
    if (c.chaos.schedules && !(c.chaos.enabled ?? defaultChaosEnabled(c.environment))) {
      ctx.addIssue({
        code: "custom",
        path: ["chaos", "schedules"],
        message: "must be false while chaos.enabled is false: a Schedule needs Chaos Mesh",
      });
    }
  })
  .transform((c) => ({
    ...c,
    responder: { ...c.responder, mode: c.responder.mode ?? defaultResponderMode(c.environment) },
    chaos: { ...c.chaos, enabled: c.chaos.enabled ?? defaultChaosEnabled(c.environment) },
    cluster: c.cluster ?? `${c.namespacePrefix}-${c.environment}`,
    distributed: c.distributed ?? distributedSchema.parse({}),
  }));

export type StackConfig = z.infer<typeof stackConfigSchema>;

/** Validates the raw `platform` object; throws StackConfigError naming every bad key. */
export function parseStackConfig(raw: unknown): StackConfig {
  const result = stackConfigSchema.safeParse(raw);
  if (!result.success) throw new StackConfigError(describeIssues(result.error, dottedPath));
  return result.data;
}
