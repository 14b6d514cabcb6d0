import type { StackValidationPolicy } from "@pulumi/policy";
import { chartProps, isChart } from "../lib/kubernetes";
import { get, isRecord, type Json } from "../lib/values";

export const OPENSEARCH_DOMAIN_TYPES = ["aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain"];
/** AWS's TLS policies with TLS 1.2 or newer as the minimum (Policy-Min-TLS-1-0-2019-07 is the one to refuse). */
export const MIN_TLS_12 = /^Policy-Min-TLS-1-[2-9]-/;

/** Where the Loki chart takes an S3 endpoint: its storage block, or the raw Loki config it merges. */
const LOKI_S3_BLOCKS = ["loki.storage.s3", "loki.structuredConfig.storage_config.aws", "loki.storage_config.aws"];

/**
 * An S3-compatible endpoint uses TLS when it says https://, or names only a host with `insecure: false`
 * (Loki then speaks https). http:// or `insecure: true` sends logs and credentials in clear text.
 */
export function s3EndpointProblem(block: Record<string, Json>): string | undefined {
  const endpoint = block.endpoint;
  if (typeof endpoint !== "string" || endpoint === "") return undefined;
  if (block.insecure === true) return `insecure: true (plain http) for endpoint ${endpoint}`;
  if (endpoint.startsWith("https://")) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) && block.insecure === false) return undefined;
  return `endpoint ${endpoint} is not https:// (allowed: an https:// URL, or a host with insecure: false)`;
}

/**
 * The pack cannot see how an S3-compatible store encrypts at rest, but it can refuse clear text on the way
 * to it; S3 buckets are covered by s3-bucket-security. Amazon OpenSearch Service domains hold the traces:
 * encrypted at rest, between nodes, and reachable over TLS 1.2+ only.
 */
export const storageEncryption: StackValidationPolicy = {
  name: "storage-encryption",
  description:
    "OpenSearch domains encrypt at rest and node-to-node and enforce HTTPS with TLS 1.2+; Loki's S3-compatible endpoint is https.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const domains = args.resources.filter((r) => OPENSEARCH_DOMAIN_TYPES.includes(r.type));
    for (const domain of domains) {
      const p = domain.props;
      const what = `OpenSearch domain ${domain.name}`;
      if (p.encryptAtRest?.enabled !== true) report(`${what}: encryptAtRest.enabled must be true`, domain.urn);
      if (p.nodeToNodeEncryption?.enabled !== true) {
        report(`${what}: nodeToNodeEncryption.enabled must be true`, domain.urn);
      }
      if (p.domainEndpointOptions?.enforceHttps !== true) {
        report(`${what}: domainEndpointOptions.enforceHttps must be true`, domain.urn);
      }
      const tls = p.domainEndpointOptions?.tlsSecurityPolicy;
      if (typeof tls !== "string" || !MIN_TLS_12.test(tls)) {
        report(
          `${what}: domainEndpointOptions.tlsSecurityPolicy is ${tls ?? "unset"}, allowed: Policy-Min-TLS-1-2-2019-07, Policy-Min-TLS-1-2-PFS-2023-10 or newer`,
          domain.urn,
        );
      }
    }

    const lokis = args.resources.filter((r) => isChart(r.type) && chartProps(r.props).chart === "loki");
    for (const loki of lokis) {
      const values = chartProps(loki.props).values;
      for (const path of LOKI_S3_BLOCKS) {
        const block = get(values, path);
        const problem = isRecord(block) ? s3EndpointProblem(block) : undefined;
        if (problem) report(`Loki chart ${path}: ${problem}`, loki.urn);
      }
    }
    if (domains.length === 0 && lokis.length === 0) args.notApplicable("no OpenSearch domain or Loki chart");
  },
};
