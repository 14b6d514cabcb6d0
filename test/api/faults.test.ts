import { call } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

const TOKEN = "test-admin-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };

describe("fault injection through /admin/faults", () => {
  let product: InProcess;
  beforeAll(async () => {
    product = await startInProcess("product", { ADMIN_TOKEN: TOKEN });
  });
  afterAll(() => product.close());
  afterEach(async () => {
    await call(`${product.url}/admin/faults`, { method: "PUT", body: {}, headers: auth });
  });

  const setFaults = (body: unknown) => call(`${product.url}/admin/faults`, { method: "PUT", body, headers: auth });

  test("faults are off by default", async () => {
    const answer = await call(`${product.url}/admin/faults`, { headers: auth });
    expect(answer).toMatchObject({ status: 200, body: { errorRate: 0, latencyMs: 0, outageRoutes: [] } });
    expect(answer.body.routes).toContain("/products/:id");
  });

  test("a missing token is 401 with a Bearer challenge; a wrong one is 403; neither changes anything", async () => {
    const missing = await call(`${product.url}/admin/faults`, { method: "PUT", body: { errorRate: 1 } });
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await call(`${product.url}/admin/faults`, {
      method: "PUT",
      body: { errorRate: 1 },
      headers: { authorization: "Bearer wrong-token-wrong-token" },
    });
    expect(wrong.status).toBe(403);
    expect((await call(`${product.url}/admin/faults`, { headers: { authorization: "Basic abc" } })).status).toBe(401);
    expect((await call(`${product.url}/products`)).status).toBe(200);
  });

  test("error rate 1.0 with a chosen status fails every API request with it, but not health or metrics", async () => {
    expect((await setFaults({ errorRate: 1, errorStatus: 503 })).status).toBe(200);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => call(`${product.url}/products/p-1001`)));
    expect(new Set(statuses.map((a) => a.status))).toEqual(new Set([503]));
    expect(statuses[0]?.body).toEqual({ error: "injected fault", fault: "error" });
    expect((await call(`${product.url}/healthz`)).status).toBe(200);
    expect((await call(`${product.url}/metrics`)).status).toBe(200);
  });

  test("error rate 0.5 fails about half of the requests", async () => {
    await setFaults({ errorRate: 0.5 });
    const answers = await Promise.all(Array.from({ length: 200 }, () => call(`${product.url}/products`)));
    const failed = answers.filter((a) => a.status === 500).length;
    expect(failed).toBeGreaterThan(60); // binomial(200, 0.5): outside [60, 140] has odds below 1e-8
    expect(failed).toBeLessThan(140);
  });

  test("added latency makes responses slower by at least that much", async () => {
    await setFaults({ latencyMs: 300 });
    const started = performance.now();
    expect((await call(`${product.url}/products`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });

  test("the unready fault fails /readyz with a check of its own while the API and /healthz go on answering", async () => {
    await setFaults({ unready: true });
    expect(await call(`${product.url}/readyz`)).toMatchObject({
      status: 503,
      body: { status: "not ready", checks: { fault_injected: false } },
    });
    expect((await call(`${product.url}/healthz`)).status).toBe(200);
    expect((await call(`${product.url}/products`)).status).toBe(200);
    await setFaults({});
    expect((await call(`${product.url}/readyz`)).status).toBe(200);
  });

  test("an outage of one route answers 503 on that route only", async () => {
    await setFaults({ outageRoutes: ["/products/:id"] });
    expect(await call(`${product.url}/products/p-1001`)).toMatchObject({ status: 503, body: { fault: "outage" } });
    expect((await call(`${product.url}/products`)).status).toBe(200);
  });

  test("injected faults show in the access log and in the faults counter", async () => {
    await setFaults({ errorRate: 1, latencyMs: 5 });
    await call(`${product.url}/products`);
    const line = product.logs.filter((l) => l.message === "request completed").at(-1);
    expect(line).toMatchObject({ http_route: "/products", status_code: 500, fault: "latency+error" });
    const text = (await call(`${product.url}/metrics`)).body as string;
    expect(text).toMatch(/^faults_injected_total\{fault="error",service_name="product"\} [1-9]\d*$/m);
    expect(text).toMatch(/^faults_injected_total\{fault="latency",service_name="product"\} [1-9]\d*$/m);
  });

  test("the fault settings in force are a gauge per setting, 0 again once cleared (dashboards annotate fault windows from it)", async () => {
    const gauge = async () => {
      const text = (await call(`${product.url}/metrics`)).body as string;
      return Object.fromEntries(
        [...text.matchAll(/^fault_setting\{setting="(\w+)",service_name="product"\} (\S+)$/gm)].map((m) => [
          m[1],
          Number(m[2]),
        ]),
      );
    };
    const off = { error_rate: 0, latency_ms: 0, latency_jitter_ms: 0, outage_routes: 0, unready: 0 };
    expect(await gauge()).toEqual(off);
    await setFaults({ errorRate: 0.25, latencyMs: 40, outageRoutes: ["/products/:id"], unready: true });
    expect(await gauge()).toEqual({
      error_rate: 0.25,
      latency_ms: 40,
      latency_jitter_ms: 0,
      outage_routes: 1,
      unready: 1,
    });
    await setFaults({});
    expect(await gauge()).toEqual(off);
  });

  test.each([
    [{ errorRate: 2 }, "errorRate"],
    [{ errorStatus: 200 }, "errorStatus"],
    [{ latencyMs: -5 }, "latencyMs"],
    [{ outageRoutes: ["/nope"] }, "outageRoutes.0"],
    [{ unready: "yes" }, "unready"],
    [{ chaos: true }, "(body)"],
  ])("bad settings %j are 400 naming %s, and change nothing", async (body, field) => {
    const answer = await setFaults(body);
    expect(answer.status).toBe(400);
    expect(answer.body.details).toContainEqual({ field, message: expect.any(String) });
    expect((await call(`${product.url}/admin/faults`, { headers: auth })).body.errorRate).toBe(0);
  });

  test("an unknown outage route is refused with the allowed routes listed", async () => {
    const answer = await setFaults({ outageRoutes: ["/nope"] });
    expect(answer.body.details[0].message).toContain("/products/:id/reservations");
  });
});

describe("fault injection without ADMIN_TOKEN", () => {
  test("the admin endpoint does not exist, and FAULT_* variables still apply", async () => {
    const product = await startInProcess("product", { FAULT_OUTAGE_ROUTES: "/products" });
    try {
      expect((await call(`${product.url}/admin/faults`)).status).toBe(404);
      expect((await call(`${product.url}/products`)).status).toBe(503);
      expect((await call(`${product.url}/products/p-1001`)).status).toBe(200);
    } finally {
      await product.close();
    }
  });
});
