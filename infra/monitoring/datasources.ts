import { EXEMPLAR_LABELS, LABELS, LOG_FIELDS, METRICS } from "../../contract";
import { cloudWatchNamespace, exportedLogGroups, logGroupArn } from "../aws/names";
import type { Environment, StackConfig } from "../config/schema";
import {
  AWS_DATASOURCE_UIDS,
  clusterUrl,
  DATASOURCE_UIDS,
  lokiUrl,
  type Namespaces,
  PLATFORM_SERVICES,
} from "../platform/naming";
import { type PeerCredential, peerSecretKeys, type SecretKey } from "../platform/secrets";

/**
 * Extracts the trace id from a service's JSON log line, as the logger writes it
 * (`"trace_id":"<32 hex>"`, no spaces: JSON.stringify).
 */
export const TRACE_ID_IN_LOG_LINE = `"${LOG_FIELDS.traceId}":"([0-9a-f]{32})"`;

/** Grafana provisioning expands $VAR; `$$` keeps a literal `$` for Grafana's own variables. */
const literal = (grafanaVariable: string) => `$$${grafanaVariable}`;

type DatasourceKind = keyof typeof DATASOURCE_UIDS;
type Uids = Record<DatasourceKind, string>;

/** The uids of a peer environment's datasources: `<uid>-<environment>` (`prometheus-staging`), apart from the local ones. */
export function peerDatasourceUids(environment: string): Uids {
  const uid = (kind: DatasourceKind) => `${DATASOURCE_UIDS[kind]}-${environment}`;
  return { prometheus: uid("prometheus"), loki: uid("loki"), jaeger: uid("jaeger") };
}

/** The uids of an environment's datasources in this Grafana: the provisioned ones for its own, a peer's otherwise. */
export function environmentDatasourceUids(environment: string, localEnvironment: string): Uids {
  return environment === localEnvironment ? { ...DATASOURCE_UIDS } : peerDatasourceUids(environment);
}

/** Loki, its log lines linked to their trace when the environment's Jaeger is a datasource here. */
function lokiDatasource(name: string, uids: Uids, url: string, withJaeger: boolean): Record<string, unknown> {
  const traceLink = {
    name: "TraceID",
    matcherRegex: TRACE_ID_IN_LOG_LINE,
    datasourceUid: uids.jaeger,
    url: literal("{__value.raw}"),
    urlDisplayLabel: "View trace",
  };
  return {
    name,
    uid: uids.loki,
    type: "loki",
    access: "proxy",
    url,
    jsonData: { maxLines: 1000, ...(withJaeger ? { derivedFields: [traceLink] } : {}) },
  };
}

/** Jaeger, its spans linked to the logs of the same trace (when Loki is here) and to the RED metrics. */
function jaegerDatasource(name: string, uids: Uids, url: string, withLoki: boolean): Record<string, unknown> {
  const tags = literal("__tags");
  const requests = `${METRICS.serverDuration}_count`;
  const tracesToLogsV2 = {
    datasourceUid: uids.loki,
    spanStartTimeShift: "-5m",
    spanEndTimeShift: "5m",
    filterByTraceID: false,
    filterBySpanID: false,
    tags: [{ key: "service.name", value: LOG_FIELDS.service }],
    customQuery: true,
    // service_name is a Loki label; trace_id is structured metadata (set by Alloy)
    query: `{${literal("{__tags}")}} | ${LOG_FIELDS.traceId}="${literal("{__trace.traceId}")}"`,
  };
  return {
    name,
    uid: uids.jaeger,
    type: "jaeger",
    access: "proxy",
    url,
    jsonData: {
      nodeGraph: { enabled: true },
      spanBar: { type: "Duration" },
      ...(withLoki ? { tracesToLogsV2 } : {}),
      tracesToMetrics: {
        datasourceUid: uids.prometheus,
        spanStartTimeShift: "-5m",
        spanEndTimeShift: "5m",
        tags: [{ key: "service.name", value: LABELS.service }],
        queries: [
          {
            name: "Request rate",
            query: `sum(rate(${requests}{${tags}}[5m]))`,
          },
          {
            name: "Error rate",
            query: `sum(rate(${requests}{${tags},${LABELS.status}=~"5.."}[5m]))`,
          },
          {
            name: "p99 latency",
            query: `histogram_quantile(0.99, sum by (le) (rate(${METRICS.serverDuration}_bucket{${tags}}[5m])))`,
          },
        ],
      },
    },
  };
}

/** Another environment's stores (stack config `peers`). */
export type PeerStores = StackConfig["peers"][number];

/** Grafana's env var holding one credential of a peer: `PEER_STAGING_BEARER_TOKEN`. */
export function peerCredentialEnvVar(environment: Environment, credential: PeerCredential): string {
  const snake = credential.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
  return `PEER_${environment.toUpperCase()}_${snake}`;
}

/**
 * The peers' credentials Secret, Grafana's environment (envFromSecrets): each env var by the Pulumi secret that
 * fills it; {} when no peer has auth.
 */
export function peerCredentialVariables(peers: readonly PeerStores[]): Record<string, SecretKey> {
  return Object.fromEntries(
    peers.flatMap((peer) =>
      Object.entries(peerSecretKeys(peer)).map(([credential, key]) => [
        peerCredentialEnvVar(peer.environment, credential as PeerCredential),
        key,
      ]),
    ),
  );
}

/**
 * A peer datasource with the peer's auth, as references only: provisioning expands `$VAR` from Grafana's
 * environment (a single `$`; literal()'s `$$` is its escape), so no credential is in values or ConfigMaps.
 */
function withPeerAuth(datasource: Record<string, unknown>, peer: PeerStores): Record<string, unknown> {
  const env = (credential: PeerCredential) => `$${peerCredentialEnvVar(peer.environment, credential)}`;
  if (peer.auth === "basic")
    return {
      ...datasource,
      basicAuth: true,
      basicAuthUser: env("username"),
      secureJsonData: { basicAuthPassword: env("password") },
    };
  if (peer.auth === "bearer")
    return {
      ...datasource,
      jsonData: { ...(datasource.jsonData as Record<string, unknown>), httpHeaderName1: "Authorization" },
      secureJsonData: { httpHeaderValue1: `Bearer ${env("bearerToken")}` },
    };
  return datasource;
}

/**
 * A peer environment's datasources: its Prometheus (exemplars linked to its Jaeger when given), and its Loki
 * and Jaeger when their URLs are given, correlated with each other as the local ones are. Names say the
 * environment; uids come from peerDatasourceUids, so they never collide with the local ones. Each carries the
 * peer's auth (withPeerAuth).
 */
export function peerDatasources(peer: PeerStores): Record<string, unknown>[] {
  const uids = peerDatasourceUids(peer.environment);
  const named = (kind: string) => `${kind} (${peer.environment})`;
  const prometheus = {
    name: named("Prometheus"),
    uid: uids.prometheus,
    type: "prometheus",
    access: "proxy",
    url: peer.prometheusUrl,
    jsonData: {
      httpMethod: "POST",
      ...(peer.jaegerUrl
        ? {
            exemplarTraceIdDestinations: [
              { datasourceUid: uids.jaeger, name: EXEMPLAR_LABELS.traceId, urlDisplayLabel: "View trace" },
            ],
          }
        : {}),
    },
  };
  return [
    prometheus,
    ...(peer.lokiUrl ? [lokiDatasource(named("Loki"), uids, peer.lokiUrl, peer.jaegerUrl !== undefined)] : []),
    ...(peer.jaegerUrl ? [jaegerDatasource(named("Jaeger"), uids, peer.jaegerUrl, peer.lokiUrl !== undefined)] : []),
  ].map((datasource) => withPeerAuth(datasource, peer));
}

/**
 * The Loki and Jaeger datasources with every correlation: Loki log line → Jaeger trace, Jaeger
 * span → Loki logs of the same trace and service, Jaeger span → Prometheus RED metrics; then each peer
 * environment's datasources (stack config `peers`).
 * (The local Prometheus datasource is the chart's own, uid `prometheus`; its exemplar link is set in
 * `exemplarTraceIdDestinations`.)
 */
export function grafanaDatasources(
  ns: Namespaces,
  peers: readonly PeerStores[] = [],
  scale: StackConfig["scale"] = "single",
): Record<string, unknown>[] {
  const jaeger = PLATFORM_SERVICES.jaeger;
  return [
    lokiDatasource("Loki", DATASOURCE_UIDS, lokiUrl({ scale }, ns), true),
    jaegerDatasource("Jaeger", DATASOURCE_UIDS, clusterUrl(jaeger.name, ns.platform, jaeger.queryPort), true),
    ...peers.flatMap(peerDatasources),
  ];
}

/** Links Prometheus exemplars (label trace_id) to the Jaeger datasource. */
export const EXEMPLAR_DESTINATION = {
  datasourceUid: DATASOURCE_UIDS.jaeger,
  traceIdLabelName: EXEMPLAR_LABELS.traceId,
  urlDisplayLabel: "View trace",
};

/**
 * The X-Ray datasource is a plugin, not part of Grafana: pinned here, installed by the grafana sub-chart
 * (`plugins:` → GF_PLUGINS_PREINSTALL_SYNC, which Grafana reads as `<id>@<version>`). Release tag v2.17.1 of
 * https://github.com/grafana/x-ray-datasource. CloudWatch ships with Grafana (and is in its default preinstall
 * list), so it needs no entry.
 */
export const XRAY_PLUGIN = { id: "grafana-x-ray-datasource", version: "2.17.1" } as const;

type AwsDatasourceConfig = Pick<StackConfig, "namespacePrefix" | "environment" | "aws">;

function awsRegion(config: AwsDatasourceConfig): string {
  if (!config.aws.region) throw new Error("aws.region: required when aws.enabled is true (e.g. eu-west-1)");
  return config.aws.region;
}

/**
 * CloudWatch and X-Ray, when `aws.enabled`: credentials from the AWS SDK default chain (authType "default"),
 * which finds Grafana's own role through IRSA or EKS Pod Identity; never keys. CloudWatch offers the project's
 * namespace (custom namespaces are not discovered) and its log groups as the default for Logs Insights queries,
 * and links `@xrayTraceId` in log lines to the X-Ray datasource.
 * Keys as documented: https://grafana.com/docs/grafana/latest/datasources/aws-cloudwatch/configure/#provision-the-data-source
 * (`logGroups` as `{ arn, name }`, which supersedes the deprecated `defaultLogGroups` names:
 * public/app/plugins/datasource/cloudwatch/types.ts in https://github.com/grafana/grafana) and
 * https://grafana.com/docs/plugins/grafana-x-ray-datasource/latest/configure/#provision-the-data-source
 */
export function awsDatasources(config: AwsDatasourceConfig): Record<string, unknown>[] {
  if (!config.aws.enabled) return [];
  const region = awsRegion(config);
  const logGroups = exportedLogGroups(config).map((name) => ({ arn: logGroupArn(config, name), name }));
  return [
    {
      name: "CloudWatch",
      uid: AWS_DATASOURCE_UIDS.cloudwatch,
      type: "cloudwatch",
      access: "proxy",
      jsonData: {
        authType: "default",
        defaultRegion: region,
        customMetricsNamespaces: cloudWatchNamespace(config),
        logGroups,
        tracingDatasourceUid: AWS_DATASOURCE_UIDS.xray,
      },
    },
    {
      name: "X-Ray",
      uid: AWS_DATASOURCE_UIDS.xray,
      type: XRAY_PLUGIN.id,
      access: "proxy",
      jsonData: { authType: "default", defaultRegion: region },
    },
  ];
}

/** The grafana sub-chart's `plugins` (only the X-Ray plugin, pinned, when AWS is on); `{}` otherwise. */
export function awsGrafanaPlugins(config: Pick<StackConfig, "aws">): { plugins?: string[] } {
  return config.aws.enabled ? { plugins: [`${XRAY_PLUGIN.id}@${XRAY_PLUGIN.version}`] } : {};
}
