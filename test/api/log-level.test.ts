import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { startTelemetry, type Telemetry } from "../../apps/lib/telemetry";
import {
  ACCESS_LOG_MESSAGE,
  LABELS,
  LOG_DECISIONS,
  LOG_ENV,
  LOG_FIELDS,
  LOG_KINDS,
  METRICS,
  PATHS,
} from "../../contract";
import { call } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

const TOKEN = "log-level-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };

describe("admin API: temporary log level", () => {
  let product: InProcess;
  const url = () => `${product.url}${PATHS.adminLogLevel}`;
  beforeAll(async () => {
    product = await startInProcess("product", { ADMIN_TOKEN: TOKEN, [LOG_ENV.level]: "info" });
  });
  afterAll(() => product.close());

  test("without the bearer token: 401 and the level stays", async () => {
    expect((await call(url())).status).toBe(401);
    expect((await call(url(), { method: "PUT", body: { level: "debug", minutes: 5 } })).status).toBe(401);
    expect((await call(url(), { headers: auth })).body).toMatchObject({ level: "info" });
  });

  test("a bad body is refused with 400 naming each field and what is allowed; nothing changes", async () => {
    const res = await call(url(), { method: "PUT", headers: auth, body: { level: "verbose", minutes: 61 } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("level");
    expect(JSON.stringify(res.body)).toContain("error, warn, info, debug");
    expect(JSON.stringify(res.body)).toContain("minutes");
    expect(JSON.stringify(res.body)).toContain("from 1 to 60");
    expect((await call(url(), { headers: auth })).body).toMatchObject({ level: "info" });
  });

  test("PUT sets debug until a time within the bound, is audited, and DELETE goes back to the configured level", async () => {
    const before = Date.now();
    const set = await call(url(), { method: "PUT", headers: auth, body: { level: "debug", minutes: 15 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ level: "debug", configuredLevel: "info", accessLogSamplingPercentage: 100 });
    const until = Date.parse(set.body.until);
    expect(until - before).toBeGreaterThanOrEqual(15 * 60_000 - 1_000);
    expect(until - before).toBeLessThanOrEqual(15 * 60_000 + 1_000);
    expect(product.logs.some((l) => l[LOG_FIELDS.message] === "log level changed" && l.level === "warn")).toBe(true);
    const restored = await call(url(), { method: "DELETE", headers: auth });
    expect(restored.body).toEqual({ level: "info", configuredLevel: "info", accessLogSamplingPercentage: 100 });
  });
});

describe("access-log sampling in a service", () => {
  let product: InProcess;
  let telemetry: Telemetry;
  beforeAll(async () => {
    // The services' own SDK setup, spans to memory: requests continue the caller's trace from traceparent.
    telemetry = startTelemetry(
      "product",
      { OTEL_TRACES_SAMPLER: "parentbased_always_on" },
      {
        spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
      },
    );
    product = await startInProcess("product", { [LOG_ENV.samplingPercentage]: "10", FAULT_LATENCY_MS: "1" });
  });
  afterAll(async () => {
    await product.close();
    await telemetry.shutdown(1_000);
  });

  test("log_lines_total and log_bytes_total count written and sampled-out lines as metrics see every request", async () => {
    const requests = 60;
    for (let i = 0; i < requests; i++) {
      const traceId = `${i.toString(16).padStart(8, "0")}${"ab".repeat(12)}`;
      await call(`${product.url}/products/p-1001`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    }
    const access = product.logs.filter((l) => l[LOG_FIELDS.message] === ACCESS_LOG_MESSAGE);
    const res = await fetch(`${product.url}${PATHS.metrics}`);
    const text = await res.text();
    const value = (name: string, labels: Record<string, string>) => {
      const line = text
        .split("\n")
        .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
      return Number(line?.split(" ").pop());
    };
    const written = value(METRICS.logLines, {
      [LABELS.logKind]: LOG_KINDS.access,
      [LABELS.logDecision]: LOG_DECISIONS.written,
    });
    const dropped = value(METRICS.logLines, {
      [LABELS.logKind]: LOG_KINDS.access,
      [LABELS.logDecision]: LOG_DECISIONS.sampledOut,
    });
    expect(access.every((l) => typeof l[LOG_FIELDS.traceId] === "string")).toBe(true);
    expect(written).toBe(access.length);
    expect(written + dropped).toBe(requests);
    expect(dropped).toBeGreaterThan(0);
    expect(value(METRICS.logBytes, { [LABELS.logKind]: LOG_KINDS.access })).toBeGreaterThan(written * 50);
    expect(text).toMatch(new RegExp(`^${METRICS.serverDuration}_count\\{.*\\} ${requests}$`, "m"));
  });
});
