import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { createLogger } from "../../apps/lib/logger";
import { ACCESS_LOG_MESSAGE, LOG_FIELDS } from "../../contract";

const waitTick = () => new Promise((r) => setImmediate(r));

describe("JSON logger", () => {
  const manager = new AsyncLocalStorageContextManager().enable();
  beforeAll(() => context.setGlobalContextManager(manager));
  afterAll(() => context.disable());

  function capture(level = "info") {
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

  test("no access log when logs are off or the level is above info; nothing written when off", async () => {
    const lines: string[] = [];
    const sink = { write: (l: string) => lines.push(l) };
    expect(createLogger({ service: "order", level: "warn", sink }).accessLog).toBeUndefined();
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
