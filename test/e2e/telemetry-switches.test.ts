import { ACCESS_LOG_MESSAGE, LOG_FIELDS, METRICS } from "../../contract";
import { call, waitFor } from "../support/http";
import { startOtlpReceiver } from "../support/otlp-receiver";
import { startAll, startProcess, stopAll } from "../support/services";

/** The signal switches on the real processes, where the SDK reads OTEL_SDK_DISABLED itself. */
const ORDER = { userId: "u-1001", items: [{ productId: "p-1001", quantity: 1 }] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("OTEL_SDK_DISABLED=true: the order flow works, no span is exported, an incoming traceparent is harmless", async () => {
  const receiver = await startOtlpReceiver();
  const services = await startAll({
    OTEL_SDK_DISABLED: "true",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_BSP_SCHEDULE_DELAY: "50",
  });
  try {
    const answer = await call(`${services.order.url}/orders`, {
      body: ORDER,
      headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
    expect(answer.status).toBe(201);
    const access = await waitFor("order's access line", async () =>
      services.order.logs.find((l) => l[LOG_FIELDS.message] === ACCESS_LOG_MESSAGE),
    );
    expect(access[LOG_FIELDS.traceId]).toBeUndefined();
    await sleep(300); // several export intervals
    expect(receiver.spans).toEqual([]);
  } finally {
    await stopAll(services);
    await receiver.close();
  }
});

test("METRICS_ENABLED=false: /metrics serves the process and runtime metrics only", async () => {
  const product = await startProcess("product", { METRICS_ENABLED: "false", OTEL_SDK_DISABLED: "true" });
  try {
    await call(`${product.url}/products/p-1001/reservations`, { body: { quantity: 1 } });
    const text = await (await fetch(`${product.url}/metrics`)).text();
    expect(text).toMatch(/^process_cpu_seconds_total\{service_name="product"\} /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds\{service_name="product"\} /m);
    expect(text).not.toContain(METRICS.serverDuration);
    expect(text).not.toContain(METRICS.reservations);
  } finally {
    await product.stop();
  }
});

test("LOGS_ENABLED=false: nothing on stdout from start to shutdown, and a clean exit", async () => {
  const product = await startProcess("product", { LOGS_ENABLED: "false", OTEL_SDK_DISABLED: "true" });
  await call(`${product.url}/products/p-1001`);
  await call(`${product.url}/products/p-nope`);
  expect(await product.stop()).toEqual({ code: 0, signal: null });
  expect(product.logs).toEqual([]);
  expect(product.stderr.join("")).toBe("");
});

test("an invalid switch stops the service at start, naming the variable and the allowed values", async () => {
  const product = await startProcess(
    "product",
    { OTEL_SDK_DISABLED: "1", METRICS_ENABLED: "yes", LOGS_ENABLED: "off" },
    { waitReady: false },
  );
  expect((await product.exited).code).toBe(2);
  const stderr = product.stderr.join("");
  for (const name of ["OTEL_SDK_DISABLED", "METRICS_ENABLED", "LOGS_ENABLED"]) {
    expect(stderr).toContain(`${name}: must be true or false`);
  }
});
