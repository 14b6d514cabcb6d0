import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";

/** Pulumi secrets (`pulumi config set --secret <key> …`) the distributed backends read, by key. */
export const SECRET_KEYS = {
  lokiObjectStoreAccessKeyId: "lokiObjectStoreAccessKeyId",
  lokiObjectStoreSecretAccessKey: "lokiObjectStoreSecretAccessKey",
  remoteWriteUsername: "remoteWriteUsername",
  remoteWritePassword: "remoteWritePassword",
  remoteWriteBearerToken: "remoteWriteBearerToken",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;

/** The secrets this stack's config needs: an S3-compatible store's keys, the remote-write credentials. */
export function requiredSecretKeys(config: StackConfig): SecretKey[] {
  if (config.scale !== "distributed") return [];
  const keys: SecretKey[] = [];
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
