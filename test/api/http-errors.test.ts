import { call } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

/** Bad input the shared HTTP layer handles for every service; product is the vehicle. */
describe("bad input never crashes a service and never answers 500", () => {
  let product: InProcess;
  beforeAll(async () => {
    product = await startInProcess("product");
  });
  afterAll(() => product.close());

  const reserve = (body: string | object, headers?: Record<string, string>) =>
    call(`${product.url}/products/p-1001/reservations`, { body, headers });

  test("malformed JSON is 400", async () => {
    expect(await reserve('{"quantity": ')).toMatchObject({ status: 400, body: { error: "malformed JSON body" } });
  });

  test("a body over the size limit is 413", async () => {
    const answer = await reserve(JSON.stringify({ quantity: 1, pad: "x".repeat(20_000) }));
    expect(answer).toMatchObject({ status: 413, body: { error: expect.stringContaining("larger than") } });
  });

  test("a non-JSON content type is 415", async () => {
    const answer = await reserve("quantity=1", { "content-type": "application/x-www-form-urlencoded" });
    expect(answer.status).toBe(415);
  });

  test("a missing body is 400 naming the body", async () => {
    const answer = await call(`${product.url}/products/p-1001/reservations`, { method: "POST" });
    expect(answer).toMatchObject({ status: 400, body: { details: [{ field: "(body)" }] } });
  });

  test("a wrong method on a known route is 405 with Allow", async () => {
    const answer = await call(`${product.url}/products/p-1001`, { method: "DELETE" });
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("GET");
    expect(answer.body).toEqual({ error: "method not allowed", allowed: ["GET"] });
  });

  test("an unknown route is 404 JSON", async () => {
    const answer = await call(`${product.url}/nothing/here`);
    expect(answer).toEqual(
      expect.objectContaining({ status: 404, body: { error: "not found", path: "/nothing/here" } }),
    );
  });

  test("none of the above wrote an error log or a 500", async () => {
    const statuses = product.logs.filter((l) => l.message === "request completed").map((l) => l.status_code);
    expect(statuses.length).toBeGreaterThanOrEqual(6);
    expect(statuses).not.toContain(500);
    expect(product.logs.filter((l) => l.level === "error")).toEqual([]);
  });

  test("health, readiness and metrics answer", async () => {
    expect(await call(`${product.url}/healthz`)).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await call(`${product.url}/readyz`)).toMatchObject({ status: 200, body: { status: "ready" } });
    expect((await call(`${product.url}/metrics`)).status).toBe(200);
  });

  test("readiness turns 503 once shutdown begins", async () => {
    product.service.beginShutdown();
    expect(await call(`${product.url}/readyz`)).toMatchObject({ status: 503, body: { status: "shutting down" } });
    expect((await call(`${product.url}/healthz`)).status).toBe(200);
  });
});
