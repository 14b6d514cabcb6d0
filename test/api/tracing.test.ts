import http from "node:http";
import type { AddressInfo } from "node:net";
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from "@opentelemetry/semantic-conventions";
import type { Request, RequestHandler, Response } from "express";
import { ServiceClient } from "../../apps/lib/http/client";
import { keepContext } from "../../apps/lib/http/tracing";
import { ServiceMetrics } from "../../apps/lib/metrics";
import { startTelemetry, type Telemetry } from "../../apps/lib/telemetry";
import { ACCESS_LOG_MESSAGE, dependencyUrlEnv, LOG_FIELDS, PATHS, SPAN_ATTRIBUTES } from "../../contract";
import { call, freePort, type Running, waitFor } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

/**
 * The spans of the shared HTTP layer, with the services' own SDK setup (NodeSDK, no instrumentation
 * packages) exporting to memory. All services run in this process and share the tracer provider.
 */
const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let user: InProcess;
let product: InProcess;
let order: InProcess;

const ORDER = { userId: "u-1001", items: [{ productId: "p-1001", quantity: 1 }] };
const TWO_ITEMS = { ...ORDER, items: [...ORDER.items, { productId: "p-1002", quantity: 1 }] };

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs JSON with the body sent 50 ms after the headers, as a slow client's or a large body arrives. */
function postLate(url: string, body: unknown): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
    });
    req.once("response", (res) => res.resume().once("end", () => resolve(res.statusCode ?? 0)));
    req.once("error", reject);
    req.flushHeaders();
    setTimeout(() => req.end(payload), 50);
  });
}

/** The finished spans once there are `count` of them (server spans end just after the answer). */
function spans(count: number): Promise<ReadableSpan[]> {
  return waitFor(`${count} spans`, async () => {
    const finished = exporter.getFinishedSpans();
    return finished.length >= count ? finished : undefined;
  });
}

beforeAll(async () => {
  telemetry = startTelemetry("order", {}, { spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  [user, product] = await Promise.all([startInProcess("user"), startInProcess("product")]);
  order = await startInProcess("order", {
    [dependencyUrlEnv("user")]: user.url,
    [dependencyUrlEnv("product")]: product.url,
  });
});

afterAll(async () => {
  await Promise.all([order, user, product].map((s) => s?.close()));
  await telemetry?.shutdown(1_000);
  trace.disable();
  context.disable();
  propagation.disable();
});

beforeEach(() => exporter.reset());

describe("server and client spans of one POST /orders", () => {
  let all: ReadableSpan[];
  let root: ReadableSpan;
  let clients: ReadableSpan[];

  beforeAll(async () => {
    exporter.reset();
    expect((await call(`${order.url}/orders`, { body: TWO_ITEMS })).status).toBe(201);
    // order's server span, its 3 client spans (user, 2 reservations) and their 3 server spans
    all = await spans(7);
    root = all.find((s) => s.kind === SpanKind.SERVER && s.name === "POST /orders") as ReadableSpan;
    clients = all.filter((s) => s.kind === SpanKind.CLIENT);
  });

  test("downstream calls made after the JSON body parser are children of the server span", () => {
    expect(root).toBeDefined();
    expect(root.parentSpanContext).toBeUndefined();
    expect(clients).toHaveLength(3);
    for (const client of clients) expect(parentOf(client)).toBe(idOf(root));
    const downstream = all.filter((s) => s.kind === SpanKind.SERVER && s !== root);
    expect(downstream.map((s) => s.name).sort()).toEqual([
      "GET /users/:id",
      "POST /products/:id/reservations",
      "POST /products/:id/reservations",
    ]);
    for (const span of downstream) expect(clients.map(idOf)).toContain(parentOf(span));
    expect(new Set(all.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  test("handlers behind a body parser still find their span (business attributes)", () => {
    expect(root.attributes).toMatchObject({
      [SPAN_ATTRIBUTES.userId]: "u-1001",
      [SPAN_ATTRIBUTES.orderItemCount]: 2,
    });
    const reservations = all.filter((s) => s.name === "POST /products/:id/reservations");
    for (const span of reservations) expect(String(span.attributes[SPAN_ATTRIBUTES.productId])).toMatch(/^p-100[12]$/);
  });

  test("server span attributes follow the HTTP semantic conventions", () => {
    expect(root.attributes).toMatchObject({
      [ATTR_HTTP_REQUEST_METHOD]: "POST",
      [ATTR_HTTP_ROUTE]: "/orders",
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 201,
      [ATTR_URL_PATH]: "/orders",
      [ATTR_URL_SCHEME]: "http",
      [ATTR_SERVER_ADDRESS]: "127.0.0.1",
      [ATTR_SERVER_PORT]: order.port,
    });
    expect(root.status.code).toBe(SpanStatusCode.UNSET);
    expect(root.instrumentationScope.name).toBe("observability-platform/http");
  });

  test("client span attributes follow the HTTP semantic conventions", () => {
    const toUser = clients.find((s) => s.attributes[ATTR_SERVER_PORT] === user.port);
    expect(toUser?.name).toBe("GET");
    expect(toUser?.attributes).toEqual({
      [ATTR_HTTP_REQUEST_METHOD]: "GET",
      [ATTR_URL_FULL]: `${user.url}/users/u-1001`,
      [ATTR_SERVER_ADDRESS]: "127.0.0.1",
      [ATTR_SERVER_PORT]: user.port,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200,
    });
    expect(toUser?.status.code).toBe(SpanStatusCode.UNSET);
  });
});

test("a body that arrives after the headers: the handler's downstream calls still have the server span as parent", async () => {
  // express.json() resumes from the socket's 'data' event, outside the request's async context.
  expect(await postLate(`${order.url}/orders`, ORDER)).toBe(201);
  const all = await spans(5); // order server, 2 clients, user and product servers
  const root = all.find((s) => s.name === "POST /orders") as ReadableSpan;
  expect(root.attributes[SPAN_ATTRIBUTES.userId]).toBe("u-1001");
  const clients = all.filter((s) => s.kind === SpanKind.CLIENT);
  expect(clients).toHaveLength(2);
  for (const client of clients) expect(parentOf(client)).toBe(idOf(root));
});

test("keepContext: what follows a parser that resumes in another context runs in the request's context", async () => {
  const span = trace.wrapSpanContext({
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: 1,
  });
  // a parser that finishes from an event of the socket, outside the request's context
  const socketParser: RequestHandler = (_req, _res, next) => void context.with(ROOT_CONTEXT, () => setImmediate(next));
  const activeAfter = (parser: RequestHandler) =>
    new Promise((resolve) =>
      context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
        parser({} as Request, {} as Response, () => resolve(trace.getActiveSpan())),
      ),
    );
  expect(await activeAfter(socketParser)).toBeUndefined();
  expect(await activeAfter(keepContext(socketParser))).toBe(span);
});

describe("what is not traced", () => {
  let spy: Running & { headers: http.IncomingHttpHeaders[] };

  beforeAll(async () => {
    const headers: http.IncomingHttpHeaders[] = [];
    const server = http.createServer((req, res) => {
      headers.push(req.headers);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    spy = {
      url: `http://127.0.0.1:${port}`,
      port,
      headers,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  });
  afterAll(() => spy?.close());

  test("health, readiness and metrics requests produce no span", async () => {
    for (const path of [PATHS.health, PATHS.ready, `${PATHS.metrics}?x=1`]) {
      expect((await call(order.url + path)).status).toBe(200);
    }
    await sleep(50);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  test("the client makes no span and sends no traceparent without a parent span", async () => {
    const client = new ServiceClient(
      "user",
      new URL(spy.url),
      1_000,
      new ServiceMetrics("order", { defaultMetrics: false }),
    );
    try {
      await client.request("GET", "/users/u-1");
      expect(spy.headers.at(-1)?.traceparent).toBeUndefined();
      await trace.getTracer("test").startActiveSpan("parent", async (parent) => {
        await client.request("GET", "/users/u-2");
        parent.end();
      });
      const finished = exporter.getFinishedSpans();
      expect(finished.map((s) => `${s.kind} ${s.name}`)).toEqual([
        `${SpanKind.CLIENT} GET`,
        `${SpanKind.INTERNAL} parent`,
      ]);
      const [child, parent] = finished as [ReadableSpan, ReadableSpan];
      expect(parentOf(child)).toBe(idOf(parent));
      expect(spy.headers.at(-1)?.traceparent).toBe(`00-${child.spanContext().traceId}-${idOf(child)}-01`);
    } finally {
      client.close();
    }
  });

  test("an unsampled request records no span but passes its trace on: the logs still correlate", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const answer = await call(`${order.url}/orders`, {
      body: ORDER,
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-00` },
    });
    expect(answer.status).toBe(201);
    const access = (s: InProcess) =>
      s.logs.find((l) => l[LOG_FIELDS.message] === ACCESS_LOG_MESSAGE && l[LOG_FIELDS.traceId] === traceId);
    await waitFor("access lines of order and user with the trace id", async () =>
      access(order) && access(user) ? true : undefined,
    );
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe("failures", () => {
  test("a dependency that refuses connections: ERROR on the client and server spans, with error.type", async () => {
    const broken = await startInProcess("order", {
      [dependencyUrlEnv("user")]: `http://127.0.0.1:${await freePort()}`,
      [dependencyUrlEnv("product")]: product.url,
    });
    try {
      expect((await call(`${broken.url}/orders`, { body: ORDER })).status).toBe(503);
      const finished = await spans(2);
      const client = finished.find((s) => s.kind === SpanKind.CLIENT);
      const server = finished.find((s) => s.kind === SpanKind.SERVER);
      expect(client?.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: expect.stringMatching(/^user unavailable/),
      });
      expect(client?.attributes[ATTR_ERROR_TYPE]).toBe("unavailable");
      expect(client?.events.map((e) => e.name)).toEqual(["exception"]);
      expect(server?.name).toBe("POST /orders");
      expect(server?.status).toEqual({ code: SpanStatusCode.ERROR, message: "dependency unavailable" });
      expect(server?.attributes).toMatchObject({ [ATTR_ERROR_TYPE]: "503", [ATTR_HTTP_RESPONSE_STATUS_CODE]: 503 });
      expect(server?.events.some((e) => e.name === "exception")).toBe(true);
    } finally {
      await broken.close();
    }
  });

  test("a 4xx answer fails the client span but not the server span", async () => {
    expect((await call(`${order.url}/orders`, { body: { ...ORDER, userId: "u-nobody" } })).status).toBe(422);
    const finished = await spans(3); // order server, client to user, user server
    const client = finished.find((s) => s.kind === SpanKind.CLIENT);
    expect(client?.status.code).toBe(SpanStatusCode.ERROR);
    expect(client?.attributes[ATTR_ERROR_TYPE]).toBe("404");
    for (const server of finished.filter((s) => s.kind === SpanKind.SERVER)) {
      expect(server.status.code).toBe(SpanStatusCode.UNSET);
      expect(server.attributes[ATTR_ERROR_TYPE]).toBeUndefined();
    }
  });
});

describe("OTEL_SDK_DISABLED=true", () => {
  test("the app starts no span even when a tracer provider exists, and logs carry no trace id", async () => {
    const untraced = await startInProcess("product", { OTEL_SDK_DISABLED: "true" });
    try {
      expect((await call(`${untraced.url}/products/p-1001/reservations`, { body: { quantity: 1 } })).status).toBe(201);
      await sleep(50);
      expect(exporter.getFinishedSpans()).toEqual([]);
      const line = untraced.logs.find((l) => l[LOG_FIELDS.message] === ACCESS_LOG_MESSAGE);
      expect(line).toBeDefined();
      expect(line?.[LOG_FIELDS.traceId]).toBeUndefined();
    } finally {
      await untraced.close();
    }
  });
});
