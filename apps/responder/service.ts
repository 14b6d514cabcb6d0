import { RESPONDER_ENV, RESPONDER_NAME, RESPONDER_PATHS } from "../../contract";
import { requireBearer } from "../lib/http/admin";
import type { ServiceContext } from "../lib/http/app";
import { HttpError } from "../lib/http/errors";
import { route } from "../lib/http/routes";
import type { ServiceDefinition } from "../lib/service";
import { guardrailsOf, type ResponderEnv, responderEnvSchema } from "./config";
import { type AlertmanagerPayload, alertmanagerPayloadSchema } from "./payload";
import { Responder, type ResponderParts } from "./responder";
import { buildParts } from "./wiring";

/** Builds the parts that reach Kubernetes and Prometheus (wiring.ts; tests pass fakes). */
export type PartsFactory = (
  env: ResponderEnv,
  context: Pick<ServiceContext, "logger" | "metrics">,
) => ResponderParts | Promise<ResponderParts>;

/** A notification of many alerts is larger than the services' 16kb default. */
const ALERTS_BODY_LIMIT = "1mb";

/**
 * The responder as a service of the shared layer: POST /alerts behind its bearer token (401 for a missing
 * or wrong one), health, readiness (true once its parts are built) and metrics.
 */
export function createResponderService(build: PartsFactory = buildParts): ServiceDefinition<ResponderEnv> {
  return {
    name: RESPONDER_NAME,
    env: responderEnvSchema,
    create({ logger, metrics }, env) {
      const guardrails = guardrailsOf(env);
      let responder: Responder | undefined;
      let closed = false;
      const started = Promise.resolve()
        .then(() => build(env, { logger, metrics }))
        .then((parts) => {
          if (closed) return undefined;
          responder = new Responder({ guardrails, parts, logger, metrics });
          responder.start();
          const playbook = guardrails.playbook.map((e) => `${e.alert}/${e.action}`);
          const fields = { mode: guardrails.mode, namespace: guardrails.namespace, playbook };
          if (guardrails.mode === "off") logger.warn("responder started in mode off: it decides nothing", fields);
          else logger.info("responder started", fields);
          return responder;
        });
      started.catch((err: unknown) => {
        logger.error("responder failed to start", { error: err instanceof Error ? err.message : String(err) });
      });

      const guard = requireBearer(env[RESPONDER_ENV.token], { realm: RESPONDER_NAME, wrongTokenStatus: 401 });
      return {
        routes: [
          route<AlertmanagerPayload>({
            method: "POST",
            path: RESPONDER_PATHS.alerts,
            guard: [guard],
            body: alertmanagerPayloadSchema,
            bodyLimit: ALERTS_BODY_LIMIT,
            handler: async (req, res) => {
              // Alertmanager retries a 5xx: nothing is decided before the parts are there.
              const ready = await started.catch(() => undefined);
              if (!ready) throw new HttpError(503, "the responder is not started");
              res.status(202).json({ decisions: await ready.handle(req.body) });
            },
          }),
        ],
        readinessChecks: async () => ({ started: responder !== undefined }),
        close: () => {
          closed = true;
          responder?.close();
        },
      };
    },
  };
}

export const responderService = createResponderService();
