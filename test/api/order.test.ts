import { dependencyUrlEnv } from "../../contract";
import { call } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

describe("order API with real user and product services", () => {
  let user: InProcess;
  let product: InProcess;
  let order: InProcess;

  beforeAll(async () => {
    [user, product] = await Promise.all([startInProcess("user"), startInProcess("product")]);
    order = await startInProcess("order", {
      [dependencyUrlEnv("user")]: user.url,
      [dependencyUrlEnv("product")]: product.url,
    });
  });
  afterAll(async () => {
    await Promise.all([order, user, product].map((s) => s.close()));
  });

  const stockOf = async (id: string) => (await call(`${product.url}/products/${id}`)).body.stock as number;
  const placeOrder = (body: unknown) => call(`${order.url}/orders`, { body });

  test("POST /orders checks the user, reserves stock, prices the order and answers 201", async () => {
    const before = await stockOf("p-1001");
    const answer = await placeOrder({
      userId: "u-1002",
      items: [
        { productId: "p-1001", quantity: 3 },
        { productId: "p-1005", quantity: 1 },
      ],
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^o-/),
      userId: "u-1002",
      items: [
        { productId: "p-1001", quantity: 3, unitPrice: 89.9 },
        { productId: "p-1005", quantity: 1, unitPrice: 12 },
      ],
      total: 281.7,
      status: "confirmed",
      createdAt: expect.any(String),
    });
    expect(await stockOf("p-1001")).toBe(before - 3);
    expect(await call(`${order.url}/orders/${answer.body.id}`)).toMatchObject({ status: 200, body: answer.body });
  });

  test("GET /orders/:id of an unknown id is 404", async () => {
    expect(await call(`${order.url}/orders/o-missing`)).toMatchObject({ status: 404, body: { id: "o-missing" } });
  });

  test("an unknown user is 422 naming userId, and nothing is reserved", async () => {
    const before = await stockOf("p-1002");
    const answer = await placeOrder({ userId: "u-ghost", items: [{ productId: "p-1002", quantity: 1 }] });
    expect(answer).toMatchObject({ status: 422, body: { error: "unknown user", field: "userId" } });
    expect(await stockOf("p-1002")).toBe(before);
  });

  test("an unknown product is 422 naming the item, and the other items' reservations are released", async () => {
    const before = await stockOf("p-1002");
    const answer = await placeOrder({
      userId: "u-1001",
      items: [
        { productId: "p-1002", quantity: 4 },
        { productId: "p-ghost", quantity: 1 },
      ],
    });
    expect(answer).toMatchObject({ status: 422, body: { field: "items.1.productId", productId: "p-ghost" } });
    expect(await stockOf("p-1002")).toBe(before);
  });

  test("insufficient stock is 409, and the other items' reservations are released", async () => {
    const [mouse, mug] = [await stockOf("p-1002"), await stockOf("p-1005")];
    const answer = await placeOrder({
      userId: "u-1001",
      items: [
        { productId: "p-1002", quantity: 2 },
        { productId: "p-1005", quantity: mug + 1 },
      ],
    });
    expect(answer).toMatchObject({
      status: 409,
      body: { error: "insufficient stock", productId: "p-1005", available: mug },
    });
    expect([await stockOf("p-1002"), await stockOf("p-1005")]).toEqual([mouse, mug]);
  });

  test.each([
    ["no items", { userId: "u-1001", items: [] }, "items"],
    ["too many items", { userId: "u-1001", items: Array(21).fill({ productId: "p-1001", quantity: 1 }) }, "items"],
    ["missing userId", { items: [{ productId: "p-1001", quantity: 1 }] }, "userId"],
    ["bad quantity", { userId: "u-1001", items: [{ productId: "p-1001", quantity: 0 }] }, "items.0.quantity"],
    ["item without product", { userId: "u-1001", items: [{ quantity: 1 }] }, "items.0.productId"],
    ["items not an array", { userId: "u-1001", items: "p-1001" }, "items"],
  ])("%s is 400 naming %s", async (_case, body, field) => {
    const answer = await placeOrder(body);
    expect(answer.status).toBe(400);
    expect(answer.body.details).toContainEqual({ field, message: expect.any(String) });
  });

  test("business counters count placed and refused orders by reason", async () => {
    const text = (await call(`${order.url}/metrics`)).body as string;
    expect(text).toMatch(/^orders_created_total\{service_name="order"\} 1$/m);
    expect(text).toMatch(/^order_value_total\{service_name="order"\} 281\.7$/m);
    expect(text).toMatch(/^order_failures_total\{reason="unknown_user",service_name="order"\} 1$/m);
    expect(text).toMatch(/^order_failures_total\{reason="insufficient_stock",service_name="order"\} 1$/m);
  });
});
