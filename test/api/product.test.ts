import { call } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

describe("product API", () => {
  let product: InProcess;
  beforeAll(async () => {
    product = await startInProcess("product");
  });
  afterAll(() => product.close());

  const stockOf = async (id: string) => (await call(`${product.url}/products/${id}`)).body.stock as number;

  test("GET /products lists the catalogue with prices", async () => {
    const answer = await call(`${product.url}/products`);
    expect(answer.status).toBe(200);
    expect(answer.body.products).toContainEqual({
      id: "p-1002",
      name: "Wireless mouse",
      price: 29.5,
      stock: 1_000_000,
    });
  });

  test("GET /products/:id of an unknown id is 404", async () => {
    expect(await call(`${product.url}/products/p-0`)).toMatchObject({ status: 404, body: { id: "p-0" } });
  });

  test("a reservation takes stock and its release gives it back", async () => {
    const before = await stockOf("p-1003");
    const reserved = await call(`${product.url}/products/p-1003/reservations`, { body: { quantity: 3 } });
    expect(reserved).toMatchObject({ status: 201, body: { productId: "p-1003", quantity: 3, unitPrice: 45 } });
    expect(await stockOf("p-1003")).toBe(before - 3);
    const released = await call(`${product.url}/products/p-1003/reservations/${reserved.body.id}`, {
      method: "DELETE",
    });
    expect(released.status).toBe(204);
    expect(await stockOf("p-1003")).toBe(before);
    const again = await call(`${product.url}/products/p-1003/reservations/${reserved.body.id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
  });

  test("insufficient stock is 409 with what is available, and takes nothing", async () => {
    const before = await stockOf("p-1005");
    const answer = await call(`${product.url}/products/p-1005/reservations`, { body: { quantity: before + 1 } });
    expect(answer).toMatchObject({ status: 409, body: { error: "insufficient stock", available: before } });
    expect(await stockOf("p-1005")).toBe(before);
  });

  test("a caller-chosen reservation id makes a retry idempotent", async () => {
    const before = await stockOf("p-1004");
    const body = { quantity: 2, reservationId: "r-retry-0001" };
    const first = await call(`${product.url}/products/p-1004/reservations`, { body });
    const retry = await call(`${product.url}/products/p-1004/reservations`, { body });
    expect([first.status, retry.status]).toEqual([201, 200]);
    expect(retry.body.id).toBe("r-retry-0001");
    expect(await stockOf("p-1004")).toBe(before - 2);
    const clash = await call(`${product.url}/products/p-1004/reservations`, { body: { ...body, quantity: 5 } });
    expect(clash).toMatchObject({ status: 409, body: { field: "reservationId" } });
  });

  test("reserving an unknown product is 404", async () => {
    expect((await call(`${product.url}/products/p-0/reservations`, { body: { quantity: 1 } })).status).toBe(404);
  });

  test.each([
    ["zero", { quantity: 0 }],
    ["negative", { quantity: -1 }],
    ["fraction", { quantity: 1.5 }],
    ["string", { quantity: "2" }],
    ["too many", { quantity: 1_001 }],
    ["missing", {}],
  ])("a %s quantity is 400 naming quantity and its bounds", async (_case, body) => {
    const answer = await call(`${product.url}/products/p-1001/reservations`, { body });
    expect(answer.status).toBe(400);
    expect(answer.body.details[0].field).toBe("quantity");
  });

  test("a malformed reservation id is 400 saying the allowed form", async () => {
    const answer = await call(`${product.url}/products/p-1001/reservations`, {
      body: { quantity: 1, reservationId: "x" },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.details[0]).toEqual({ field: "reservationId", message: expect.stringContaining("r-<8 to 64") });
  });
});
