import { createHash } from "node:crypto";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { samplingThreshold, traceIdHash } from "../../apps/lib/log-sampling";
import { createLogger } from "../../apps/lib/logger";
import type { LogLevel } from "../../contract";
import { ACCESS_LOG_MESSAGE, LOG_FIELDS } from "../../contract";

const waitTick = () => new Promise((r) => setImmediate(r));

describe("JSON logger", () => {
  const manager = new AsyncLocalStorageContextManager().enable();
  beforeAll(() => context.setGlobalContextManager(manager));
  afterAll(() => context.disable());

  function capture(level: LogLevel = "info") {
    const lines: string[] = [];
    const { logger } = createLogger({ service: "order", level, sink: { write: (l: string) => lines.push(l) } });
    return { logger, lines };
  }

  test("writes one JSON object per line with timestamp, level, message, service_name and fields", async () => {
    const { logger, lines } = capture();
    logger.info("hello", { order_id: "o-1" });
    await waitTick();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    expect(lines[0]?.trim().includes("\n")).toBe(false);
    const line = JSON.parse(lines[0] as string);
    expect(line).toEqual({
      [LOG_FIELDS.timestamp]: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      [LOG_FIELDS.level]: "info",
      [LOG_FIELDS.message]: "hello",
      [LOG_FIELDS.service]: "order",
      order_id: "o-1",
    });
  });

  test("adds trace_id and span_id of the active span", async () => {
    const { logger, lines } = capture();
    const span = trace.wrapSpanContext({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: 1,
    });
    context.with(trace.setSpan(context.active(), span), () => logger.warn("inside"));
    await waitTick();
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      [LOG_FIELDS.traceId]: "0af7651916cd43dd8448eb211c80319c",
      [LOG_FIELDS.spanId]: "b7ad6b7169203331",
      [LOG_FIELDS.level]: "warn",
    });
  });

  test("the access log writes exactly the line logger.info writes for the same fields", async () => {
    const { logger, lines } = capture();
    const { accessLog } = createLogger({
      service: "order",
      level: "info",
      sink: { write: (l: string) => lines.push(l) },
    });
    const fields = {
      [LOG_FIELDS.traceId]: "0af7651916cd43dd8448eb211c80319c",
      [LOG_FIELDS.spanId]: "b7ad6b7169203331",
      [LOG_FIELDS.method]: "GET",
      [LOG_FIELDS.route]: "/orders/:id",
      [LOG_FIELDS.status]: 200,
      [LOG_FIELDS.durationMs]: 1.5,
      [LOG_FIELDS.fault]: "latency",
    };
    logger.info(ACCESS_LOG_MESSAGE, fields);
    accessLog?.(fields);
    await waitTick();
    const withoutTime = (line: string | undefined) => line?.replace(/"timestamp":"[^"]+"/, "");
    expect(lines).toHaveLength(2);
    expect(withoutTime(lines[1])).toBe(withoutTime(lines[0]));
  });

  test("no access log when logs are off; none written when the level is above info; nothing written when off", async () => {
    const lines: string[] = [];
    const sink = { write: (l: string) => lines.push(l) };
    createLogger({ service: "order", level: "warn", sink }).accessLog?.({ [LOG_FIELDS.status]: 200 });
    const off = createLogger({ service: "order", level: "info", enabled: false, sink });
    expect(off.accessLog).toBeUndefined();
    off.logger.error("dropped");
    await waitTick();
    expect(lines).toEqual([]);
  });

  test("honours the level", async () => {
    const { logger, lines } = capture("warn");
    logger.info("dropped");
    logger.error("kept");
    await waitTick();
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(["kept"]);
  });

  test("a field that cannot be serialised does not lose the line", async () => {
    const { logger, lines } = capture();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    logger.info("still here", { circular });
    await waitTick();
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      message: "still here",
      log_error: "fields not serializable",
    });
  });
});

describe("access-log sampling and the temporary level", () => {
  const threshold = samplingThreshold(10);
  const ids = Array.from({ length: 400 }, (_, i) => createHash("md5").update(String(i)).digest("hex"));
  const keptId = ids.find((id) => traceIdHash(id) <= threshold) as string;
  const droppedId = ids.find((id) => traceIdHash(id) > threshold) as string;
  const access = (traceId: string, status = 200, durationMs = 2) => ({
    [LOG_FIELDS.traceId]: traceId,
    [LOG_FIELDS.route]: "/orders",
    [LOG_FIELDS.status]: status,
    [LOG_FIELDS.durationMs]: durationMs,
  });
  function sampled(level: LogLevel = "info") {
    const lines: string[] = [];
    const log = createLogger({
      service: "order",
      level,
      sink: { write: (l: string) => lines.push(l) },
      sampling: { percentage: 10, slowMs: 500 },
    });
    return { ...log, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
  }

  test("a kept trace's line says it was sampled at 0.1 and stands for 10 requests; a dropped one is not written", () => {
    const log = sampled();
    log.accessLog?.(access(keptId));
    log.accessLog?.(access(droppedId));
    expect(log.parsed()).toEqual([
      expect.objectContaining({
        [LOG_FIELDS.traceId]: keptId,
        [LOG_FIELDS.sampleRate]: 0.1,
        [LOG_FIELDS.adjustedCount]: 10,
      }),
    ]);
    expect(log.stats).toMatchObject({ accessWritten: 1, accessSampledOut: 1, accessBytes: log.lines[0]?.length });
  });

  test("a failed or slow request of a dropped trace is written, without sampling fields", () => {
    const log = sampled();
    log.accessLog?.(access(droppedId, 503));
    log.accessLog?.(access(droppedId, 200, 750));
    expect(log.parsed()).toHaveLength(2);
    for (const line of log.parsed()) {
      expect(line[LOG_FIELDS.sampleRate]).toBeUndefined();
      expect(line[LOG_FIELDS.adjustedCount]).toBeUndefined();
    }
  });

  test("event lines are counted apart from access lines, bytes included", async () => {
    const log = sampled();
    log.logger.warn("something odd");
    await waitTick();
    expect(log.stats).toMatchObject({ eventLines: 1, eventBytes: log.lines[0]?.length, accessWritten: 0 });
  });

  test("a temporary debug level writes debug lines and every access line, then restores itself", async () => {
    const log = sampled();
    const state = log.levels.setTemporary("debug", 40);
    expect(state).toMatchObject({ level: "debug", configuredLevel: "info", accessLogSamplingPercentage: 100 });
    expect(Date.parse(state.until as string)).toBeGreaterThan(Date.now());
    log.logger.debug("detail");
    log.accessLog?.(access(droppedId));
    await new Promise((r) => setTimeout(r, 80));
    expect(log.levels.state()).toEqual({ level: "info", configuredLevel: "info", accessLogSamplingPercentage: 10 });
    log.logger.debug("hidden again");
    log.accessLog?.(access(droppedId));
    await waitTick();
    expect(log.parsed().map((l) => [l.message, l[LOG_FIELDS.sampleRate]])).toEqual([
      ["detail", undefined],
      [ACCESS_LOG_MESSAGE, undefined],
      ["log level restored", undefined],
    ]);
  });

  test("restore() ends a temporary level at once; with the level above info no access line is written", async () => {
    const log = sampled("warn");
    log.levels.setTemporary("info", 60_000);
    log.accessLog?.(access(droppedId));
    expect(log.levels.restore()).toEqual({ level: "warn", configuredLevel: "warn", accessLogSamplingPercentage: 10 });
    log.accessLog?.(access(keptId));
    await waitTick();
    expect(log.lines).toHaveLength(1);
    expect(log.stats.accessSampledOut).toBe(0);
  });
});
