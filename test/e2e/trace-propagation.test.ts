import { ACCESS_LOG_MESSAGE, EXEMPLAR_LABELS, LOG_FIELDS, METRICS, SPAN_ATTRIBUTES } from "../../contract";
import { call, waitFor } from "../support/http";
import { type ReceivedSpan, startOtlpReceiver } from "../support/otlp-receiver";
import { type ServiceProcess, startAll, stopAll } from "../support/services";

const SERVER = 2; // OTLP SpanKind SERVER
const CLIENT = 3;

describe("one POST /orders across three real service processes", () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let services: Record<"order" | "product" | "user", ServiceProcess>;
  let traceId: string;
  let traceSpans: ReceivedSpan[];
  let orderId: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    services = await startAll({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=test",
      SERVICE_VERSION: "1.2.3",
    });
    const answer = await call(`${services.order.url}/orders`, {
      body: {
        userId: "u-1001",
        items: [
          { productId: "p-1001", quantity: 2 },
          { productId: "p-1002", quantity: 1 },
        ],
      },
    });
    expect(answer.status).toBe(201);
    orderId = answer.body.id;
    const serverSpan = await waitFor("the order server span", async () =>
      receiver.spans.find(
        (s) => s.service === "order" && s.kind === SERVER && s.attributes[SPAN_ATTRIBUTES.orderId] === orderId,
      ),
    );
    traceId = serverSpan.traceId;
    // user GET + two reservations, each a server span in its service
    traceSpans = await waitFor("the spans of all three services", async () => {
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      return spans.filter((s) => s.kind === SERVER).length >= 4 ? spans : undefined;
    });
  });

  afterAll(async () => {
    await stopAll(services ?? {});
    await receiver?.close();
  });

  test("spans from order, user and product share one trace id", () => {
    expect(new Set(traceSpans.map((s) => s.service))).toEqual(new Set(["order", "user", "product"]));
  });

  test("each downstream server span is the child of an order client span (W3C traceparent propagated)", () => {
    const byId = new Map(traceSpans.map((s) => [s.spanId, s]));
    const downstream = traceSpans.filter((s) => s.kind === SERVER && s.service !== "order");
    expect(downstream).toHaveLength(3);
    for (const span of downstream) {
      const parent = byId.get(span.parentSpanId ?? "");
      expect(parent).toMatchObject({ service: "order", kind: CLIENT });
      const grandParent = byId.get(parent?.parentSpanId ?? "");
      expect(grandParent).toMatchObject({ service: "order", kind: SERVER, parentSpanId: undefined });
    }
  });

  test("server spans are named by route template and carry business attributes", () => {
    const names = traceSpans.filter((s) => s.kind === SERVER).map((s) => `${s.service} ${s.name}`);
    expect(names).toEqual(
      expect.arrayContaining(["order POST /orders", "user GET /users/:id", "product POST /products/:id/reservations"]),
    );
    const order = traceSpans.find((s) => s.service === "order" && s.kind === SERVER);
    expect(order?.attributes).toMatchObject({
      [SPAN_ATTRIBUTES.userId]: "u-1001",
      [SPAN_ATTRIBUTES.orderItemCount]: 2,
      [SPAN_ATTRIBUTES.orderTotal]: 209.3,
    });
    const reservation = traceSpans.find((s) => s.service === "product" && s.kind === SERVER);
    expect(String(reservation?.attributes[SPAN_ATTRIBUTES.productId])).toMatch(/^p-100[12]$/);
  });

  test("no span per Express middleware layer: only server and client spans", () => {
    expect(traceSpans.every((s) => s.kind === SERVER || s.kind === CLIENT)).toBe(true);
  });

  test("resource carries service.name, service.version and deployment.environment.name", () => {
    for (const span of traceSpans) {
      expect(span.resource).toMatchObject({
        "service.name": span.service,
        "service.version": "1.2.3",
        "deployment.environment.name": "test",
      });
    }
  });

  test("the log lines all three services wrote for the request carry the same trace_id", async () => {
    const lines = await waitFor("access logs of all three services", async () => {
      const all = Object.values(services).flatMap((p) => p.logs.filter((l) => l[LOG_FIELDS.traceId] === traceId));
      return new Set(all.map((l) => l[LOG_FIELDS.service])).size === 3 ? all : undefined;
    });
    const access = lines.filter((l) => l[LOG_FIELDS.message] === ACCESS_LOG_MESSAGE);
    expect(access.map((l) => `${l[LOG_FIELDS.service]} ${l[LOG_FIELDS.route]} ${l[LOG_FIELDS.status]}`).sort()).toEqual(
      [
        "order /orders 201",
        "product /products/:id/reservations 201",
        "product /products/:id/reservations 201",
        "user /users/:id 200",
      ],
    );
    const spanIds = new Set(traceSpans.map((s) => s.spanId));
    for (const line of access) {
      expect(spanIds.has(String(line[LOG_FIELDS.spanId]))).toBe(true);
      expect(line[LOG_FIELDS.timestamp]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof line[LOG_FIELDS.durationMs]).toBe("number");
      expect(line[LOG_FIELDS.method]).toMatch(/^(GET|POST)$/);
    }
  });

  test("OpenMetrics scrape of order carries an exemplar with this request's trace_id", async () => {
    const res = await fetch(`${services.order.url}/metrics`, {
      headers: { accept: "application/openmetrics-text; version=1.0.0" },
    });
    expect(res.headers.get("content-type")).toContain("application/openmetrics-text");
    const text = await res.text();
    const exemplar = text
      .split("\n")
      .find(
        (l) =>
          l.startsWith(`${METRICS.serverDuration}_bucket`) &&
          l.includes('http_route="/orders"') &&
          l.includes(`${EXEMPLAR_LABELS.traceId}="${traceId}"`),
      );
    expect(exemplar).toBeDefined();
    expect(text.trimEnd().endsWith("# EOF")).toBe(true);
  });

  test("the created order can be read back", async () => {
    const answer = await call(`${services.order.url}/orders/${orderId}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: orderId, userId: "u-1001", total: 209.3, status: "confirmed" });
  });
});
