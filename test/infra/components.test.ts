import { parseEnv } from "../../apps/lib/config";
import { baseEnvSchema } from "../../apps/lib/service";
import { LOG_ENV, SERVICE_NAMES, TRACE_SAMPLING_HASH_SALT, TRACES_KEPT_PERCENTAGE_ENV } from "../../contract";
import { RELEASES } from "../../infra/platform/naming";
import { awsOnWithIrsa } from "../support/aws";
import { chart, ofType, runStack, type Stack } from "./support";

type Result = Awaited<ReturnType<typeof runStack>>;
const results = {} as Record<Stack, Result>;
beforeAll(async () => {
  for (const stack of ["dev", "staging", "prod"] as Stack[]) results[stack] = await runStack(stack);
});
const values = (stack: Stack, release: string) => chart(results[stack].resources, release).inputs.values;
/** The demo services' Deployments (the responder's is checked in responder.test.ts). */
const serviceDeployments = (resources: Result["resources"]) =>
  ofType(resources, "kubernetes:apps/v1:Deployment").filter((d) =>
    (SERVICE_NAMES as readonly string[]).includes(d.inputs.metadata.name),
  );
const envOf = (d: { inputs: Record<string, any> }): Record<string, string | undefined> =>
  Object.fromEntries(
    (d.inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value]),
  );

describe("Monitoring per environment", () => {
  test.each([
    ["dev", "3d", "4GB", false, 1],
    ["staging", "15d", "40GB", true, 1],
    ["prod", "30d", "160GB", true, 2],
  ] as const)(
    "%s: retention %s, size %s, persistent %s, %i replica(s)",
    (stack, retention, size, persistent, replicas) => {
      const spec = values(stack, RELEASES.monitoring).prometheus.prometheusSpec;
      expect(spec).toMatchObject({ retention, retentionSize: size, replicas, externalLabels: { environment: stack } });
      expect(spec.storageSpec !== undefined).toBe(persistent);
      if (persistent) expect(spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toMatch(/^\d+Gi$/);
    },
  );

  test("Grafana's admin credentials come from a Secret created from a random password, never from values", () => {
    const kps = values("prod", RELEASES.monitoring);
    expect(kps.grafana.admin).toEqual({
      existingSecret: "kps-grafana-admin",
      userKey: "admin-user",
      passwordKey: "admin-password",
    });
    expect(JSON.stringify(kps)).not.toMatch(/adminPassword/);
    const secret = ofType(results.prod.resources, "kubernetes:core/v1:Secret").find(
      (s) => s.inputs.metadata.name === "kps-grafana-admin",
    );
    expect(secret?.inputs.stringData["admin-password"]).toBe("mock-platform-prod-monitoring-grafana-admin");
    expect(ofType(results.prod.resources, "random:index/randomPassword:RandomPassword").map((r) => r.name)).toContain(
      "platform-prod-monitoring-grafana-admin",
    );
  });
});

describe("Logging per environment", () => {
  test.each([
    ["dev", "72h"],
    ["staging", "336h"],
  ] as const)(
    "%s (single): Loki retention on, period %s, filesystem on a PVC only where storage is persistent",
    (stack, period) => {
      const loki = values(stack, RELEASES.loki);
      expect(loki.loki.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "filesystem" });
      expect(loki.loki.limits_config.retention_period).toBe(period);
      expect(loki.loki.auth_enabled).toBe(false);
      expect(loki.deploymentMode).toBe("Monolithic");
      // The render showed dev requesting a volume although dev is not persistent; it now follows the config.
      expect(loki.singleBinary).toMatchObject({ replicas: 1, persistence: { enabled: stack !== "dev" } });
      expect([loki.chunksCache.enabled, loki.resultsCache.enabled, loki.minio.enabled]).toEqual([false, false, false]);
      expect(loki.compactor).toBeUndefined(); // not the top-level key Helm would silently ignore
    },
  );

  test.each([
    ["dev", "snappy", 1_572_864],
    ["staging", "zstd", 4_194_304],
    ["prod", "zstd", 4_194_304],
  ] as const)(
    "%s: Loki's ingester gets %s chunks of %i bytes, flushed after 2h or 30m idle",
    (stack, encoding, size) => {
      expect(values(stack, RELEASES.loki).loki.ingester).toEqual({
        chunk_encoding: encoding,
        chunk_target_size: size,
        max_chunk_age: "2h",
        chunk_idle_period: "30m",
      });
    },
  );

  test("prod with AWS enabled keeps Loki's data in an encrypted, private S3 bucket that expires", async () => {
    const { resources } = await runStack("prod", (p) => {
      p.aws = awsOnWithIrsa();
    });
    const loki = chart(resources, RELEASES.loki).inputs.values.loki;
    expect(loki.storage.type).toBe("s3");
    expect(loki.compactor.delete_request_store).toBe("s3");
    expect(ofType(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]?.inputs).toMatchObject({
      blockPublicAcls: true,
      restrictPublicBuckets: true,
    });
    const lifecycle = ofType(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0];
    expect(lifecycle?.inputs.rules[0].expiration.days).toBe(32);
    expect(
      ofType(resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
    ).toHaveLength(1);
    expect(ofType(resources, "aws:s3/bucket:Bucket")[0]?.inputs.tags).toMatchObject({
      environment: "prod",
      "cost-center": "cc-1000",
    });
  });
});

describe("Tracing per environment", () => {
  test.each([
    ["dev", 100],
    ["staging", 25],
    ["prod", 10],
  ] as const)(
    "%s: tail sampling keeps every error trace, every trace of 500 ms or more (the SLO threshold) and %i%% of the rest, hashed with the contract's salt",
    (stack, percentage) => {
      const policies = values(stack, RELEASES.collector).config.processors.tail_sampling.policies;
      expect(policies).toEqual([
        { name: "errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
        { name: "slow", type: "latency", latency: { threshold_ms: 500 } },
        {
          name: "baseline",
          type: "probabilistic",
          probabilistic: { sampling_percentage: percentage, hash_salt: TRACE_SAMPLING_HASH_SALT },
        },
      ]);
    },
  );

  test("prod (distributed): Loki retention on, period 744h, simple scalable on S3 with the compactor's deletes there", () => {
    const loki = values("prod", RELEASES.loki);
    expect(loki.deploymentMode).toBe("SimpleScalable");
    expect(loki.loki.compactor).toMatchObject({ retention_enabled: true, delete_request_store: "s3" });
    expect(loki.loki.limits_config.retention_period).toBe("744h");
    expect(loki.singleBinary.replicas).toBe(0);
  });

  test("collector: contrib image pinned, one replica in single (tail sampling needs whole traces), self-metrics scraped", () => {
    const collector = values("staging", RELEASES.collector);
    expect(collector.image).toEqual({
      repository: "otel/opentelemetry-collector-contrib",
      tag: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    });
    expect(collector.mode).toBe("deployment");
    expect(collector.replicaCount).toBe(1);
    expect(collector.ports.metrics.enabled).toBe(true);
    expect(collector.serviceMonitor.enabled).toBe(true);
  });

  test("dev: Jaeger keeps traces in memory with a bound", () => {
    const backend = values("dev", RELEASES.jaeger).userconfig.extensions.jaeger_storage.backends.primary_store;
    expect(backend).toEqual({ memory: { max_traces: 20_000 } });
  });

  test.each([
    ["staging", "72h"],
    // prod is distributed: Jaeger on OpenSearch (test/tracing/jaeger-opensearch.test.ts)
  ] as const)("%s: Jaeger keeps traces in badger on a PVC, not ephemeral, TTL %s", (stack, ttl) => {
    const jaeger = values(stack, RELEASES.jaeger);
    expect(jaeger.userconfig.extensions.jaeger_storage.backends.primary_store.badger).toMatchObject({
      ephemeral: false,
      ttl: { spans: ttl },
    });
    const claim = ofType(results[stack].resources, "kubernetes:core/v1:PersistentVolumeClaim")[0];
    expect(jaeger.jaeger.extraVolumes[0].persistentVolumeClaim.claimName).toBe(claim?.inputs.metadata.name);
    expect(jaeger.jaeger.extraVolumeMounts[0].mountPath).toBe("/badger");
  });
});

describe("Microservices per environment", () => {
  test.each([
    ["dev", 1, 2],
    ["staging", 2, 4],
    ["prod", 3, 10],
  ] as const)("%s: %i replicas scaling to %i", (stack, replicas, max) => {
    expect(serviceDeployments(results[stack].resources)).toHaveLength(3);
    for (const d of serviceDeployments(results[stack].resources)) expect(d.inputs.spec.replicas).toBe(replicas);
    for (const h of ofType(results[stack].resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")) {
      expect([h.inputs.spec.minReplicas, h.inputs.spec.maxReplicas]).toEqual([replicas, max]);
    }
  });

  test.each(["dev", "staging", "prod"] as const)(
    "%s: hardened containers with probes, limits and immutable images",
    (stack) => {
      for (const d of ofType(results[stack].resources, "kubernetes:apps/v1:Deployment")) {
        const pod = d.inputs.spec.template.spec;
        const c = pod.containers[0];
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
        });
        expect(c.livenessProbe.httpGet.path).toBe("/healthz");
        expect(c.readinessProbe.httpGet.path).toBe("/readyz");
        expect(c.resources.limits.memory).toMatch(/Mi$/);
        expect(c.resources.requests.cpu).toMatch(/m$/);
        expect(c.image).toMatch(new RegExp(`/${d.inputs.metadata.name}-service:0\\.1\\.0$`));
      }
    },
  );

  test.each([
    ["dev", "100"],
    ["staging", "25"],
    ["prod", "10"],
  ] as const)(
    "%s: every service logs at info, writes %s%% of fast successful access lines, always those ≥ 500 ms",
    (stack, percentage) => {
      const deployments = serviceDeployments(results[stack].resources);
      expect(deployments).toHaveLength(3);
      for (const d of deployments) {
        expect(envOf(d)).toMatchObject({
          [LOG_ENV.level]: "info",
          [LOG_ENV.samplingPercentage]: percentage,
          [LOG_ENV.slowMs]: "500",
          [TRACES_KEPT_PERCENTAGE_ENV]: percentage,
        });
        // and the services' own env schema reads them as meant
        expect(parseEnv(baseEnvSchema, envOf(d))).toMatchObject({
          [LOG_ENV.level]: "info",
          [LOG_ENV.samplingPercentage]: Number(percentage),
          [LOG_ENV.slowMs]: 500,
        });
      }
    },
  );

  test("logs.level, sampleAccessLogs and the SLO latency threshold reach the containers from the config", async () => {
    const { resources } = await runStack("prod", (p) => {
      (p.logs as Record<string, unknown>).level = "debug";
      (p.logs as Record<string, unknown>).sampleAccessLogs = false;
      (p.slo as Record<string, unknown>).latencyThresholdSeconds = 0.25;
    });
    for (const d of ofType(resources, "kubernetes:apps/v1:Deployment")) {
      expect(envOf(d)).toMatchObject({
        [LOG_ENV.level]: "debug",
        [LOG_ENV.samplingPercentage]: "100",
        [LOG_ENV.slowMs]: "250",
        // exemplars still point only at the traces the collector keeps
        [TRACES_KEPT_PERCENTAGE_ENV]: "10",
      });
    }
  });

  test("the fault-injection token reaches the services only where the stack enables it, from a Secret", () => {
    const tokenEnv = (stack: Stack) =>
      serviceDeployments(results[stack].resources).map((d) =>
        (d.inputs.spec.template.spec.containers[0].env as { name: string; valueFrom?: unknown }[]).find(
          (e) => e.name === "ADMIN_TOKEN",
        ),
      );
    expect(tokenEnv("dev").every((e) => e?.valueFrom !== undefined)).toBe(true);
    expect(tokenEnv("prod").every((e) => e === undefined)).toBe(true);
    expect(results.prod.outputs.faultAdminToken).toBeUndefined();
  });
});
