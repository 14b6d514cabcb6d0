import { z } from "zod";
import { dottedPath, RESPONDER_ENV, RESPONDER_MODES, RESPONSE_ACTION_VALUES } from "../../contract";
import { intVar, urlVar } from "../lib/config";
import type { Guardrails } from "./types";

const E = RESPONDER_ENV;

/** Empty counts as unset, as for every other variable of the services. */
const optional = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

const playbookEntry = z.object({
  alert: z.string({ error: "must be an alert name" }).min(1, { error: "must be an alert name" }),
  action: z.enum(RESPONSE_ACTION_VALUES, { error: `must be one of: ${RESPONSE_ACTION_VALUES.join(", ")}` }),
  description: z.string({ error: "must be a string" }),
  severity: z.string({ error: "must be a string" }),
  runbook: z.string({ error: "must be a string" }),
});

/**
 * The playbook is JSON in one variable; a problem inside it is reported against the variable, with the
 * entry and field in the message (parseEnv names only the variable).
 */
const playbookVar = z.string({ error: "must be set: a JSON array of playbook entries" }).transform((text, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be a JSON array of playbook entries (it is not valid JSON)" });
    return z.NEVER;
  }
  const result = z.array(playbookEntry, { error: "must be a JSON array of playbook entries" }).safeParse(parsed);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const where = issue.path.length === 0 ? "" : `entry ${dottedPath(issue.path)}: `;
      ctx.addIssue({ code: "custom", message: `${where}${issue.message}` });
    }
    return z.NEVER;
  }
  return result.data;
});

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The responder's environment (RESPONDER_ENV), keyed by the variables' names. Defaults are the stack
 * config's (infra/config/schema.ts RESPONDER_DEFAULTS); the token, mode, namespace, playbook, hold query
 * and Prometheus have none: the deployer always sets them, and guessing any of them would be unsafe.
 */
export const responderEnvSchema = z
  .object({
    [E.token]: z
      .string({ error: "must be set (at least 16 characters)" })
      .min(16, { error: "must be at least 16 characters" })
      .regex(/^\S+$/, { error: "must not contain whitespace (it is sent as a bearer token)" }),
    [E.mode]: z.enum(RESPONDER_MODES, { error: `must be one of: ${RESPONDER_MODES.join(", ")}` }),
    [E.namespace]: z
      .string({ error: "must be set: the apps namespace" })
      .regex(DNS_LABEL, { error: "must be a DNS label (lowercase letters, digits and '-', at most 63 characters)" }),
    [E.playbook]: playbookVar,
    [E.holdQuery]: z
      .string({ error: "must be set: a PromQL query" })
      .trim()
      .min(1, { error: "must be a non-empty PromQL query" }),
    [E.cooldownSeconds]: intVar(1, 86_400, 30 * 60),
    [E.maxActionsPerHour]: intVar(1, 60, 6),
    [E.retries]: intVar(0, 10, 3),
    [E.retryBackoffMs]: intVar(1, 60_000, 500),
    [E.verifyWindowSeconds]: intVar(1, 3_600, 10 * 60),
    [E.verifyIntervalSeconds]: intVar(1, 600, 15),
    [E.raiseStep]: intVar(1, 10, 2),
    [E.raiseCap]: intVar(1, 100, 20),
    [E.raiseTtlSeconds]: intVar(1, 86_400, 4 * 3_600),
    [E.prometheusUrl]: urlVar(),
    [E.kubernetesApiUrl]: optional(urlVar()),
    [E.kubernetesTokenFile]: optional(z.string()),
    [E.kubernetesCaFile]: optional(z.string()),
  })
  .refine((env) => env[E.verifyIntervalSeconds] <= env[E.verifyWindowSeconds], {
    path: [E.verifyIntervalSeconds],
    error: `must not be longer than ${E.verifyWindowSeconds}`,
  });

export type ResponderEnv = z.infer<typeof responderEnvSchema>;

export function guardrailsOf(env: ResponderEnv): Guardrails {
  return {
    mode: env[E.mode],
    namespace: env[E.namespace],
    playbook: env[E.playbook],
    cooldownMs: env[E.cooldownSeconds] * 1_000,
    maxActionsPerHour: env[E.maxActionsPerHour],
    retries: env[E.retries],
    retryBackoffMs: env[E.retryBackoffMs],
    verifyWindowMs: env[E.verifyWindowSeconds] * 1_000,
    verifyIntervalMs: env[E.verifyIntervalSeconds] * 1_000,
    raise: { step: env[E.raiseStep], cap: env[E.raiseCap], durationMs: env[E.raiseTtlSeconds] * 1_000 },
  };
}
