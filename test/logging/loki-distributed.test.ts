import type { StackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { LOKI_S3_ENV, LOKI_TARGETS, lokiObjectStore, lokiObjectStoreEnv, lokiValues } from "../../infra/logging/values";
import { LOKI_OBJECT_STORE_SECRET, lokiUrl, namespaces, PLATFORM_SERVICES } from "../../infra/platform/naming";
import { PLACEHOLDER_SECRET } from "../../infra/platform/secrets";
import {
  lokiEnvProblems,
  lokiFindings,
  lokiObjectStoreProblems,
  lokiTopologyProblems,
} from "../../infra/preflight/checks/rendered-config/loki";
import { namespaceResolver } from "../../infra/preflight/checks/rendered-config/workloads";
import type { RenderedObject } from "../../infra/render/render";
import { lokiDistributedConfig, lokiDistributedSet } from "./loki-objects";

type Obj = Record<string, any>;

const prod = loadStackConfig("prod");
const dev = loadStackConfig("dev");
const prodAws: StackConfig = { ...prod, aws: { ...prod.aws, enabled: true, region: "eu-west-1" } };
const store = prod.distributed.loki.objectStore;
if (!store) throw new Error("Pulumi.prod.yaml sets distributed.loki.objectStore");

const values = (c: StackConfig, s3?: { bucket: string; region: string }) => lokiValues(c, {}, { s3 }) as Obj;
const check = (objects: RenderedObject[], c: StackConfig) =>
  lokiFindings(objects, namespaceResolver(objects), c).map((f) => f.message);

describe("Loki chart values in distributed (prod)", () => {
  const v = values(prod);

  test("simple scalable mode with the configured replicas per target and no single binary", () => {
    expect(v.deploymentMode).toBe("SimpleScalable");
    expect(v.singleBinary.replicas).toBe(0);
    for (const t of LOKI_TARGETS) expect(v[t].replicas).toBe(prod.distributed.loki[t]);
    expect(v.loki.commonConfig.replication_factor).toBe(prod.distributed.loki.replicationFactor);
  });

  test("the S3-compatible store from config, its keys as env references and never in the values", () => {
    expect(v.loki.storage.s3).toMatchObject({
      endpoint: store.endpoint,
      region: store.region,
      s3ForcePathStyle: store.forcePathStyle,
      accessKeyId: `\${${LOKI_S3_ENV.accessKeyId}}`,
      secretAccessKey: `\${${LOKI_S3_ENV.secretAccessKey}}`,
    });
    expect(v.loki.storage.bucketNames).toEqual({ chunks: store.bucket, ruler: store.bucket, admin: store.bucket });
    expect(JSON.stringify(v)).not.toContain(PLACEHOLDER_SECRET);
  });

  test("each target reads both keys from the program's Secret through secretKeyRef", () => {
    for (const t of LOKI_TARGETS) expect(v[t].extraEnv).toEqual(lokiObjectStoreEnv());
    const refs = lokiObjectStoreEnv().map((e) => e.valueFrom.secretKeyRef);
    expect(refs).toEqual([
      { name: LOKI_OBJECT_STORE_SECRET.name, key: LOKI_OBJECT_STORE_SECRET.accessKeyId },
      { name: LOKI_OBJECT_STORE_SECRET.name, key: LOKI_OBJECT_STORE_SECRET.secretAccessKey },
    ]);
  });

  test("schema v13 on tsdb with s3, delete requests in the same store, retention from logs.retentionDays", () => {
    expect(v.loki.schemaConfig.configs[0]).toMatchObject({ store: "tsdb", schema: "v13", object_store: "s3" });
    expect(v.loki.compactor.delete_request_store).toBe("s3");
    expect(v.loki.limits_config.retention_period).toBe(`${prod.logs.retentionDays * 24}h`);
  });

  test("the gateway runs two replicas; write and backend claim volumes of the stack's class", () => {
    expect(v.gateway).toMatchObject({ enabled: true, replicas: 2 });
    for (const t of ["write", "backend"])
      expect(v[t].persistence).toMatchObject({ volumeClaimsEnabled: true, size: "10Gi" });
  });
});

describe("Loki chart values with AWS on", () => {
  const v = values(prodAws, { bucket: "logs-bucket", region: "eu-west-1" });

  test("the stack's bucket and region, no endpoint, no keys and no env: the role gives credentials", () => {
    expect(v.loki.storage).toEqual({
      type: "s3",
      bucketNames: { chunks: "logs-bucket", ruler: "logs-bucket", admin: "logs-bucket" },
      s3: { region: "eu-west-1" },
    });
    for (const t of LOKI_TARGETS) expect(v[t].extraEnv).toBeUndefined();
  });
});

describe("single keeps the single binary", () => {
  test("dev: monolithic, no scalable targets or gateway, filesystem store, the claim of logs.storageGi", () => {
    const v = values(dev);
    expect(v.deploymentMode).toBe("Monolithic");
    expect([v.read.replicas, v.write.replicas, v.backend.replicas, v.singleBinary.replicas]).toEqual([0, 0, 0, 1]);
    expect(v.gateway.enabled).toBe(false);
    expect(v.loki.commonConfig.replication_factor).toBe(1);
    expect(v.loki.storage).toEqual({ type: "filesystem" });
    expect(v.singleBinary.persistence.size).toBe(`${dev.logs.storageGi}Gi`);
  });

  test("Alloy and Grafana reach Loki's Service in single and the gateway in distributed", () => {
    const ns = namespaces(prod);
    expect(lokiUrl(dev, ns)).toBe(`http://loki.${ns.platform}.svc.cluster.local:${PLATFORM_SERVICES.loki.port}`);
    expect(lokiUrl(prod, ns)).toBe(`http://loki-gateway.${ns.platform}.svc.cluster.local:80`);
  });

  test("distributed without AWS and without an object store is refused, naming the field", () => {
    const bare = { ...prod, distributed: { ...prod.distributed, loki: { ...prod.distributed.loki } } };
    delete bare.distributed.loki.objectStore;
    expect(() => lokiObjectStore(bare, {})).toThrow(/distributed\.loki\.objectStore is required/);
  });
});

describe("the rendered-config check of simple scalable Loki", () => {
  test("a set shaped as the chart renders prod has no findings", () => {
    expect(check(lokiDistributedSet(prod), prod)).toEqual([]);
  });

  test("wrong replica count of a target", () => {
    const objects = lokiDistributedSet(prod, { objects: (o) => (o("loki-write").spec.replicas = 2) });
    expect(check(objects, prod)).toEqual([
      "StatefulSet loki-write runs 2 write replica(s), expected 3 (distributed.loki.write)",
    ]);
  });

  test("a missing target and a single binary left running", () => {
    const objects = lokiDistributedSet(prod, {
      objects: (o) => {
        o("loki-read").spec.template.spec.containers[0].args[2] = "-target=all";
        o("loki-read").spec.replicas = 1;
      },
    });
    expect(check(objects, prod)).toEqual([
      // the single binary's own check: it would keep every chunk on an emptyDir
      expect.stringContaining('data directory /var/loki is on volume "data" (emptyDir)'),
      "no workload runs Loki's read target, expected 3 replicas (distributed.loki.read)",
      "Deployment loki-read runs the single binary (1 replica(s)) although scale is distributed",
    ]);
  });

  test.each([
    ["replication factor", (cfg: Obj) => (cfg.common.replication_factor = 1), "common.replication_factor is 1"],
    ["bucket", (cfg: Obj) => (cfg.common.storage.s3.bucketnames = "other"), 's3.bucketnames is "other"'],
    ["endpoint", (cfg: Obj) => (cfg.common.storage.s3.endpoint = "https://x.example"), "s3.endpoint is"],
    ["region", (cfg: Obj) => (cfg.common.storage.s3.region = "us-east-2"), 's3.region is "us-east-2"'],
    ["path style", (cfg: Obj) => (cfg.common.storage.s3.s3forcepathstyle = false), "s3forcepathstyle is false"],
    ["filesystem store", (cfg: Obj) => (cfg.schema_config.configs[0].object_store = "filesystem"), 'expected "s3"'],
  ])("%s differs from config: one finding names it", (_, edit, expected) => {
    const problems = lokiObjectStoreProblems(lokiDistributedConfig(prod), prod);
    expect(problems).toEqual([]);
    const cfg = lokiDistributedConfig(prod);
    edit(cfg);
    expect(lokiObjectStoreProblems(cfg, prod)).toEqual([expect.stringContaining(expected)]);
  });

  test("a key in clear in the config is a finding that does not repeat the key", () => {
    const cfg = lokiDistributedConfig(prod);
    cfg.common.storage.s3.secret_access_key = "AKIA-secret-value";
    const problems = lokiObjectStoreProblems(cfg, prod);
    expect(problems).toEqual([expect.stringContaining("secret_access_key is a literal")]);
    expect(problems.join()).not.toContain("AKIA-secret-value");
  });

  test("with AWS on, an endpoint or a key in the config is a finding: the role gives credentials", () => {
    const cfg = lokiDistributedConfig(prodAws);
    expect(lokiObjectStoreProblems(cfg, prodAws)).toEqual([]);
    cfg.common.storage.s3.access_key_id = `\${X}`;
    expect(lokiObjectStoreProblems(cfg, prodAws)).toEqual([expect.stringContaining("access_key_id is set")]);
  });

  test("env: a missing key variable and one given as a literal value", () => {
    const cfg = lokiDistributedConfig(prod);
    const [first] = lokiObjectStoreEnv();
    expect(lokiEnvProblems(cfg, { env: [first] })).toEqual([
      expect.stringContaining(`env ${LOKI_S3_ENV.secretAccessKey} is not set`),
    ]);
    expect(lokiEnvProblems(cfg, { env: [first, { name: LOKI_S3_ENV.secretAccessKey, value: "x" }] })).toEqual([
      expect.stringContaining("not taken from a Secret"),
    ]);
  });

  test("the compactor address names no Service of the backend pods: retention would never run", () => {
    const objects = lokiDistributedSet(prod, {
      config: (cfg) => (cfg.common.compactor_grpc_address = "loki-read.obs-test-platform.svc.cluster.local:9095"),
    });
    expect(check(objects, prod)).toEqual([expect.stringContaining("is not a Service selecting the backend pods")]);
  });

  test("write WAL on an emptyDir in a persistent stack", () => {
    const objects = lokiDistributedSet(prod, {
      objects: (o) => {
        delete o("loki-write").spec.volumeClaimTemplates;
        o("loki-write").spec.template.spec.volumes.push({ name: "data", emptyDir: {} });
      },
    });
    expect(check(objects, prod)).toEqual([expect.stringContaining('is on volume "data" (emptyDir)')]);
  });

  test("topology is only checked in distributed", () => {
    const single = { ...prod, scale: "single" as const };
    expect(lokiTopologyProblems([], single)).toEqual([]);
    expect(lokiTopologyProblems([], prod)).toHaveLength(LOKI_TARGETS.length);
  });
});
