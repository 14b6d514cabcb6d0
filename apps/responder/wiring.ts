import { RESPONDER_ENV, RESPONDER_METRICS, SLO_CURRENT_BURN_RATE_RECORD } from "../../contract";
import type { ServiceContext } from "../lib/http/app";
import { createExecutor } from "./actions";
import { guardrailsOf, type ResponderEnv } from "./config";
import { connectKube } from "./kube";
import { createPlatformStatus } from "./prometheus";
import type { ResponderParts } from "./responder";
import { createEffectWatcher } from "./verify";

/** The real parts: the Kubernetes API through the executor, Prometheus for holds and effects. */
export async function buildParts(
  env: ResponderEnv,
  { logger, metrics }: Pick<ServiceContext, "logger" | "metrics">,
): Promise<ResponderParts> {
  const guardrails = guardrailsOf(env);
  const status = createPlatformStatus({
    prometheusUrl: env[RESPONDER_ENV.prometheusUrl],
    holdQuery: env[RESPONDER_ENV.holdQuery],
    burnRateRecord: SLO_CURRENT_BURN_RATE_RECORD,
  });
  const temporaryRaises = metrics.gauge(RESPONDER_METRICS.temporaryRaises, "Temporary replica raises in force.");
  const executor = await createExecutor({ guardrails, kube: connectKube(env), logger, temporaryRaises });
  const watcher = createEffectWatcher({
    status,
    windowMs: guardrails.verifyWindowMs,
    intervalMs: guardrails.verifyIntervalMs,
  });
  return { executor, status, watcher };
}
