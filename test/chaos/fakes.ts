/**
 * Stand-ins for what the chaos runner talks to, on one loopback HTTP server: Prometheus' instant queries
 * (answers from a callback per service and SLI; the plan's history and recorded ratios) and its configuration
 * (5 s intervals), Alertmanager's /api/v2/alerts, the three services' fault API
 * and /readyz (behind a bearer token), and a Pushgateway. Every request is recorded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AmAlert } from "../../apps/chaos/observe";
import type { Clock } from "../../apps/chaos/runner";
import { type FaultSettings, NO_FAULTS } from "../../apps/lib/faults";
import { PATHS, SERVICE_NAMES, type ServiceName } from "../../contract";

export type SliKind = "errorRatio" | "slowRatio" | "p99";

export interface Recorded {
  method: string;
  path: string;
  authorization?: string;
  contentType?: string;
  body: string;
}

export interface FakePlatformOptions {
  token: string;
  sli: (service: ServiceName, kind: SliKind) => number | undefined;
  alerts: () => AmAlert[];
  /** Seconds of SLI history the plan's query finds (default three days: a warm stack). */
  historySeconds?: number;
  /** The recorded SLO error ratio of each window before the fault (default none). */
  priorRatio?: (window: string) => number;
  /** Called when a service's fault settings change (e.g. to note the time). */
  onFaults?: (service: ServiceName, settings: FaultSettings) => void;
}

export interface FakePlatform {
  prometheusUrl: string;
  alertmanagerUrl: string;
  pushgatewayUrl: string;
  services: Record<ServiceName, string>;
  faults: Record<ServiceName, FaultSettings>;
  ready: Record<ServiceName, boolean>;
  requests: Recorded[];
  /** Requests to one service's fault API. */
  faultRequests(service: ServiceName): Recorded[];
  close(): Promise<void>;
}

/** Which SLI a query of observe.ts asks for, and of which service. */
export function classify(query: string): { service: ServiceName; kind: SliKind } {
  const service = /service_name="(\w+)"/.exec(query)?.[1] as ServiceName;
  const kind: SliKind = query.includes("histogram_quantile")
    ? "p99"
    : query.includes('le="')
      ? "slowRatio"
      : "errorRatio";
  return { service, kind };
}

export async function startFakePlatform(options: FakePlatformOptions): Promise<FakePlatform> {
  const faults = Object.fromEntries(SERVICE_NAMES.map((s) => [s, { ...NO_FAULTS }])) as Record<
    ServiceName,
    FaultSettings
  >;
  const ready = Object.fromEntries(SERVICE_NAMES.map((s) => [s, true])) as Record<ServiceName, boolean>;
  const requests: Recorded[] = [];

  const json = (res: ServerResponse, status: number, body: unknown): void =>
    void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://fake");
    const recorded: Recorded = {
      method: req.method ?? "",
      path: url.pathname,
      authorization: req.headers.authorization,
      contentType: req.headers["content-type"],
      body: Buffer.concat(chunks).toString("utf8"),
    };
    requests.push(recorded);
    if (url.pathname === "/prom/api/v1/status/config") {
      const yaml = "global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\n";
      return json(res, 200, { status: "success", data: { yaml } });
    }
    const query = url.searchParams.get("query") ?? "";
    const vector = (value: number) => ({
      status: "success",
      data: { resultType: "vector", result: [{ metric: {}, value: [0, String(value)] }] },
    });
    if (url.pathname === "/prom/api/v1/query" && query.startsWith("count_over_time(")) {
      return json(res, 200, vector(options.historySeconds ?? 3 * 86_400));
    }
    const recorded_ = /^slo:sli_error:ratio_rate(\w+)\{/.exec(query);
    if (url.pathname === "/prom/api/v1/query" && recorded_) {
      return json(res, 200, vector(options.priorRatio?.(recorded_[1] as string) ?? 0));
    }
    if (url.pathname === "/prom/api/v1/query") {
      const { service, kind } = classify(query);
      const value = options.sli(service, kind);
      const result = value === undefined ? [] : [{ metric: {}, value: [0, String(value)] }];
      return json(res, 200, { status: "success", data: { resultType: "vector", result } });
    }
    if (url.pathname === "/am/api/v2/alerts") return json(res, 200, options.alerts());
    if (url.pathname.startsWith("/pgw/metrics/")) return void res.writeHead(200).end();
    const match = /^\/svc\/(\w+)(\/.*)$/.exec(url.pathname);
    const service = match?.[1] as ServiceName | undefined;
    if (!service || !SERVICE_NAMES.includes(service)) return void res.writeHead(404).end();
    if (match?.[2] === PATHS.ready) return void res.writeHead(ready[service] ? 200 : 503).end();
    if (match?.[2] !== PATHS.adminFaults) return void res.writeHead(404).end();
    if (recorded.authorization !== `Bearer ${options.token}`) return json(res, 403, { error: "invalid bearer token" });
    if (req.method === "PUT") {
      faults[service] = { ...NO_FAULTS, ...(JSON.parse(recorded.body) as Partial<FaultSettings>) };
      options.onFaults?.(service, faults[service]);
    }
    return json(res, 200, { ...faults[service], routes: ["/products", "/products/:id"] });
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    prometheusUrl: `${base}/prom`,
    alertmanagerUrl: `${base}/am`,
    pushgatewayUrl: `${base}/pgw`,
    services: Object.fromEntries(SERVICE_NAMES.map((s) => [s, `${base}/svc/${s}`])) as Record<ServiceName, string>,
    faults,
    ready,
    requests,
    faultRequests: (service) => requests.filter((r) => r.path === `/svc/${service}${PATHS.adminFaults}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A clock that only moves when the runner sleeps: a three-minute experiment takes milliseconds. */
export function fakeClock(startMs: number, onSleep?: (nowMs: number) => void): Clock & { readonly ms: number } {
  let now = startMs;
  return {
    get ms() {
      return now;
    },
    now: () => now,
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      now += ms;
      onSleep?.(now);
      signal?.throwIfAborted();
    },
  };
}

/** An Alertmanager alert as /api/v2/alerts lists it. */
export function amAlert(labels: Record<string, string>, state: AmAlert["status"]["state"]): AmAlert {
  return { labels, status: { state, inhibitedBy: [], silencedBy: [] } };
}
