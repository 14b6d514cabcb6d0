/**
 * The shared Prometheus HTTP API client against a real local HTTP server: what it asks (path prefix kept, the
 * query sent), what it reads (vector, scalar) and the kind and wording of each failure.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  getPrometheusJson,
  instantQuery,
  PrometheusApiError,
  prometheusBaseUrl,
  seriesOf,
} from "../../apps/lib/prometheus-api";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A server answering every request with `handle`; the paths and queries it was asked, in order. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const asked: { path: string; query: string | null }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    asked.push({ path: url.pathname, query: url.searchParams.get("query") });
    handle(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

const OPTIONS = { timeoutMs: 2_000 };

/** The PrometheusApiError a promise rejects with (fails the test if it resolves or throws something else). */
async function apiErrorOf(promise: Promise<unknown>): Promise<PrometheusApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PrometheusApiError);
  return err as PrometheusApiError;
}

describe("instantQuery", () => {
  test("a vector becomes one series per result with its labels; NaN stays NaN", async () => {
    const prom = await serve(
      json(200, {
        status: "success",
        data: {
          resultType: "vector",
          result: [{ metric: { job: "a" }, value: [1, "2.5"] }, { value: [1, "NaN"] }],
        },
      }),
    );
    expect(await instantQuery(prometheusBaseUrl(prom.url), "up", OPTIONS)).toEqual([
      { labels: { job: "a" }, value: 2.5 },
      { labels: {}, value: Number.NaN },
    ]);
    expect(prom.asked).toEqual([{ path: "/api/v1/query", query: "up" }]);
  });

  test("a scalar becomes one series without labels", async () => {
    const prom = await serve(json(200, { status: "success", data: { resultType: "scalar", result: [1, "4"] } }));
    expect(await instantQuery(prometheusBaseUrl(prom.url), "scalar(up)", OPTIONS)).toEqual([{ labels: {}, value: 4 }]);
  });

  test("a path prefix of the base URL is kept, with or without a trailing slash", async () => {
    const prom = await serve(json(200, { status: "success", data: { resultType: "vector", result: [] } }));
    await instantQuery(prometheusBaseUrl(`${prom.url}/prometheus`), "up", OPTIONS);
    await instantQuery(prometheusBaseUrl(`${prom.url}/prometheus/`), "up", OPTIONS);
    expect(prom.asked.map((a) => a.path)).toEqual(["/prometheus/api/v1/query", "/prometheus/api/v1/query"]);
  });

  test("status error on HTTP 400 → refused, naming the expression and quoting Prometheus' error", async () => {
    const prom = await serve(json(400, { status: "error", errorType: "bad_data", error: "parse error at char 5" }));
    const err = await apiErrorOf(instantQuery(prometheusBaseUrl(prom.url), "sum(", OPTIONS));
    expect([err.kind, err.message]).toEqual(["refused", "Prometheus refused sum(: parse error at char 5"]);
    expect(err.details).toMatchObject({ status: 400, reason: "parse error at char 5" });
  });

  test("a matrix answer → not-vector, naming the result type", async () => {
    const prom = await serve(json(200, { status: "success", data: { resultType: "matrix", result: [] } }));
    const err = await apiErrorOf(instantQuery(prometheusBaseUrl(prom.url), "up[5m]", OPTIONS));
    expect([err.kind, err.details.reason]).toEqual(["not-vector", "matrix"]);
    expect(err.message).toBe("Prometheus answered up[5m] with a matrix result, not a vector");
  });
});

describe("getPrometheusJson", () => {
  test("sends the parameters and returns a 2xx JSON body as is (Alertmanager's list too)", async () => {
    const am = await serve(json(200, [{ labels: { alertname: "X" } }]));
    const base = prometheusBaseUrl(`${am.url}/am`);
    expect(await getPrometheusJson(base, "api/v2/alerts", { active: "true" }, OPTIONS)).toEqual([
      { labels: { alertname: "X" } },
    ]);
    expect(am.asked[0]?.path).toBe("/am/api/v2/alerts");
  });

  test("a 404 HTML page → not-json, with the URL, the status and the start of the page", async () => {
    const page = await serve((_req, res) => res.writeHead(404, { "content-type": "text/html" }).end("<html>no</html>"));
    const err = await apiErrorOf(getPrometheusJson(prometheusBaseUrl(page.url), "api/v1/rules", {}, OPTIONS));
    expect(err.kind).toBe("not-json");
    expect(err.message).toBe(`${page.url}/api/v1/rules answered 404 with something that is not JSON: <html>no</html>`);
  });

  test("a non-2xx JSON answer that is not Prometheus' error envelope → http-status with the body", async () => {
    const am = await serve(json(500, { code: 500, message: "boom" }));
    const err = await apiErrorOf(getPrometheusJson(prometheusBaseUrl(am.url), "api/v2/alerts", {}, OPTIONS));
    expect([err.kind, err.details.status]).toEqual(["http-status", 500]);
    expect(err.message).toBe(`${am.url}/api/v2/alerts answered 500: {"code":500,"message":"boom"}`);
  });

  test("a refused connection → unreachable, with ECONNREFUSED in the message", async () => {
    const closed = await serve(() => undefined);
    const server = servers.pop() as Server;
    await new Promise((resolve) => server.close(resolve));
    const err = await apiErrorOf(getPrometheusJson(prometheusBaseUrl(closed.url), "api/v1/query", {}, OPTIONS));
    expect(err.kind).toBe("unreachable");
    expect(err.message).toMatch(new RegExp(`^${closed.url}/api/v1/query did not answer: .*ECONNREFUSED`));
  });

  test("no answer within timeoutMs → unreachable, saying how long it waited", async () => {
    const silent = await serve(() => undefined); // accepts the request, never answers
    const err = await apiErrorOf(
      getPrometheusJson(prometheusBaseUrl(silent.url), "api/v1/query", {}, { timeoutMs: 100 }),
    );
    expect([err.kind, err.details.reason]).toEqual(["unreachable", "no answer within 100 ms"]);
  });

  test("the injected fetch is the one used", async () => {
    const asked: string[] = [];
    const fake = (async (url: URL) => {
      asked.push(url.href);
      return new Response('{"status":"success"}');
    }) as typeof fetch;
    const base = prometheusBaseUrl("http://prom.invalid:9090/p");
    expect(
      await getPrometheusJson(base, "api/v1/targets", { state: "active" }, { fetch: fake, timeoutMs: 50 }),
    ).toEqual({ status: "success" });
    expect(asked).toEqual(["http://prom.invalid:9090/p/api/v1/targets?state=active"]);
  });
});

describe("prometheusBaseUrl", () => {
  test.each(["prometheus:9090", "ftp://h/", "not a url", ""])("%j → bad-url naming the URL", (url) => {
    let err: unknown;
    try {
      prometheusBaseUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PrometheusApiError);
    expect([(err as PrometheusApiError).kind, (err as PrometheusApiError).message]).toEqual([
      "bad-url",
      `"${url}" is not an http:// or https:// URL`,
    ]);
  });

  test("an https URL keeps its path prefix, with a trailing slash added", () => {
    expect(prometheusBaseUrl("https://h/prometheus").href).toBe("https://h/prometheus/");
  });
});

test("seriesOf: an answer without status success is refused, quoting Prometheus' error or the missing status", () => {
  expect(() => seriesOf({ status: "error", error: "bad" }, "q")).toThrow("Prometheus refused q: bad");
  expect(() => seriesOf("<html>", "q")).toThrow("Prometheus refused q: status missing");
});
