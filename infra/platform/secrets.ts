import * as pulumi from "@pulumi/pulumi";
import { ENVIRONMENTS, type Environment, type StackConfig } from "../config/schema";

/** Pulumi secrets the distributed backends read. */
const BACKEND_SECRET_KEYS = [
  "lokiObjectStoreAccessKeyId",
  "lokiObjectStoreSecretAccessKey",
  "remoteWriteUsername",
  "remoteWritePassword",
  "remoteWriteBearerToken",
] as const;

type PeerAuth = StackConfig["peers"][number]["auth"];

/** The credentials each `peers[].auth` needs; the Pulumi keys and Grafana's env vars are derived from these. */
export const PEER_AUTH_CREDENTIALS = {
  none: [],
  basic: ["username", "password"],
  bearer: ["bearerToken"],
} as const satisfies Record<PeerAuth, readonly string[]>;
export type PeerCredential = (typeof PEER_AUTH_CREDENTIALS)[PeerAuth][number];

const capitalize = <S extends string>(s: S) => `${s.charAt(0).toUpperCase()}${s.slice(1)}` as Capitalize<S>;

export type PeerSecretKey = `peer${Capitalize<Environment>}${Capitalize<PeerCredential>}`;

/** The Pulumi secret of one credential of a peer environment: `peerStagingPassword`. */
export function peerSecretKey(environment: Environment, credential: PeerCredential): PeerSecretKey {
  return `peer${capitalize(environment)}${capitalize(credential)}`;
}

const PEER_CREDENTIALS = [...new Set<PeerCredential>(Object.values(PEER_AUTH_CREDENTIALS).flat())];

/** Every Pulumi secret the program may read (`pulumi config set --secret <key> …`): the backends', each peer's. */
export type SecretKey = (typeof BACKEND_SECRET_KEYS)[number] | PeerSecretKey;
export const SECRET_KEYS = Object.fromEntries(
  [...BACKEND_SECRET_KEYS, ...ENVIRONMENTS.flatMap((e) => PEER_CREDENTIALS.map((c) => peerSecretKey(e, c)))].map(
    (key) => [key, key],
  ),
) as { readonly [K in SecretKey]: K };

/** The secrets a peer's auth needs, by credential ({} without auth). */
export function peerSecretKeys(
  peer: Pick<StackConfig["peers"][number], "environment" | "auth">,
): Partial<Record<PeerCredential, PeerSecretKey>> {
  return Object.fromEntries(PEER_AUTH_CREDENTIALS[peer.auth].map((c) => [c, peerSecretKey(peer.environment, c)]));
}

/**
 * The secrets this stack's config needs: each peer's credentials (any scale), and in distributed an S3-compatible
 * store's keys and the remote-write credentials.
 */
export function requiredSecretKeys(config: StackConfig): SecretKey[] {
  const keys: SecretKey[] = config.peers.flatMap((p) => Object.values(peerSecretKeys(p)));
  if (config.scale !== "distributed") return keys;
  if (!config.aws.enabled && config.distributed.loki.objectStore)
    keys.push("lokiObjectStoreAccessKeyId", "lokiObjectStoreSecretAccessKey");
  const rw = config.distributed.prometheus.remoteWrite;
  if (rw?.kind === "url" && rw.auth === "basic") keys.push("remoteWriteUsername", "remoteWritePassword");
  if (rw?.kind === "url" && rw.auth === "bearer") keys.push("remoteWriteBearerToken");
  return keys;
}

/** A required secret, or a RunError naming the command that sets it (no stack trace). */
export function requireSecret(key: SecretKey): pulumi.Output<string> {
  const value = new pulumi.Config().getSecret(SECRET_KEYS[key]);
  if (value === undefined)
    throw new pulumi.RunError(`missing secret ${key}: pulumi config set --secret ${SECRET_KEYS[key]} <value>`);
  return value;
}

/** Preflight and the mock tests run without the real secrets: each required one gets this placeholder. */
export const PLACEHOLDER_SECRET = "preflight-placeholder";
