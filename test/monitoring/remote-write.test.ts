import { METRICS } from "../../contract";
import { SLO_RECORDS } from "../../infra/alerting/names";
import { prometheusStatements } from "../../infra/aws/policies";
import { parseStackConfig, type StackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import {
  keepRegex,
  queueConfigFor,
  REMOTE_WRITE_SECRET,
  samplesPerSecond,
  usedMetrics,
} from "../../infra/monitoring/remote-write";
import { monitoringValues } from "../../infra/monitoring/values";
import { commonLabels } from "../../infra/platform/labels";
import { namespaces } from "../../infra/platform/naming";
import { prometheusProblems } from "../../infra/preflight/checks/rendered-config";
import { ofType, runStack } from "../infra/support";
import { awsOnWithIrsa } from "../support/aws";

type Json = Record<string, any>;

/** prod's stack file with its `distributed.prometheus` (and optionally `aws`) replaced. */
function prod(prometheus: Json, aws?: Json): StackConfig {
  const raw = loadStackConfig("prod") as Json;
  const distributed = { ...raw.distributed, prometheus: { replicas: 2, ...prometheus } };
  return parseStackConfig({ ...raw, distributed, ...(aws ? { aws } : {}) });
}
const basic = { remoteWrite: { kind: "url", url: "https://m.example.com/api/v1/push", auth: "basic" } };
const amp = (extra: Json = {}) => prod({ remoteWrite: { kind: "amp" }, ...extra }, awsOnWithIrsa());

/** kube-prometheus-stack's `prometheus` values as the program builds them (AMP workspace id given). */
function prometheusValues(config: StackConfig, workspace = "ws-123"): Json {
  const values = monitoringValues(config, namespaces(config), commonLabels(config, "monitoring"), "admin", workspace);
  return values.prometheus as Json;
}

/** The Prometheus resource's spec as the chart renders it from these values (remoteWrite passes through). */
function specOf(config: StackConfig): Json {
  const s = prometheusValues(config).prometheusSpec;
  const m = config.metrics;
  return {
    ...s,
    retentionSize: `${m.retentionSizeGi}GB`,
    storage: s.storageSpec,
    enableFeatures: ["exemplar-storage"],
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: s.podAntiAffinityTopologyKey, labelSelector: { matchExpressions: [] } },
        ],
      },
    },
  };
}

describe("queueConfigFor: Prometheus' remote-write guidance (4000 samples/s per shard)", () => {
  test("10000 samples/s with 50 % headroom: 4 shards carry 15000/s, 25 carry the 10 × catch-up", () => {
    expect(queueConfigFor(10_000, 50)).toEqual({
      capacity: 10_000,
      maxSamplesPerSend: 2000,
      minShards: 4,
      maxShards: 25,
    });
  });

  test("a trickle still gets one shard, and maxShards never falls below minShards", () => {
    expect(queueConfigFor(10, 0)).toMatchObject({ minShards: 1, maxShards: 1 });
  });

  test("prod: (200000 + 300 × 30 replicas) series / 30 s = 6966.7 samples/s → 3 to 18 shards", () => {
    const config = prod(basic);
    expect(samplesPerSecond(config)).toBeCloseTo(209_000 / 30, 6);
    expect(queueConfigFor(samplesPerSecond(config), config.capacity.headroomPercent)).toMatchObject({
      minShards: 3,
      maxShards: 18,
    });
  });

  test("a rate that is not positive is an error naming samplesPerSecond", () => {
    expect(() => queueConfigFor(0, 10)).toThrow("samplesPerSecond must be a positive number, got 0");
    expect(() => queueConfigFor(Number.NaN, 10)).toThrow("samplesPerSecond");
    expect(() => queueConfigFor(100, -1)).toThrow("headroomPercent must be 0 or more, got -1");
  });
});

describe("keepOnlyUsedMetrics", () => {
  test("keepRegex sorts and de-duplicates names, appends patterns, refuses a non-name", () => {
    expect(keepRegex(["b", "a:x", "b"], ["up.*"])).toBe("a:x|b|up.*");
    expect(() => keepRegex(["ok", "bad-name"])).toThrow('metric name "bad-name" is not a valid name');
  });

  test("the used set holds what the SLO rules read and what they record", () => {
    const { names } = usedMetrics(prod(basic), namespaces(prod(basic)));
    expect(names).toContain(`${METRICS.serverDuration}_bucket`);
    expect(names).toContain(SLO_RECORDS.currentBurnRate);
  });

  test("true: one keep on __name__ whose regex (anchored as Prometheus does) keeps a used name, not others", () => {
    const rw = prometheusValues(prod({ ...basic, keepOnlyUsedMetrics: true })).prometheusSpec.remoteWrite[0];
    expect(rw.writeRelabelConfigs).toHaveLength(1);
    const [keep] = rw.writeRelabelConfigs;
    expect(keep).toMatchObject({ sourceLabels: ["__name__"], action: "keep" });
    const anchored = new RegExp(`^(?:${keep.regex})$`);
    expect(anchored.test(`${METRICS.serverDuration}_bucket`)).toBe(true);
    expect(anchored.test("never_read_by_this_project_total")).toBe(false);
  });

  test("false (the default): no write relabelling", () => {
    expect(prometheusValues(prod(basic)).prometheusSpec.remoteWrite[0].writeRelabelConfigs).toBeUndefined();
  });
});

describe("kube-prometheus-stack values", () => {
  test("single (dev): metrics.replicas, the chart's anti-affinity and no remote write", () => {
    const dev = loadStackConfig("dev");
    const spec = prometheusValues(dev).prometheusSpec;
    expect(spec.replicas).toBe(dev.metrics.replicas);
    expect(spec.podAntiAffinity).toBeUndefined();
    expect(spec.remoteWrite).toBeUndefined();
  });

  test("distributed: replicas from distributed.prometheus, one per node (hard anti-affinity on the hostname)", () => {
    const spec = prometheusValues(prod({ ...basic, replicas: 3 })).prometheusSpec;
    expect(spec).toMatchObject({
      replicas: 3,
      podAntiAffinity: "hard",
      podAntiAffinityTopologyKey: "kubernetes.io/hostname",
    });
  });

  test("url + basic: the Secret's username and password keys, by reference", () => {
    const [rw] = prometheusValues(prod(basic)).prometheusSpec.remoteWrite;
    expect(rw.url).toBe(basic.remoteWrite.url);
    expect(rw.basicAuth).toEqual({
      username: { name: REMOTE_WRITE_SECRET.name, key: "username" },
      password: { name: REMOTE_WRITE_SECRET.name, key: "password" },
    });
  });

  test("url + bearer: Authorization Bearer from the Secret's token key", () => {
    const config = prod({ remoteWrite: { ...basic.remoteWrite, auth: "bearer" } });
    const [rw] = prometheusValues(config).prometheusSpec.remoteWrite;
    expect(rw.authorization).toEqual({ type: "Bearer", credentials: { name: REMOTE_WRITE_SECRET.name, key: "token" } });
    expect(rw.basicAuth).toBeUndefined();
  });

  test("amp: the workspace's remote_write URL, SigV4 in aws.region, the role on the ServiceAccount", () => {
    const values = prometheusValues(amp());
    const [rw] = values.prometheusSpec.remoteWrite;
    expect(rw.url).toBe("https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-123/api/v1/remote_write");
    expect(rw.sigv4).toEqual({ region: "eu-west-1" });
    expect(values.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toBe(
      "arn:aws:iam::123456789012:role/obs-prod-prometheus",
    );
  });

  test("Prometheus' role may only remote-write, to the one workspace", () => {
    const arn = "arn:aws:aps:eu-west-1:123456789012:workspace/ws-123";
    expect(prometheusStatements(arn)).toEqual([
      { Sid: "AmpRemoteWrite", Effect: "Allow", Action: ["aps:RemoteWrite"], Resource: [arn] },
    ]);
  });
});

describe("rendered-config check of the Prometheus resource (distributed)", () => {
  const mutated = (config: StackConfig, edit: (spec: Json) => void) => {
    const spec = specOf(config);
    edit(spec);
    return prometheusProblems(spec, config);
  };

  test.each([
    ["url + basic", prod(basic)],
    ["amp + keep", amp({ keepOnlyUsedMetrics: true })],
  ])("the spec the program builds (%s) has no findings", (_, config) => {
    expect(prometheusProblems(specOf(config), config)).toEqual([]);
  });

  test.each<[string, StackConfig, (s: Json) => void, string]>([
    [
      "replicas",
      prod(basic),
      (s) => (s.replicas = 1),
      "spec.replicas is 1, expected 2 (distributed.prometheus.replicas)",
    ],
    [
      "anti-affinity",
      prod(basic),
      (s) => delete s.affinity,
      "podAntiAffinity has no required term on kubernetes.io/hostname",
    ],
    [
      "url",
      prod(basic),
      (s) => (s.remoteWrite[0].url = "https://other.example.com/push"),
      'expected "https://m.example.com/api/v1/push"',
    ],
    ["secret name", prod(basic), (s) => (s.remoteWrite[0].basicAuth.password.name = "typo"), "basicAuth.password is"],
    [
      "username reference",
      prod(basic),
      (s) => delete s.remoteWrite[0].basicAuth.username,
      "basicAuth.username is absent",
    ],
    [
      "queue",
      prod(basic),
      (s) => (s.remoteWrite[0].queueConfig.maxShards = 1),
      "queueConfig.maxShards is 1, expected 18",
    ],
    ["remote-write list (none)", prod(basic), (s) => delete s.remoteWrite, "spec.remoteWrite has 0 entries"],
    [
      "sigv4 region",
      amp(),
      (s) => (s.remoteWrite[0].sigv4.region = "us-east-1"),
      'sigv4.region is "us-east-1", expected "eu-west-1"',
    ],
    [
      "amp url",
      amp(),
      (s) => (s.remoteWrite[0].url = "https://m.example.com/push"),
      "expected an AMP workspace's remote_write URL",
    ],
    [
      "keep dropped",
      amp({ keepOnlyUsedMetrics: true }),
      (s) => delete s.remoteWrite[0].writeRelabelConfigs,
      "expected a keep",
    ],
  ])("a wrong %s is a finding", (_, config, edit, message) => {
    expect(mutated(config, edit)).toEqual([expect.stringContaining(message)]);
  });

  test("single: a remote write the config does not ask for is a finding", () => {
    const dev = loadStackConfig("dev");
    const spec: Json = { ...specOf(dev), remoteWrite: [{ url: "https://x.example.com" }] };
    delete spec.affinity;
    expect(prometheusProblems(spec, dev)).toEqual([expect.stringContaining("expected none")]);
  });
});

describe("under mocks (prod, AWS on, kind amp)", () => {
  test("a tagged workspace, Prometheus' role on it, Grafana's query policy on it and a SigV4 datasource", async () => {
    const { resources } = await runStack("prod", (p: Json) => {
      p.aws = awsOnWithIrsa();
      p.distributed.prometheus.remoteWrite = { kind: "amp" };
    });
    const [workspace] = ofType(resources, "aws:amp/workspace:Workspace");
    expect(workspace?.inputs.tags).toMatchObject({ environment: "prod", "managed-by": "pulumi" });
    const arn = "arn:aws:aps:eu-west-1:123456789012:workspace/" + `${workspace?.name}-id`;
    const policies = ofType(resources, "aws:iam/rolePolicy:RolePolicy").map((r) => JSON.parse(r.inputs.policy));
    const statements = policies.flatMap((p) => p.Statement);
    expect(statements).toContainEqual({
      Sid: "AmpRemoteWrite",
      Effect: "Allow",
      Action: ["aps:RemoteWrite"],
      Resource: [arn],
    });
    expect(statements.find((s) => s.Sid === "AmpQuery")).toMatchObject({ Resource: [arn] });
    expect(ofType(resources, "kubernetes:core/v1:Secret").map((s) => s.inputs.metadata.name)).not.toContain(
      REMOTE_WRITE_SECRET.name,
    );
    const kps = resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.name === "kps");
    const datasource = kps?.inputs.values.grafana.additionalDataSources.find((d: Json) => d.uid === "amp");
    expect(datasource).toMatchObject({
      type: "prometheus",
      jsonData: { sigV4Auth: true, sigV4AuthType: "default", sigV4Region: "eu-west-1" },
    });
  });

  test("url + basic: the credentials Secret in Prometheus' namespace, from the Pulumi secrets", async () => {
    const { resources } = await runStack("prod");
    const secret = ofType(resources, "kubernetes:core/v1:Secret").find(
      (s) => s.inputs.metadata.name === REMOTE_WRITE_SECRET.name,
    );
    expect(secret?.inputs.metadata.namespace).toBe("obs-prod-platform");
    expect(Object.keys(secret?.inputs.stringData ?? {}).sort()).toEqual(["password", "username"]);
  });
});
