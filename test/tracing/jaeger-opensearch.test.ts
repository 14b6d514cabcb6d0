import { stringify } from "yaml";
import type { StackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { renderedConfigMatches } from "../../infra/preflight/checks/rendered-config";
import type { RenderedObject } from "../../infra/render/render";
import { jaegerConfig } from "../../infra/tracing/jaeger-config";
import {
  indexCleanerDays,
  jaegerOpenSearchValues,
  OPENSEARCH_CREDENTIALS,
  openSearchAccessPolicy,
  openSearchDomainName,
  openSearchStorage,
  zoneAwareness,
} from "../../infra/tracing/jaeger-storage";
import { chart, ofType, runStack } from "../infra/support";
import { jaegerDeployment, jaegerOpenSearchSet, rendered } from "./jaeger-opensearch-set";

type Obj = Record<string, any>;
const NS = "obs-prod-platform";
const URL = `https://opensearch-cluster-master.${NS}.svc.cluster.local:9200`;
const prod = loadStackConfig("prod");
const staging = loadStackConfig("staging");

describe("index cleaner days", () => {
  test.each([
    [24, 2],
    [25, 3],
    [168, 8],
  ])("%ih of retention keeps %i days (today + N-1 whole days ≥ the retention)", (hours, days) => {
    expect(indexCleanerDays(hours)).toBe(days);
    expect((days - 1) * 24).toBeGreaterThanOrEqual(hours);
  });

  test("a non-positive retention is refused, naming the field", () => {
    expect(() => indexCleanerDays(0)).toThrow("traces.retentionHours");
  });
});

describe("Amazon OpenSearch Service helpers", () => {
  test("the domain name is prefix-environment-traces", () => {
    expect(openSearchDomainName({ namespacePrefix: "obs", environment: "prod" })).toBe("obs-prod-traces");
  });

  test("a domain name over 28 characters is refused, naming the fields", () => {
    expect(() => openSearchDomainName({ namespacePrefix: "observability-platform", environment: "prod" })).toThrow(
      "namespacePrefix + environment",
    );
  });

  test("zone awareness only when the nodes divide across the subnets' zones", () => {
    expect(zoneAwareness(3, 3)).toEqual({ zoneAwarenessEnabled: true, zones: 3 });
    expect(zoneAwareness(4, 3)).toEqual({ zoneAwarenessEnabled: true, zones: 2 });
    expect(zoneAwareness(3, 2)).toEqual({ zoneAwarenessEnabled: false });
    expect(zoneAwareness(3, 0)).toEqual({ zoneAwarenessEnabled: false });
  });

  test("the access policy admits HTTP calls to this domain only", () => {
    const arn = "arn:aws:es:eu-west-1:123456789012:domain/obs-prod-traces";
    expect(openSearchAccessPolicy(arn).Statement).toEqual([
      { Effect: "Allow", Principal: { AWS: "*" }, Action: "es:ESHttp*", Resource: `${arn}/*` },
    ]);
  });
});

const storage = () => openSearchStorage(prod, { serverUrl: URL, username: "admin", skipVerify: true });

describe("Jaeger's OpenSearch configuration", () => {
  test("daily indices with the environment's prefix, the password read from a file, never inline", () => {
    const os = jaegerConfig(storage()).extensions.jaeger_storage.backends.primary_store as Obj;
    expect(os.opensearch).toMatchObject({
      server_urls: [URL],
      use_aliases: false,
      indices: { index_prefix: "prod", spans: { date_layout: "2006-01-02", rollover_frequency: "day" } },
      auth: { basic: { username: "admin", password_file: "/etc/jaeger/opensearch/password" } },
      tls: { insecure: false },
    });
    expect(JSON.stringify(os)).not.toContain('"password":');
  });

  test("the index cleaner keeps retention + a day, reads credentials from the Secret", () => {
    const values = jaegerOpenSearchValues(storage(), prod, {}) as Obj;
    expect(values.esIndexCleaner).toMatchObject({ enabled: true, numberOfDays: 8 });
    const env = values.esIndexCleaner.extraEnv as Obj[];
    expect(env.find((e) => e.name === "ES_PASSWORD")?.valueFrom.secretKeyRef).toEqual({
      name: OPENSEARCH_CREDENTIALS.secret,
      key: OPENSEARCH_CREDENTIALS.password,
    });
    expect(env.find((e) => e.name === "ES_INDEX_PREFIX")?.value).toBe("prod");
  });
});

const messages = (objects: RenderedObject[], c: StackConfig = prod) =>
  renderedConfigMatches(objects, c).map((f) => f.message);

describe("rendered-config check: Jaeger on OpenSearch (prod, distributed)", () => {
  test("a set that matches the prod config has no findings", () => {
    expect(messages(jaegerOpenSearchSet(prod, NS))).toEqual([]);
  });

  test("Badger where scale is distributed", () => {
    const objects = jaegerOpenSearchSet(prod, NS, {
      objects: (o) => {
        const cm = o[0]?.object as Obj;
        cm.data["user-config.yaml"] = stringify(jaegerConfig({ kind: "badger", ttlHours: 168 }));
        return o;
      },
    });
    expect(messages(objects)).toEqual([expect.stringContaining('is "badger", expected opensearch')]);
  });

  test("OpenSearch replicas differ from distributed.jaeger.opensearch.nodes", () => {
    const objects = jaegerOpenSearchSet(prod, NS, { sts: (s) => (s.spec.replicas = 2) });
    expect(messages(objects)).toEqual([expect.stringContaining("replicas is 2, expected 3")]);
  });

  test("OpenSearch volume size differs from storageGi", () => {
    const objects = jaegerOpenSearchSet(prod, NS, {
      sts: (s) => (s.spec.volumeClaimTemplates[0].spec.resources.requests.storage = "8Gi"),
    });
    const expected = `expected "${prod.distributed.jaeger.opensearch.storageGi}Gi"`;
    expect(messages(objects)).toEqual([expect.stringContaining(`requests storage "8Gi", ${expected}`)]);
  });

  test("OpenSearch data on no claim", () => {
    const objects = jaegerOpenSearchSet(prod, NS, { sts: (s) => (s.spec.volumeClaimTemplates = []) });
    expect(messages(objects)).toEqual([expect.stringContaining("data directory is on no volume claim template")]);
  });

  test("the server URL names a Service that is not rendered", () => {
    const objects = jaegerOpenSearchSet(prod, NS, { objects: (o) => o.filter((r) => r.object.kind !== "Service") });
    expect(messages(objects)).toEqual([expect.stringContaining("opensearch-cluster-master, which is not in the set")]);
  });

  test("the server URL's port is not the Service's", () => {
    const url = `https://opensearch-cluster-master.${NS}.svc.cluster.local:9300`;
    const objects = jaegerOpenSearchSet(prod, NS, {
      config: (os) => (os.server_urls = [url]),
      cleaner: (c) => (c.args[1] = url),
    });
    expect(messages(objects)).toEqual([expect.stringContaining("has no port 9300")]);
  });

  test("plain http, an inline password, TLS off and rollover aliases", () => {
    const objects = jaegerOpenSearchSet(prod, NS, {
      config: (os) => {
        os.server_urls = [URL.replace("https", "http")];
        os.auth.basic.password = "x";
        os.tls.insecure = true;
        os.use_aliases = true;
      },
    });
    expect(messages(objects)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("is not https"),
        expect.stringContaining("auth.basic.password is in the config"),
        expect.stringContaining("tls.insecure is true"),
        expect.stringContaining("use_aliases is true"),
      ]),
    );
  });

  test("hourly indices are not whole days", () => {
    const objects = jaegerOpenSearchSet(prod, NS, { config: (os) => (os.indices.spans.date_layout = "2006-01-02-15") });
    expect(messages(objects)).toEqual([expect.stringContaining('indices.spans is "2006-01-02-15"/"day"')]);
  });

  test("no index cleaner", () => {
    const objects = jaegerOpenSearchSet(prod, NS, { objects: (o) => o.filter((r) => r.object.kind !== "CronJob") });
    expect(messages(objects)).toEqual([expect.stringContaining("no jaeger-es-index-cleaner CronJob")]);
  });

  test.each([
    ["7", "shorter than the retention"],
    ["10", "more than a day beyond it"],
  ])("the index cleaner keeps %s days (%s)", (days) => {
    const objects = jaegerOpenSearchSet(prod, NS, { cleaner: (c) => (c.args[0] = days) });
    expect(messages(objects)).toEqual([expect.stringContaining(`index cleaner keeps "${days}" days, expected 8`)]);
  });

  test("the index cleaner's prefix and URL differ from Jaeger's", () => {
    const objects = jaegerOpenSearchSet(prod, NS, {
      cleaner: (c) => {
        c.args[1] = "https://elsewhere:9200";
        c.env = c.env.map((e: Obj) => (e.name === "ES_INDEX_PREFIX" ? { ...e, value: "staging" } : e));
      },
    });
    expect(messages(objects)).toEqual([
      expect.stringContaining('index cleaner URL is "https://elsewhere:9200"'),
      expect.stringContaining('ES_INDEX_PREFIX is "staging", expected "prod"'),
    ]);
  });

  test("the index cleaner runs weekly", () => {
    const objects = jaegerOpenSearchSet(prod, NS, {
      objects: (o) => {
        const job = o.find((r) => r.object.kind === "CronJob")?.object as Obj;
        job.spec.schedule = "15 0 * * 0";
        return o;
      },
    });
    expect(messages(objects)).toEqual([expect.stringContaining('schedule "15 0 * * 0" is not once a day')]);
  });

  test("with aws.enabled the URL must be an Amazon OpenSearch Service endpoint", () => {
    const aws = { ...prod, aws: { ...prod.aws, enabled: true } } as StackConfig;
    expect(messages(jaegerOpenSearchSet(prod, NS), aws)).toEqual([
      expect.stringContaining("is not an Amazon OpenSearch Service endpoint"),
    ]);
  });
});

describe("rendered-config check: Badger's update strategy (staging, single)", () => {
  const badgerDeployment = (strategy?: Obj): RenderedObject[] => [
    rendered("jaeger", {
      kind: "ConfigMap",
      metadata: { name: "user-config", namespace: NS },
      data: {
        "user-config.yaml": stringify(jaegerConfig({ kind: "badger", ttlHours: staging.traces.retentionHours })),
      },
    }),
    rendered(
      "jaeger",
      jaegerDeployment({
        namespace: NS,
        ...(strategy ? { strategy } : {}),
        mounts: [{ name: "badger", mountPath: "/badger" }],
        volumes: [{ name: "badger", persistentVolumeClaim: { claimName: "jaeger-badger" } }],
      }),
    ),
    rendered("program", {
      kind: "PersistentVolumeClaim",
      metadata: { name: "jaeger-badger", namespace: NS },
      spec: { resources: { requests: { storage: `${staging.traces.storageGi}Gi` } } },
    }),
  ];

  test("Recreate has no findings", () => {
    expect(messages(badgerDeployment({ type: "Recreate" }), staging)).toEqual([]);
  });

  test.each([[undefined], [{ type: "RollingUpdate" }]])("strategy %j deadlocks on the ReadWriteOnce claim", (s) => {
    expect(messages(badgerDeployment(s), staging)).toEqual([expect.stringContaining('expected "Recreate"')]);
  });
});

describe("the program under mocks", () => {
  test("prod: OpenSearch chart with the configured nodes and volumes, Jaeger pointed at its Service", async () => {
    const { resources } = await runStack("prod");
    const os = chart(resources, "opensearch").inputs.values as Obj;
    const { nodes, storageGi } = prod.distributed.jaeger.opensearch;
    expect(os).toMatchObject({ replicas: nodes, persistence: { size: `${storageGi}Gi`, enableInitChown: false } });
    expect(os.sysctlInit.enabled).toBe(false);
    const jaeger = chart(resources, "jaeger").inputs.values as Obj;
    expect(jaeger.userconfig.extensions.jaeger_storage.backends.primary_store.opensearch.server_urls).toEqual([URL]);
    const secret = ofType(resources, "kubernetes:core/v1:Secret").find(
      (r) => (r.inputs.metadata as Obj).name === OPENSEARCH_CREDENTIALS.secret,
    );
    expect(Object.keys((secret?.inputs.stringData ?? {}) as Obj).sort()).toEqual(["password", "username"]);
  });

  test("staging keeps Badger and deploys no OpenSearch", async () => {
    const { resources } = await runStack("staging");
    expect(() => chart(resources, "opensearch")).toThrow("no chart opensearch");
    const jaeger = chart(resources, "jaeger").inputs.values as Obj;
    expect(Object.keys(jaeger.userconfig.extensions.jaeger_storage.backends.primary_store)).toEqual(["badger"]);
  });

  test("prod with AWS: an encrypted, HTTPS-only domain with fine-grained access; no in-cluster chart", async () => {
    const { resources } = await runStack("prod", (p) => {
      p.aws = {
        enabled: true,
        region: "eu-west-1",
        accountId: "123456789012",
        identity: {
          mechanism: "irsa",
          oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X",
        },
        budget: { emails: ["oncall@example.com"] },
      };
    });
    const [domain] = ofType(resources, "aws:opensearch/domain:Domain");
    expect(domain?.inputs).toMatchObject({
      domainName: "obs-prod-traces",
      clusterConfig: { instanceType: "r6g.large.search", instanceCount: 3 },
      encryptAtRest: { enabled: true },
      nodeToNodeEncryption: { enabled: true },
      domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" },
      advancedSecurityOptions: { enabled: true, internalUserDatabaseEnabled: true },
      tags: { environment: "prod" },
    });
    expect(() => chart(resources, "opensearch")).toThrow("no chart opensearch");
    const jaeger = chart(resources, "jaeger").inputs.values as Obj;
    const os = jaeger.userconfig.extensions.jaeger_storage.backends.primary_store.opensearch;
    expect(os.server_urls).toEqual(["https://obs-prod-traces-mock.es.amazonaws.com:443"]);
    expect(os.tls.insecure_skip_verify).toBe(false);
  });
});
