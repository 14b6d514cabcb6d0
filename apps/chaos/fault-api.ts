/**
 * The services' own fault API (PUT /admin/faults behind the admin token) and readiness, through which every
 * HTTP-level fault goes, locally and in a cluster (Chaos Mesh's HTTPChaos misses keep-alive connections).
 */
import { PATHS, type ServiceName } from "../../contract";
import type { Fault, FaultKind } from "../../infra/chaos/experiments";
import { type FaultSettings, NO_FAULTS } from "../lib/faults";

/** Faults of the services' fault API. */
const HTTP_FAULTS: readonly FaultKind[] = ["http-errors", "http-latency", "route-outage"];
export const isHttpFault = (fault: Fault) => HTTP_FAULTS.includes(fault.kind);

/** The PUT /admin/faults body of an HTTP-level fault (the API turns every omitted setting off). */
export function faultSettingsFor(fault: Fault): Partial<FaultSettings> {
  switch (fault.kind) {
    case "http-errors":
      return { errorRate: fault.errorRate, errorStatus: fault.errorStatus };
    case "http-latency":
      return { latencyMs: fault.latencyMs, latencyJitterMs: fault.jitterMs };
    case "route-outage":
      return { outageRoutes: [fault.route] };
    default:
      throw new Error(`the ${fault.kind} fault does not go through the fault API (kinds: ${HTTP_FAULTS.join(", ")})`);
  }
}

/** The settings that are not off, e.g. `errorRate 0.5, outageRoutes /orders/:id`; undefined when all are off. */
export function describeFaultSettings(settings: FaultSettings): string | undefined {
  const on: string[] = [];
  if (settings.errorRate > 0) on.push(`errorRate ${settings.errorRate} (status ${settings.errorStatus})`);
  if (settings.latencyMs > 0 || settings.latencyJitterMs > 0) {
    on.push(`latencyMs ${settings.latencyMs} ± ${settings.latencyJitterMs}`);
  }
  if (settings.outageRoutes.length > 0) on.push(`outageRoutes ${settings.outageRoutes.join(", ")}`);
  if (settings.unready) on.push("unready");
  return on.length ? on.join(", ") : undefined;
}

/** A service's fault API and readiness, at the base URLs given (never logs the token). */
export class FaultApi {
  constructor(
    private readonly urls: Partial<Record<ServiceName, string>>,
    private readonly token: string | undefined,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly timeoutMs = 5_000,
  ) {}

  get hasToken(): boolean {
    return this.token !== undefined && this.token !== "";
  }

  private url(service: ServiceName, pathname: string): string {
    const base = this.urls[service];
    if (!base) throw new Error(`no URL for ${service}: pass --services ${service}=<url>`);
    return `${base}${pathname}`;
  }

  private async call(service: ServiceName, method: "GET" | "PUT", body?: object): Promise<FaultSettings> {
    if (!this.hasToken) {
      throw new Error(
        `${service}'s fault API needs the admin token: --admin-token or ADMIN_TOKEN (the demo prints it)`,
      );
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await this.fetchFn(this.url(service, PATHS.adminFaults), {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new Error(`${service}'s fault API did not answer ${method}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403) {
      throw new Error(`${service} refused the admin token (${res.status}): pass the token the services run with`);
    }
    if (res.status === 404) throw new Error(`${service} has no fault API (404): it runs without an admin token`);
    if (!res.ok) throw new Error(`${service}'s fault API answered ${method} with ${res.status}: ${text.slice(0, 200)}`);
    return { ...NO_FAULTS, ...(JSON.parse(text) as Partial<FaultSettings>) };
  }

  read(service: ServiceName): Promise<FaultSettings> {
    return this.call(service, "GET");
  }

  async set(service: ServiceName, settings: Partial<FaultSettings>): Promise<void> {
    await this.call(service, "PUT", settings);
  }

  /** GET /readyz answers 2xx. */
  async ready(service: ServiceName): Promise<boolean> {
    try {
      const res = await this.fetchFn(this.url(service, PATHS.ready), { signal: AbortSignal.timeout(this.timeoutMs) });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }
}
