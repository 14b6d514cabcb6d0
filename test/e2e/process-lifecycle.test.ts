import http from "node:http";
import type { AddressInfo } from "node:net";
import { dependencyUrlEnv } from "../../contract";
import { blackHole, call, freePort } from "../support/http";
import { type ServiceProcess, startProcess } from "../support/services";

describe("telemetry never breaks or blocks the service", () => {
  test.each([
    ["a closed port", async () => ({ url: `http://127.0.0.1:${await freePort()}`, close: async () => undefined })],
    ["a collector that accepts and never answers", blackHole],
  ])(
    "with the OTLP endpoint at %s, every request succeeds without waiting on the exporter",
    async (_case, collector) => {
      const sink = await collector();
      const product = await startProcess("product", {
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
        OTEL_BSP_SCHEDULE_DELAY: "50",
        OTEL_EXPORTER_OTLP_TIMEOUT: "10000",
        SHUTDOWN_TIMEOUT_MS: "1500", // the final flush cannot succeed here; bound it
      });
      try {
        const slowest: number[] = [];
        for (let round = 0; round < 10; round++) {
          const answers = await Promise.all(
            Array.from({ length: 30 }, async () => {
              const started = performance.now();
              const answer = await call(`${product.url}/products/p-1001`);
              return { status: answer.status, ms: performance.now() - started };
            }),
          );
          expect(answers.every((a) => a.status === 200)).toBe(true);
          slowest.push(Math.max(...answers.map((a) => a.ms)));
        }
        // An export attempt takes up to the 10 s timeout; a request that waited on one would show it.
        expect(Math.max(...slowest)).toBeLessThan(2_000);
      } finally {
        await product.stop();
        await sink.close();
      }
    },
  );
});

describe("graceful shutdown on SIGTERM", () => {
  let product: ServiceProcess;
  afterEach(() => product?.stop("SIGKILL"));

  test("readiness goes false, the in-flight request finishes, logs are flushed, exit 0 within the bound", async () => {
    product = await startProcess("product", {
      FAULT_LATENCY_MS: "800",
      SHUTDOWN_DELAY_MS: "300",
      SHUTDOWN_TIMEOUT_MS: "5000",
      OTEL_SDK_DISABLED: "true",
    });
    const inFlight = call(`${product.url}/products/p-1001`);
    await new Promise((r) => setTimeout(r, 100));
    const signalled = Date.now();
    product.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    expect(await call(`${product.url}/readyz`)).toMatchObject({ status: 503, body: { status: "shutting down" } });
    expect((await inFlight).status).toBe(200);
    const exit = await product.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // well before the 5 s bound: nothing held the listener open once the request was done
    expect(Date.now() - signalled).toBeLessThan(4_000);
    const messages = product.logs.map((l) => l.message);
    expect(messages).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
    expect(messages.indexOf("request completed")).toBeLessThan(messages.indexOf("stopped"));
  });

  test("connections still open at the shutdown timeout are closed and the process still exits", async () => {
    product = await startProcess("product", {
      FAULT_LATENCY_MS: "30000",
      SHUTDOWN_TIMEOUT_MS: "500",
      OTEL_SDK_DISABLED: "true",
    });
    const stuck = call(`${product.url}/products/p-1001`).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 100));
    const signalled = Date.now();
    product.child.kill("SIGTERM");
    expect(await product.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(3_000);
    expect(String(await stuck)).toMatch(/fetch failed/); // the connection was closed, not answered
  });
});

describe("invalid configuration", () => {
  test("fails fast with exit 2 and one line per bad variable, no stack trace and no secret", async () => {
    const order = await startProcess(
      "order",
      {
        PORT: "3999",
        LOG_LEVEL: "loud",
        ADMIN_TOKEN: "short-secret",
        FAULT_ERROR_RATE: "2",
        FAULT_OUTAGE_ROUTES: "/orders,/nope",
        DOWNSTREAM_TIMEOUT_MS: "soon",
        [dependencyUrlEnv("user")]: "ftp://user",
      },
      { waitReady: false },
    );
    const exit = await order.exited;
    const stderr = order.stderr.join("");
    expect(exit.code).toBe(2);
    expect(stderr).toContain("LOG_LEVEL: must be one of: error, warn, info, debug");
    expect(stderr).toContain("ADMIN_TOKEN: must be at least 16 characters");
    expect(stderr).toContain(`${dependencyUrlEnv("user")}: must be an http:// or https:// URL`);
    expect(stderr).toContain(`${dependencyUrlEnv("product")}:`);
    expect(stderr).toContain("DOWNSTREAM_TIMEOUT_MS: must be an integer from 50 to 30000");
    expect(stderr).toContain("FAULT_ERROR_RATE: must be a number from 0 to 1");
    expect(stderr).not.toContain("short-secret");
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  test("fault variables are checked against the service's routes", async () => {
    const product = await startProcess(
      "product",
      { FAULT_ERROR_RATE: "2", FAULT_OUTAGE_ROUTES: "/products,/nope" },
      { waitReady: false },
    );
    expect((await product.exited).code).toBe(2);
    const stderr = product.stderr.join("");
    expect(stderr).toContain("FAULT_ERROR_RATE: must be a number from 0 to 1");
    expect(stderr).toMatch(/FAULT_OUTAGE_ROUTES: each route must be one of: \/products, \/products\/:id/);
  });
});

describe("context propagation on outbound calls", () => {
  test("order sends W3C traceparent and the caller's baggage to its dependencies", async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const spy = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"user not found"}');
    });
    await new Promise<void>((resolve) => spy.listen(0, "127.0.0.1", resolve));
    const spyUrl = `http://127.0.0.1:${(spy.address() as AddressInfo).port}`;
    const order = await startProcess("order", {
      [dependencyUrlEnv("user")]: spyUrl,
      [dependencyUrlEnv("product")]: spyUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
      SHUTDOWN_TIMEOUT_MS: "1000",
      // a loaded CI machine can take longer than the default for the first call of a cold process
      DOWNSTREAM_TIMEOUT_MS: "15000",
    });
    try {
      const incomingTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const answer = await call(`${order.url}/orders`, {
        body: { userId: "u-1", items: [{ productId: "p-1", quantity: 1 }] },
        headers: { traceparent: `00-${incomingTraceId}-00f067aa0ba902b7-01`, baggage: "tenant=acme" },
      });
      expect(answer.status).toBe(422);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.traceparent).toMatch(new RegExp(`^00-${incomingTraceId}-[0-9a-f]{16}-01$`));
      expect(seen[0]?.baggage).toContain("tenant=acme");
    } finally {
      await order.stop();
      spy.closeAllConnections();
      await new Promise<void>((resolve) => spy.close(() => resolve()));
    }
  });
});
