import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { pinnedChart } from "../charts/chart";
import { mergeValues, staticValues, type Values } from "../charts/values-files";
import type { StackConfig } from "../config/schema";
import { chartLabels } from "../platform/labels";
import { clusterAddress, type Namespaces, PLATFORM_SERVICES, RELEASES } from "../platform/naming";
import type { OpenSearchStorage } from "./jaeger-config";

/**
 * Jaeger's trace store in `scale: distributed`: the upstream opensearch chart in the cluster, or an Amazon
 * OpenSearch Service domain with aws.enabled; daily indices deleted by Jaeger's index cleaner.
 */

/** The Secret Jaeger, its index cleaner and (self-hosted) OpenSearch read the credentials from. */
export const OPENSEARCH_CREDENTIALS = { secret: "opensearch-credentials", username: "username", password: "password" };
/** Where Jaeger reads the password file (auth.basic.password_file): never in its ConfigMap. */
export const OPENSEARCH_PASSWORD_DIR = "/etc/jaeger/opensearch";
/** The chart's demo security configuration has one user, admin, whose password the first start sets. */
export const SELF_HOSTED_USER = "admin";
/** The fine-grained access control master user of the Amazon domain. */
export const AWS_MASTER_USER = "jaeger";
/** Shortly after UTC midnight, when yesterday's index stops receiving writes. */
export const INDEX_CLEANER_SCHEDULE = "15 0 * * *";

export function usesOpenSearch(config: Pick<StackConfig, "scale">): boolean {
  return config.scale === "distributed";
}

/**
 * The index cleaner's day count. It deletes indices dated before (tomorrow 00:00 UTC − N days)
 * (jaegertracing/jaeger cmd/es-index-cleaner/app/cutoff_time.go), so today plus N−1 whole days remain;
 * one day more than the retention keeps at least `retentionHours` of traces, at most a day beyond.
 */
export function indexCleanerDays(retentionHours: number): number {
  if (!Number.isInteger(retentionHours) || retentionHours < 1)
    throw new Error(`traces.retentionHours must be a positive whole number of hours, got ${retentionHours}`);
  return Math.ceil(retentionHours / 24) + 1;
}

/** Amazon OpenSearch Service domain names: 3-28 characters, lowercase letters, digits and hyphens, a letter first. */
export function openSearchDomainName(config: Pick<StackConfig, "namespacePrefix" | "environment">): string {
  const name = `${config.namespacePrefix}-${config.environment}-traces`;
  if (!/^[a-z][a-z0-9-]{2,27}$/.test(name))
    throw new Error(
      `namespacePrefix + environment: the OpenSearch domain name "${name}" must be 3-28 characters of a-z, 0-9 and "-", starting with a letter`,
    );
  return name;
}

/** Zone awareness needs the node count to divide across the zones; otherwise it stays off. */
export function zoneAwareness(nodes: number, subnets: number): { zoneAwarenessEnabled: boolean; zones?: number } {
  if (subnets >= 3 && nodes % 3 === 0) return { zoneAwarenessEnabled: true, zones: 3 };
  if (subnets >= 2 && nodes % 2 === 0) return { zoneAwarenessEnabled: true, zones: 2 };
  return { zoneAwarenessEnabled: false };
}

/** FGAC authenticates each request (internal user); the resource policy only admits HTTP calls to this domain. */
export function openSearchAccessPolicy(domainArn: string) {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "es:ESHttp*", Resource: `${domainArn}/*` }],
  };
}

const password = (name: string, parent: pulumi.Resource) =>
  // OpenSearch (initial admin) and Amazon's master user both demand upper, lower, digit and special characters
  new random.RandomPassword(
    name,
    { length: 32, special: true, overrideSpecial: "!#%*+-=_", minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2 },
    { parent },
  );

/** The opensearch chart's per-stack values: node count, volume size and class, the admin password from the Secret. */
export function openSearchChartValues(config: StackConfig, labels: Record<string, string>): Values {
  const os = config.distributed.jaeger.opensearch;
  return {
    labels: chartLabels(labels),
    masterService: PLATFORM_SERVICES.opensearch.name,
    replicas: os.nodes,
    persistence: {
      size: `${os.storageGi}Gi`,
      ...(config.storage.storageClass ? { storageClass: config.storage.storageClass } : {}),
    },
    extraEnvs: [
      {
        name: "OPENSEARCH_INITIAL_ADMIN_PASSWORD",
        valueFrom: { secretKeyRef: { name: OPENSEARCH_CREDENTIALS.secret, key: OPENSEARCH_CREDENTIALS.password } },
      },
    ],
  };
}

export interface OpenSearchTarget {
  serverUrl: pulumi.Input<string>;
  username: string;
  skipVerify: boolean;
}

/** Jaeger's storage settings for the target (jaeger-config.ts renders them). */
export function openSearchStorage(config: StackConfig, target: OpenSearchTarget): OpenSearchStorage {
  return {
    kind: "opensearch",
    serverUrl: target.serverUrl,
    indexPrefix: config.environment,
    username: target.username,
    passwordFile: `${OPENSEARCH_PASSWORD_DIR}/${OPENSEARCH_CREDENTIALS.password}`,
    skipVerify: target.skipVerify,
    shards: config.distributed.jaeger.opensearch.nodes,
    retentionHours: config.traces.retentionHours,
  };
}

const secretEnv = (name: string, key: string) => ({
  name,
  valueFrom: { secretKeyRef: { name: OPENSEARCH_CREDENTIALS.secret, key } },
});

/** The jaeger chart's values for OpenSearch: the password file's volume and the index cleaner CronJob. */
export function jaegerOpenSearchValues(
  storage: OpenSearchStorage,
  config: StackConfig,
  labels: Record<string, string>,
): Values {
  return {
    jaeger: {
      extraVolumes: [
        {
          name: "opensearch-credentials",
          secret: {
            secretName: OPENSEARCH_CREDENTIALS.secret,
            items: [{ key: OPENSEARCH_CREDENTIALS.password, path: OPENSEARCH_CREDENTIALS.password }],
          },
        },
      ],
      extraVolumeMounts: [{ name: "opensearch-credentials", mountPath: OPENSEARCH_PASSWORD_DIR, readOnly: true }],
    },
    // read only by the chart's maintenance jobs (the index cleaner's URL argument)
    storage: { type: "elasticsearch", elasticsearch: { url: storage.serverUrl } },
    esIndexCleaner: {
      enabled: true,
      numberOfDays: indexCleanerDays(config.traces.retentionHours),
      schedule: INDEX_CLEANER_SCHEDULE,
      podLabels: chartLabels(labels),
      podSecurityContext: { runAsUser: 1000, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      securityContext: {
        runAsUser: 1000,
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      },
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
      // flags es.username, es.password, es.index-prefix, es.tls.* as environment variables
      extraEnv: [
        secretEnv("ES_USERNAME", OPENSEARCH_CREDENTIALS.username),
        secretEnv("ES_PASSWORD", OPENSEARCH_CREDENTIALS.password),
        { name: "ES_INDEX_PREFIX", value: storage.indexPrefix },
        { name: "ES_TLS_ENABLED", value: "true" },
        { name: "ES_TLS_SKIP_HOST_VERIFY", value: String(storage.skipVerify) },
      ],
    },
  };
}

export interface JaegerOpenSearchArgs {
  config: StackConfig;
  namespaces: Namespaces;
  labels: Record<string, string>;
  awsTags?: Record<string, string>;
}

/** The store itself and the credentials Secret; `target` is what Jaeger connects to. */
export class JaegerOpenSearch extends pulumi.ComponentResource {
  readonly target: OpenSearchTarget;
  readonly values?: Values;

  constructor(name: string, args: JaegerOpenSearchArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability-platform:tracing:JaegerOpenSearch", name, {}, opts);
    const { config, namespaces: ns, labels } = args;
    const secret = password(`${name}-password`, this);
    let username = SELF_HOSTED_USER;
    if (config.aws.enabled) {
      username = AWS_MASTER_USER;
      const domain = this.domain(name, config, secret.result, args.awsTags ?? {});
      // the endpoint is the bare host name; Amazon serves HTTPS on 443 with a publicly trusted certificate
      this.target = { serverUrl: pulumi.interpolate`https://${domain.endpoint}:443`, username, skipVerify: false };
    } else {
      const svc = PLATFORM_SERVICES.opensearch;
      // The chart's demo certificates are the same in every OpenSearch image, so verifying them would prove
      // nothing: the connection is encrypted but the server is not authenticated (see docs/scaling.md).
      this.target = {
        serverUrl: `https://${clusterAddress(svc.name, ns.platform, svc.port)}`,
        username,
        skipVerify: true,
      };
      this.values = mergeValues(staticValues("opensearch"), openSearchChartValues(config, labels));
    }
    const credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: {
          name: OPENSEARCH_CREDENTIALS.secret,
          namespace: ns.platform,
          labels: { ...labels, "app.kubernetes.io/name": "opensearch" },
        },
        type: "Opaque",
        stringData: { [OPENSEARCH_CREDENTIALS.username]: username, [OPENSEARCH_CREDENTIALS.password]: secret.result },
      },
      { parent: this },
    );
    if (this.values) {
      pinnedChart(
        `${name}-chart`,
        "opensearch",
        { name: RELEASES.opensearch, namespace: ns.platform, values: this.values },
        this,
        undefined,
        [credentials],
      );
    }
    this.registerOutputs({});
  }

  private domain(
    name: string,
    config: StackConfig,
    masterPassword: pulumi.Output<string>,
    tags: Record<string, string>,
  ) {
    const os = config.distributed.jaeger.opensearch;
    const zones = zoneAwareness(os.nodes, os.vpc?.subnetIds.length ?? 0);
    const domain = new aws.opensearch.Domain(
      `${name}-domain`,
      {
        domainName: openSearchDomainName(config),
        engineVersion: "OpenSearch_2.19",
        clusterConfig: {
          instanceType: os.instanceType,
          instanceCount: os.nodes,
          zoneAwarenessEnabled: zones.zoneAwarenessEnabled,
          ...(zones.zones ? { zoneAwarenessConfig: { availabilityZoneCount: zones.zones } } : {}),
        },
        ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: os.storageGi },
        encryptAtRest: { enabled: true },
        nodeToNodeEncryption: { enabled: true },
        domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" },
        // Jaeger 2.19's SigV4 signs bodies wrongly (jaegertracing/jaeger#8760): an internal master user instead
        advancedSecurityOptions: {
          enabled: true,
          internalUserDatabaseEnabled: true,
          masterUserOptions: { masterUserName: AWS_MASTER_USER, masterUserPassword: masterPassword },
        },
        ...(os.vpc ? { vpcOptions: { subnetIds: os.vpc.subnetIds, securityGroupIds: os.vpc.securityGroupIds } } : {}),
        tags,
      },
      { parent: this },
    );
    new aws.opensearch.DomainPolicy(
      `${name}-access`,
      {
        domainName: domain.domainName,
        accessPolicies: domain.arn.apply((arn) => JSON.stringify(openSearchAccessPolicy(arn))),
      },
      { parent: this },
    );
    return domain;
  }
}
