/**
 * The responder's Prometheus queries against a small fake Prometheus over HTTP: the exact PromQL sent,
 * the hold reasons it derives, the fail-safe hold when Prometheus does not answer, and alertState.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createPlatformStatus, holdReasonOf } from "../../apps/responder/prometheus";
import type { Target } from "../../apps/responder/types";
import { SLO_CURRENT_BURN_RATE_RECORD } from "../../contract";

const TARGET: Target = { namespace: "apps", service: "order", deployment: "order" };
const HOLD_QUERY =
  'ALERTS{alertstate="firing",alertname=~"PlatformDown|PrometheusRuleFailures"} or (count by (alertname) (x) >= 2)';

type Answer = { status?: number; body: unknown };
const vector = (...series: [Record<string, string>, string][]) => ({
  body: {
    status: "success",
    data: {
      resultType: "vector",
      result: series.map(([metric, value]) => ({ metric, value: [1_700_000_000, value] })),
    },
  },
});

interface FakePrometheus {
  url: string;
  /** Each request's path and query parameter, in order. */
  queries: { path: string; query: string | null }[];
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function fakePrometheus(answer: (query: string) => Answer): Promise<FakePrometheus> {
  const queries: FakePrometheus["queries"] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const query = url.searchParams.get("query");
    queries.push({ path: url.pathname, query });
    const { status = 200, body } = answer(query ?? "");
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, queries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const statusAt = (prometheusUrl: string) =>
  createPlatformStatus({ prometheusUrl, holdQuery: HOLD_QUERY, burnRateRecord: SLO_CURRENT_BURN_RATE_RECORD });

/** A loopback port nothing listens on (a server opened and closed again). */
async function closedPortUrl(): Promise<string> {
  const p = await fakePrometheus(() => vector());
  servers.pop();
  await p.close();
  return p.url;
}

describe("holdReason", () => {
  test("sends the hold query verbatim to /api/v1/query; no series → no hold (undefined)", async () => {
    const prom = await fakePrometheus(() => vector());
    expect(await statusAt(prom.url).holdReason()).toBeUndefined();
    expect(prom.queries).toEqual([{ path: "/api/v1/query", query: HOLD_QUERY }]);
  });

  test("a firing hold alert → a reason naming its alertname", async () => {
    const prom = await fakePrometheus(() =>
      vector([
        { __name__: "ALERTS", alertname: "PrometheusRuleFailures", alertstate: "firing", namespace: "monitoring" },
        "1",
      ]),
    );
    expect(await statusAt(prom.url).holdReason()).toBe("held: PrometheusRuleFailures firing");
  });

  test("several services burning (the count series) → a reason with the alertname and the count", async () => {
    const prom = await fakePrometheus(() =>
      vector(
        [{ alertname: "SLOFastBurn" }, "3"],
        [{ __name__: "ALERTS", alertname: "PlatformDown", alertstate: "firing" }, "1"],
      ),
    );
    expect(await statusAt(prom.url).holdReason()).toBe("held: SLOFastBurn firing for 3 services; PlatformDown firing");
  });

  test("the same alert firing in several places is named once", () => {
    const firing = { metric: { alertname: "PlatformDown", alertstate: "firing" }, value: 1 };
    expect(holdReasonOf([firing, { ...firing, metric: { ...firing.metric, pod: "b" } }])).toBe(
      "held: PlatformDown firing",
    );
  });

  test("Prometheus not listening → a hold (fail safe): 'cannot check platform health' with the connection error", async () => {
    const reason = await statusAt(await closedPortUrl()).holdReason();
    expect(reason).toMatch(/^cannot check platform health: .*ECONNREFUSED/);
  });

  test("Prometheus answering an error (HTTP 503, or status error) → a hold that quotes it", async () => {
    const down = await fakePrometheus(() => ({ status: 503, body: "Service Unavailable" }));
    expect(await statusAt(down.url).holdReason()).toBe(
      "cannot check platform health: HTTP 503 from Prometheus: Service Unavailable",
    );
    const bad = await fakePrometheus(() => ({
      status: 400,
      body: { status: "error", errorType: "bad_data", error: "parse error at char 3" },
    }));
    expect(await statusAt(bad.url).holdReason()).toBe(
      "cannot check platform health: HTTP 400 from Prometheus: parse error at char 3",
    );
  });

  test("a matrix answer (not an instant vector) → a hold, not a silent pass", async () => {
    const prom = await fakePrometheus(() => ({
      body: { status: "success", data: { resultType: "matrix", result: [] } },
    }));
    expect(await statusAt(prom.url).holdReason()).toMatch(/^cannot check platform health: .*matrix/);
  });
});

describe("alertState", () => {
  const ALERT_QUERY = 'ALERTS{alertname="ServicePodCrashLooping",alertstate="firing",namespace="apps",service="order"}';
  const BURN_QUERY = `max(${SLO_CURRENT_BURN_RATE_RECORD}{namespace="apps",service_name="order"})`;

  test("queries the target's firing alert and its highest burn rate; series → firing, the burn rate as a number", async () => {
    const prom = await fakePrometheus((q) =>
      q.startsWith("ALERTS") ? vector([{ alertname: "ServicePodCrashLooping" }, "1"]) : vector([{}, "14.4"]),
    );
    expect(await statusAt(prom.url).alertState("ServicePodCrashLooping", TARGET)).toEqual({
      firing: true,
      burnRate: 14.4,
    });
    expect(prom.queries.map((q) => q.query).sort()).toEqual([ALERT_QUERY, BURN_QUERY].sort());
  });

  test("no alert series and no burn-rate series → not firing, burn rate undefined", async () => {
    const prom = await fakePrometheus(() => vector());
    expect(await statusAt(prom.url).alertState("ServicePodCrashLooping", TARGET)).toEqual({
      firing: false,
      burnRate: undefined,
    });
  });

  test("a NaN burn rate (no traffic: 0/0) counts as no data", async () => {
    const prom = await fakePrometheus((q) => (q.startsWith("ALERTS") ? vector() : vector([{}, "NaN"])));
    expect((await statusAt(prom.url).alertState("X", TARGET)).burnRate).toBeUndefined();
  });

  test("label values are quoted and escaped as PromQL strings", async () => {
    const prom = await fakePrometheus(() => vector());
    await statusAt(prom.url).alertState('Odd"Name\\', TARGET);
    expect(prom.queries.map((q) => q.query)).toContain(
      'ALERTS{alertname="Odd\\"Name\\\\",alertstate="firing",namespace="apps",service="order"}',
    );
  });

  test("rejects when Prometheus does not answer (the watcher tells that from 'still firing')", async () => {
    await expect(statusAt(await closedPortUrl()).alertState("X", TARGET)).rejects.toThrow();
  });
});

describe("createPlatformStatus", () => {
  test("keeps a path prefix of PROMETHEUS_URL (Prometheus behind /prometheus)", async () => {
    const prom = await fakePrometheus(() => vector());
    await statusAt(`${prom.url}/prometheus`).holdReason();
    expect(prom.queries[0]?.path).toBe("/prometheus/api/v1/query");
  });

  test("a URL that is not http(s) is refused, naming PROMETHEUS_URL", () => {
    expect(() => statusAt("prometheus:9090")).toThrow(/PROMETHEUS_URL must be an http: or https: URL/);
    expect(() => statusAt("not a url")).toThrow(/PROMETHEUS_URL/);
  });
});
