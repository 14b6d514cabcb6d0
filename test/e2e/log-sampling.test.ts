import {
  ACCESS_LOG_MESSAGE,
  dependencyUrlEnv,
  EXEMPLAR_LABELS,
  LOG_ENV,
  LOG_FIELDS,
  type ServiceName,
  TRACES_KEPT_PERCENTAGE_ENV,
} from "../../contract";
import { collectorKeeps } from "../support/collector-rule";
import { call, waitFor } from "../support/http";
import { type ReceivedSpan, startOtlpReceiver } from "../support/otlp-receiver";
import { type ServiceProcess, startProcess, stopAll } from "../support/services";

const SERVER = 2; // OTLP SpanKind SERVER
const ERROR = 2; // OTLP status code ERROR
const PERCENTAGE = 10;
const SLOW_MS = 2_000;
const ORDERS = 500;
const CONCURRENCY = 8;

/**
 * The three services as real processes at 10 % access-log sampling, exporting every span to a
 * receiver that stands in for the collector and applies its tail-sampling rule (all error traces,
 * 10 % of the rest by trace-id hash) to what it received: the logs must match the traces it keeps.
 */
describe("access-log sampling matches the collector's trace sampling (three processes, 10 %)", () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let services: Record<ServiceName, ServiceProcess>;
  let serverSpans: ReceivedSpan[];
  const accessLines = (service: ServiceName) =>
    services[service].logs.filter((l) => l[LOG_FIELDS.message] === ACCESS_LOG_MESSAGE);

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_TRACES_SAMPLER: "parentbased_always_on",
      [LOG_ENV.samplingPercentage]: String(PERCENTAGE),
      [LOG_ENV.slowMs]: String(SLOW_MS),
      [TRACES_KEPT_PERCENTAGE_ENV]: String(PERCENTAGE),
    };
    // user fails 5 % of its requests: error traces the collector keeps whatever their hash.
    const [user, product] = await Promise.all([
      startProcess("user", { ...env, FAULT_ERROR_RATE: "0.05" }),
      startProcess("product", env),
    ]);
    const order = await startProcess("order", {
      ...env,
      [dependencyUrlEnv("user")]: user.url,
      [dependencyUrlEnv("product")]: product.url,
    });
    services = { order, product, user };
    let next = 0;
    const worker = async () => {
      while (next < ORDERS) {
        const i = next++;
        const body = { userId: "u-1001", items: [{ productId: i % 2 ? "p-1001" : "p-1002", quantity: 1 }] };
        await call(`${order.url}/orders`, { body });
        if (i % 5 === 0) await call(`${order.url}/orders/o-missing-${i}`); // 404: always logged
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    serverSpans = await waitFor(
      "the server spans of every order",
      async () => {
        const spans = receiver.spans.filter((s) => s.kind === SERVER);
        return spans.filter((s) => s.service === "order").length >= ORDERS * 1.2 ? spans : undefined;
      },
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // the services hand logs over every 50 ms
  }, 120_000);

  afterAll(async () => {
    await stopAll(services ?? {});
    await receiver?.close();
  });

  const traces = () => {
    const byTrace = new Map<string, ReceivedSpan[]>();
    for (const s of receiver.spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
    return byTrace;
  };
  const hasLine = (service: ServiceName, traceId: string) =>
    accessLines(service).some((l) => l[LOG_FIELDS.traceId] === traceId);

  test("every trace the collector keeps has its access line in every service it crossed", () => {
    let checked = 0;
    for (const [traceId, spans] of traces()) {
      const kept = collectorKeeps(traceId, PERCENTAGE) || spans.some((s) => s.status.code === ERROR);
      if (!kept) continue;
      for (const span of spans.filter((s) => s.kind === SERVER)) {
        const status = Number(span.attributes["http.response.status_code"]);
        // In an error trace, a service that succeeded is logged only if the hash keeps the trace.
        if (!collectorKeeps(traceId, PERCENTAGE) && status < 400) continue;
        expect({ traceId, service: span.service, logged: hasLine(span.service as ServiceName, traceId) }).toEqual({
          traceId,
          service: span.service,
          logged: true,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  test("no access line exists for a successful trace the collector drops", () => {
    let dropped = 0;
    for (const [traceId, spans] of traces()) {
      if (collectorKeeps(traceId, PERCENTAGE) || spans.some((s) => s.status.code === ERROR)) continue;
      dropped++;
      for (const service of ["order", "product", "user"] as const) {
        const lines = accessLines(service).filter((l) => l[LOG_FIELDS.traceId] === traceId);
        // Only a 4xx other than validation or a slow request may be logged outside the kept share.
        const unexplained = lines.filter(
          (l) => Number(l[LOG_FIELDS.status]) < 401 && Number(l[LOG_FIELDS.durationMs]) <= SLOW_MS,
        );
        expect({ traceId, service, unexplained }).toEqual({ traceId, service, unexplained: [] });
      }
    }
    expect(dropped).toBeGreaterThan(ORDERS / 2);
  });

  test("every 5xx has its access line, unsampled", () => {
    const failures = serverSpans.filter((s) => Number(s.attributes["http.response.status_code"]) >= 500);
    expect(failures.length).toBeGreaterThan(5);
    for (const span of failures) {
      const line = accessLines(span.service as ServiceName).find((l) => l[LOG_FIELDS.traceId] === span.traceId);
      expect(line).toMatchObject({ [LOG_FIELDS.status]: Number(span.attributes["http.response.status_code"]) });
      expect(line?.[LOG_FIELDS.sampleRate]).toBeUndefined();
    }
  });

  test("the share of successful orders logged is within 5 sigma of 10 %, and those lines say so", () => {
    const orders = accessLines("order");
    const okTraces = serverSpans.filter(
      (s) => s.service === "order" && s.name === "POST /orders" && s.attributes["http.response.status_code"] === 201,
    );
    const logged = orders.filter((l) => l[LOG_FIELDS.status] === 201);
    const n = okTraces.length;
    const sigma = Math.sqrt(n * 0.1 * 0.9);
    expect(Math.abs(logged.length - n * 0.1)).toBeLessThan(5 * sigma);
    for (const line of logged)
      expect(line).toMatchObject({ [LOG_FIELDS.sampleRate]: 0.1, [LOG_FIELDS.adjustedCount]: 10 });
  });

  test("every exemplar points at a trace the collector keeps, whose access lines exist in every service it crossed", async () => {
    const exemplarTraces = new Set<string>();
    for (const service of Object.values(services)) {
      const res = await fetch(`${service.url}/metrics`, {
        headers: { accept: "application/openmetrics-text; version=1.0.0" },
      });
      const text = await res.text();
      for (const m of text.matchAll(new RegExp(`# \\{[^}]*${EXEMPLAR_LABELS.traceId}="([0-9a-f]{32})"`, "g")))
        exemplarTraces.add(m[1] as string);
    }
    expect(exemplarTraces.size).toBeGreaterThan(3);
    const byTrace = traces();
    for (const traceId of exemplarTraces) {
      expect({ traceId, kept: collectorKeeps(traceId, PERCENTAGE) }).toEqual({ traceId, kept: true });
      const crossed = (byTrace.get(traceId) ?? []).filter((s) => s.kind === SERVER).map((s) => s.service);
      expect(crossed.length).toBeGreaterThan(0);
      for (const service of crossed)
        expect({ traceId, service, logged: hasLine(service as ServiceName, traceId) }).toEqual({
          traceId,
          service,
          logged: true,
        });
    }
  });
});
