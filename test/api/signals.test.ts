import { ServiceMetrics } from "../../apps/lib/metrics";
import { LOG_FIELDS, METRICS } from "../../contract";
import { call } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

const OPENMETRICS = "application/openmetrics-text; version=1.0.0";

/** Some traffic of every kind: a read, a reservation (business counter), a 404, an injected fault. */
async function traffic(product: InProcess): Promise<void> {
  await call(`${product.url}/products/p-1001`);
  await call(`${product.url}/products/p-1001/reservations`, { body: { quantity: 1 } });
  await call(`${product.url}/products/p-nope`);
  await call(`${product.url}/unknown`);
}

describe("METRICS_ENABLED=false", () => {
  let product: InProcess;
  beforeAll(async () => {
    product = await startInProcess("product", { METRICS_ENABLED: "false", FAULT_LATENCY_MS: "1" });
    await traffic(product);
  });
  afterAll(() => product.close());

  test("/metrics still answers, in both formats, without HTTP or business series", async () => {
    for (const accept of [undefined, OPENMETRICS]) {
      const res = await fetch(`${product.url}/metrics`, { headers: accept ? { accept } : {} });
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const name of [METRICS.serverDuration, METRICS.reservations, METRICS.faultsInjected]) {
        expect(text).not.toContain(name);
      }
    }
  });

  test("the process and runtime metrics remain (what a CPU benchmark reads)", async () => {
    const metrics = new ServiceMetrics("user", { enabled: false });
    metrics.counter(METRICS.ordersCreated, "no-op").inc();
    metrics.observeServer("GET", "/x", 200, 0.01);
    metrics.observeClient("user", "GET", 200, "", 0.01);
    const { body } = await metrics.render(undefined);
    expect(body).toMatch(/^process_cpu_seconds_total\{service_name="user"\} /m);
    expect(body).not.toMatch(/^(http_|orders_)/m);
  });

  test("logs are unaffected", () => {
    expect(product.logs.some((l) => l[LOG_FIELDS.message] === "request completed")).toBe(true);
  });
});

describe("LOGS_ENABLED=false", () => {
  let product: InProcess;
  beforeAll(async () => {
    product = await startInProcess("product", { LOGS_ENABLED: "false", FAULT_LATENCY_MS: "1" });
    await traffic(product);
  });
  afterAll(() => product.close());

  test("no line is written: no access log, nothing else", async () => {
    product.service.context.logger.error("even an error");
    await new Promise((resolve) => setImmediate(resolve));
    expect(product.logs).toEqual([]);
  });

  test("metrics are unaffected", async () => {
    const text = await (await fetch(`${product.url}/metrics`)).text();
    expect(text).toContain(`${METRICS.serverDuration}_count`);
    expect(text).toContain(METRICS.reservations);
  });
});
