import { parseStackConfig, type StackConfig } from "../../infra/config/schema";
import { loadStackConfig, PLATFORM_CONFIG_KEY } from "../../infra/config/stack-file";
import {
  type PeerStores,
  peerCredentialEnvVar,
  peerCredentialVariables,
  peerDatasources,
} from "../../infra/monitoring/datasources";
import { GRAFANA_PEER_CREDENTIALS_SECRET } from "../../infra/platform/naming";
import {
  PLACEHOLDER_SECRET,
  peerSecretKey,
  requiredSecretKeys,
  requireSecret,
  SECRET_KEYS,
} from "../../infra/platform/secrets";
import { type CollectedResource, collectResources, PROJECT, stackConfigFile } from "../../infra/preflight/collect";
import { problemsOf } from "../infra/config-problems";
import { chart, ofType } from "../infra/support";

type Json = Record<string, any>;

const STAGING = {
  environment: "staging",
  prometheusUrl: "https://prometheus.staging.example.com",
  lokiUrl: "https://loki.staging.example.com",
  jaegerUrl: "https://jaeger.staging.example.com",
} as const;
const PROD = { environment: "prod", prometheusUrl: "https://prometheus.prod.example.com" } as const;

const withPeers = (base: "dev" | "prod", peers: Json[]): StackConfig =>
  parseStackConfig({ ...loadStackConfig(base), peers });

/** One peer as the schema parses it (auth defaulted), beside dev. */
const peer = (raw: Json): PeerStores => withPeers("dev", [raw]).peers[0] as PeerStores;

const AUTH_FIELDS = ["basicAuth", "basicAuthUser", "secureJsonData"];

describe("peerDatasources: a peer's auth, as env var references only", () => {
  const none = peerDatasources(peer(STAGING)) as Json[];

  test("auth defaults to none: Prometheus, Loki and Jaeger without any auth field or header", () => {
    expect(peer(STAGING).auth).toBe("none");
    expect(none.map((d) => d.type)).toEqual(["prometheus", "loki", "jaeger"]);
    for (const d of none) {
      for (const field of AUTH_FIELDS) expect(d).not.toHaveProperty(field);
      expect(d.jsonData).not.toHaveProperty("httpHeaderName1");
    }
  });

  test("basic: each datasource is the unauthenticated one plus basicAuth, the user and password references", () => {
    const basic = peerDatasources(peer({ ...STAGING, auth: "basic" }));
    expect(basic).toEqual(
      none.map((d) => ({
        ...d,
        basicAuth: true,
        basicAuthUser: "$PEER_STAGING_USERNAME",
        secureJsonData: { basicAuthPassword: "$PEER_STAGING_PASSWORD" },
      })),
    );
  });

  test("bearer: each datasource is the unauthenticated one plus an Authorization header from the token reference", () => {
    const bearer = peerDatasources(peer({ ...STAGING, auth: "bearer" }));
    expect(bearer).toEqual(
      none.map((d) => ({
        ...d,
        jsonData: { ...d.jsonData, httpHeaderName1: "Authorization" },
        secureJsonData: { httpHeaderValue1: "Bearer $PEER_STAGING_BEARER_TOKEN" },
      })),
    );
  });

  test.each(["basic", "bearer"])(
    "%s: every $VAR Grafana would expand is a key of the credentials Secret; the rest are literal()'s $$",
    (auth) => {
      const authed = peer({ ...STAGING, auth });
      const json = JSON.stringify(peerDatasources(authed));
      // Grafana's provisioning syntax: $$ is a literal $, $NAME and ${NAME} read the environment
      const references = [...json.matchAll(/\$\$|\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? "$$");
      expect(references).toContain("$$");
      const expanded = [...new Set(references.filter((r) => r !== "$$"))].sort();
      expect(expanded).toEqual(Object.keys(peerCredentialVariables([authed])).sort());
    },
  );
});

describe("credential names, derived per environment", () => {
  test("Pulumi keys and env vars for dev and prod follow staging's pattern", () => {
    expect(peerSecretKey("dev", "username")).toBe("peerDevUsername");
    expect(peerSecretKey("prod", "bearerToken")).toBe("peerProdBearerToken");
    expect(peerCredentialEnvVar("dev", "password")).toBe("PEER_DEV_PASSWORD");
    expect(peerCredentialEnvVar("prod", "bearerToken")).toBe("PEER_PROD_BEARER_TOKEN");
  });

  test("SECRET_KEYS holds the three credentials of every environment beside the backends' five", () => {
    const peerKeys = Object.keys(SECRET_KEYS).filter((k) => k.startsWith("peer"));
    expect(peerKeys.sort()).toEqual(
      ["Dev", "Staging", "Prod"]
        .flatMap((e) => ["Username", "Password", "BearerToken"].map((c) => `peer${e}${c}`))
        .sort(),
    );
    expect(Object.keys(SECRET_KEYS)).toHaveLength(9 + 5);
  });

  test("the Secret's contents: each peer with auth maps its env vars to its Pulumi keys; none maps nothing", () => {
    const config = withPeers("dev", [
      { ...STAGING, auth: "basic" },
      { ...PROD, auth: "bearer" },
    ]);
    expect(peerCredentialVariables(config.peers)).toEqual({
      PEER_STAGING_USERNAME: "peerStagingUsername",
      PEER_STAGING_PASSWORD: "peerStagingPassword",
      PEER_PROD_BEARER_TOKEN: "peerProdBearerToken",
    });
    expect(peerCredentialVariables(withPeers("dev", [STAGING]).peers)).toEqual({});
  });

  test("requireSecret names the command that sets a missing peer secret", () => {
    expect(() => requireSecret("peerStagingPassword")).toThrow(
      "missing secret peerStagingPassword: pulumi config set --secret peerStagingPassword <value>",
    );
  });
});

describe("requiredSecretKeys with peers", () => {
  test("single scale (dev): a basic peer needs its user and password, a bearer peer its token", () => {
    const config = withPeers("dev", [
      { ...STAGING, auth: "basic" },
      { ...PROD, auth: "bearer" },
    ]);
    expect(requiredSecretKeys(config)).toEqual(["peerStagingUsername", "peerStagingPassword", "peerProdBearerToken"]);
  });

  test("peers without auth need no secret", () => {
    expect(requiredSecretKeys(withPeers("dev", [STAGING, PROD]))).toEqual([]);
  });

  test("distributed (prod): the peer's keys come on top of the backends' own", () => {
    const backends = requiredSecretKeys(loadStackConfig("prod"));
    expect(backends.length).toBeGreaterThan(0);
    const config = withPeers("prod", [{ ...STAGING, auth: "bearer" }]);
    expect(requiredSecretKeys(config).sort()).toEqual([...backends, "peerStagingBearerToken"].sort());
  });
});

describe("peer auth in the stack config", () => {
  test("auth none over http stays accepted (a private endpoint without credentials)", () => {
    expect(problemsOf((c) => (c.peers = [{ environment: "prod", prometheusUrl: "http://p.example.com" }]))).toEqual([]);
  });

  test("each http URL of a peer with auth is named, not only the first", () => {
    const http = { environment: "prod", prometheusUrl: "http://p", lokiUrl: "http://l", jaegerUrl: "http://j" };
    expect(problemsOf((c) => (c.peers = [{ ...http, auth: "basic" }]))).toEqual(
      ["prometheusUrl", "lokiUrl", "jaegerUrl"].map(
        (key) => `peers.0.${key}: must be an https:// URL when auth is basic: credentials need https`,
      ),
    );
  });
});

/** dev under mocks with these peers and these Pulumi config secrets (absent ones get the preflight placeholder). */
async function runDev(peers: Json[], secrets: Record<string, string> = {}): Promise<CollectedResource[]> {
  const config = stackConfigFile("dev");
  config[PLATFORM_CONFIG_KEY] = JSON.stringify({ ...JSON.parse(config[PLATFORM_CONFIG_KEY] as string), peers });
  for (const [key, value] of Object.entries(secrets)) config[`${PROJECT}:${key}`] = value;
  let resources: CollectedResource[] = [];
  await jest.isolateModulesAsync(async () => {
    ({ resources } = await collectResources("dev", config, () => require("../../infra/index")));
  });
  return resources;
}

const peerSecretOf = (resources: CollectedResource[]) =>
  ofType(resources, "kubernetes:core/v1:Secret").find(
    (s) => s.inputs.metadata.name === GRAFANA_PEER_CREDENTIALS_SECRET,
  );

describe("under mocks (dev with a basic staging peer and a bearer prod peer)", () => {
  // staging's secrets are set in the config; prod's token is not, so it gets the placeholder as in preflight
  const SECRETS = { peerStagingUsername: "grafana-reader", peerStagingPassword: "s3cret-staging-pw" };
  let resources: CollectedResource[];
  beforeAll(async () => {
    resources = await runDev(
      [
        { ...STAGING, auth: "basic" },
        { ...PROD, auth: "bearer" },
      ],
      SECRETS,
    );
  }, 120_000);

  test("one Secret in Grafana's namespace holds exactly the env vars, filled from the Pulumi config secrets", () => {
    const secret = peerSecretOf(resources);
    expect(secret?.inputs.metadata.namespace).toBe(chart(resources, "kps").inputs.namespace);
    expect(secret?.inputs.stringData).toEqual({
      PEER_STAGING_USERNAME: SECRETS.peerStagingUsername,
      PEER_STAGING_PASSWORD: SECRETS.peerStagingPassword,
      PEER_PROD_BEARER_TOKEN: PLACEHOLDER_SECRET,
    });
  });

  test("Grafana's values take their environment from that Secret (envFromSecrets)", () => {
    expect(chart(resources, "kps").inputs.values.grafana.envFromSecrets).toEqual([
      { name: GRAFANA_PEER_CREDENTIALS_SECRET },
    ]);
  });

  test("the peer datasources carry $PEER_… references, and no object but the Secret holds a secret value", () => {
    const datasources = chart(resources, "kps").inputs.values.grafana.additionalDataSources as Json[];
    const staging = datasources.filter((d) => d.uid.endsWith("-staging"));
    expect(staging.map((d) => [d.basicAuthUser, d.secureJsonData])).toEqual(
      staging.map(() => ["$PEER_STAGING_USERNAME", { basicAuthPassword: "$PEER_STAGING_PASSWORD" }]),
    );
    const prod = datasources.find((d) => d.uid === "prometheus-prod");
    expect(prod?.secureJsonData).toEqual({ httpHeaderValue1: "Bearer $PEER_PROD_BEARER_TOKEN" });
    const holders = resources.filter((r) =>
      Object.values(SECRETS).some((value) => JSON.stringify(r.inputs).includes(value)),
    );
    expect(holders.map((r) => r.inputs.metadata?.name)).toEqual([GRAFANA_PEER_CREDENTIALS_SECRET]);
  });
});

describe("under mocks (dev with a peer without auth)", () => {
  test("no credentials Secret and no envFromSecrets", async () => {
    const resources = await runDev([STAGING]);
    expect(peerSecretOf(resources)).toBeUndefined();
    expect(chart(resources, "kps").inputs.values.grafana).not.toHaveProperty("envFromSecrets");
    // the peer is there, so the absence is not from a program that ignored peers
    const uids = (chart(resources, "kps").inputs.values.grafana.additionalDataSources as Json[]).map((d) => d.uid);
    expect(uids).toContain("prometheus-staging");
  }, 120_000);
});
