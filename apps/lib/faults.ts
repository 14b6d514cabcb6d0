import { z } from "zod";
import { booleanVar, intVar, numberVar } from "./config";

/** Injected faults of one service: off by default, changed at runtime through the admin API. */
export interface FaultSettings {
  /** Share of API requests answered with `errorStatus` (0–1). */
  errorRate: number;
  errorStatus: number;
  /** Added latency in ms, plus up to `latencyJitterMs` of uniform jitter. */
  latencyMs: number;
  latencyJitterMs: number;
  /** Route templates (e.g. `/orders/:id`) answered 503 as if the route were down. */
  outageRoutes: string[];
  /**
   * /readyz answers 503 while the process goes on serving and passing liveness: a hung or wedged
   * instance as the kubelet and the readiness probe see it (the responder's restart playbook).
   */
  unready: boolean;
}

export const NO_FAULTS: FaultSettings = {
  errorRate: 0,
  errorStatus: 500,
  latencyMs: 0,
  latencyJitterMs: 0,
  outageRoutes: [],
  unready: false,
};

const MAX_LATENCY_MS = 60_000;

/** Body schema of `PUT /admin/faults`: a whole settings object; omitted fields are off. */
export function faultSettingsSchema(routes: readonly string[]) {
  return z.strictObject({
    errorRate: z.number().min(0).max(1).default(NO_FAULTS.errorRate),
    errorStatus: z.number().int().min(400).max(599).default(NO_FAULTS.errorStatus),
    latencyMs: z.number().int().min(0).max(MAX_LATENCY_MS).default(0),
    latencyJitterMs: z.number().int().min(0).max(MAX_LATENCY_MS).default(0),
    outageRoutes: z.array(z.enum(routes as [string, ...string[]])).default([]),
    unready: z.boolean({ error: "must be true or false" }).default(false),
  });
}

/**
 * Fault settings from FAULT_* environment variables, validated like the admin API's body.
 * `routes` undefined skips the outage-route check (used when the routes are not known yet).
 */
export function faultEnvSchema(routes: readonly string[] | undefined) {
  const route = routes
    ? z.enum(routes as [string, ...string[]], { error: `each route must be one of: ${routes.join(", ")}` })
    : z.string();
  return z
    .object({
      FAULT_ERROR_RATE: numberVar(0, 1, 0),
      FAULT_ERROR_STATUS: intVar(400, 599, 500),
      FAULT_LATENCY_MS: intVar(0, MAX_LATENCY_MS, 0),
      FAULT_LATENCY_JITTER_MS: intVar(0, MAX_LATENCY_MS, 0),
      FAULT_OUTAGE_ROUTES: z
        .string()
        .default("")
        .transform((v) =>
          v
            .split(",")
            .map((r) => r.trim())
            .filter(Boolean),
        )
        .pipe(z.array(route)),
      FAULT_UNREADY: booleanVar(false),
    })
    .transform(
      (env): FaultSettings => ({
        errorRate: env.FAULT_ERROR_RATE,
        errorStatus: env.FAULT_ERROR_STATUS,
        latencyMs: env.FAULT_LATENCY_MS,
        latencyJitterMs: env.FAULT_LATENCY_JITTER_MS,
        outageRoutes: env.FAULT_OUTAGE_ROUTES,
        unready: env.FAULT_UNREADY,
      }),
    );
}

/** What to do to one request. */
export interface FaultDecision {
  delayMs: number;
  /** Status to answer instead of running the handler, if any. */
  failWith?: { status: number; kind: "error" | "outage" };
}

export class FaultInjector {
  private settings: FaultSettings = NO_FAULTS;
  private active = false;

  constructor(
    initial: FaultSettings = NO_FAULTS,
    private readonly random: () => number = Math.random,
  ) {
    this.set(initial);
  }

  get current(): FaultSettings {
    return this.settings;
  }

  set(settings: FaultSettings): void {
    this.settings = { ...settings, outageRoutes: [...settings.outageRoutes] };
    this.active =
      settings.errorRate > 0 ||
      settings.latencyMs > 0 ||
      settings.latencyJitterMs > 0 ||
      settings.outageRoutes.length > 0;
  }

  /** Undefined when no fault applies, which is the cheap common path. */
  decide(route: string): FaultDecision | undefined {
    if (!this.active) return undefined;
    const s = this.settings;
    if (s.outageRoutes.includes(route)) return { delayMs: 0, failWith: { status: 503, kind: "outage" } };
    const delayMs = s.latencyMs + (s.latencyJitterMs > 0 ? Math.round(this.random() * s.latencyJitterMs) : 0);
    const failed = s.errorRate > 0 && this.random() < s.errorRate;
    if (!failed && delayMs === 0) return undefined;
    return failed ? { delayMs, failWith: { status: s.errorStatus, kind: "error" } } : { delayMs };
  }
}
