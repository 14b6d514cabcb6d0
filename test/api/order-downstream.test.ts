import http from "node:http";
import type { AddressInfo } from "node:net";
import { dependencyUrlEnv } from "../../contract";
import { blackHole, call, freePort, waitFor } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

const TIMEOUT_MS = 300;

/** Forwards to `target`, but holds back the answers of reservations of `slowProduct` past the deadline. */
async function slowProxy(target: string, slowProduct: string, holdMs: number) {
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      new URL(req.url ?? "/", target),
      { method: req.method, headers: req.headers },
      (answer) => {
        const delay = req.method === "POST" && req.url?.includes(`/products/${slowProduct}/`) ? holdMs : 0;
        setTimeout(() => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        }, delay);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("order when a dependency is down, hung or failing", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()?.();
  });

  async function orderWith(userUrl: string, productUrl: string): Promise<InProcess> {
    const order = await startInProcess("order", {
      [dependencyUrlEnv("user")]: userUrl,
      [dependencyUrlEnv("product")]: productUrl,
      DOWNSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    cleanup.push(() => order.close());
    return order;
  }
  /** Order with a real user service and a product that accepts connections but never answers. */
  async function orderWithHungProduct(): Promise<InProcess> {
    const user = await startInProcess("user");
    const hole = await blackHole();
    cleanup.push(
      () => user.close(),
      () => hole.close(),
    );
    return orderWith(user.url, hole.url);
  }
  const anOrder = { userId: "u-1001", items: [{ productId: "p-1001", quantity: 1 }] };

  test("user down: 503 naming user, readiness false, and both recover when user returns", async () => {
    const userPort = await freePort();
    const product = await startInProcess("product");
    cleanup.push(() => product.close());
    const order = await orderWith(`http://127.0.0.1:${userPort}`, product.url);

    const answer = await call(`${order.url}/orders`, { body: anOrder });
    expect(answer).toMatchObject({ status: 503, body: { error: "dependency unavailable", dependency: "user" } });
    expect(await call(`${order.url}/readyz`)).toMatchObject({
      status: 503,
      body: { checks: { user: false, product: true } },
    });

    const user = await startInProcess("user", {}, userPort);
    cleanup.push(() => user.close());
    await waitFor("order to be ready again", async () =>
      (await call(`${order.url}/readyz`)).status === 200 ? true : undefined,
    );
    expect((await call(`${order.url}/orders`, { body: anOrder })).status).toBe(201);
  });

  test("product hung: 504 naming product, answered within the deadline budget instead of hanging", async () => {
    const order = await orderWithHungProduct();
    const started = Date.now();
    const answer = await call(`${order.url}/orders`, { body: anOrder });
    const elapsed = Date.now() - started;
    expect(answer).toMatchObject({ status: 504, body: { error: "dependency timed out", dependency: "product" } });
    // reservation deadline + compensation deadline, with room for a slow machine; far below a hang
    expect(elapsed).toBeLessThan(TIMEOUT_MS * 2 + 2_000);
    // a timeout is not "unreachable": readiness stays true so a slow dependency does not cascade
    expect((await call(`${order.url}/readyz`)).status).toBe(200);
  });

  test("product failing with 500: 502 naming product", async () => {
    const user = await startInProcess("user");
    const product = await startInProcess("product", { FAULT_ERROR_RATE: "1" });
    cleanup.push(
      () => user.close(),
      () => product.close(),
    );
    const order = await orderWith(user.url, product.url);
    const answer = await call(`${order.url}/orders`, { body: anOrder });
    expect(answer).toMatchObject({ status: 502, body: { error: "dependency failed", dependency: "product" } });
  });

  test("a reservation whose answer timed out is still released: no partial reservation is left", async () => {
    const user = await startInProcess("user");
    const product = await startInProcess("product");
    const proxy = await slowProxy(product.url, "p-1003", TIMEOUT_MS * 3);
    cleanup.push(
      () => user.close(),
      () => product.close(),
      () => proxy.close(),
    );
    const order = await orderWith(user.url, proxy.url);
    const stockOf = async (id: string) => (await call(`${product.url}/products/${id}`)).body.stock as number;
    const before = [await stockOf("p-1002"), await stockOf("p-1003")];

    const answer = await call(`${order.url}/orders`, {
      body: {
        userId: "u-1001",
        items: [
          { productId: "p-1002", quantity: 2 },
          { productId: "p-1003", quantity: 5 },
        ],
      },
    });
    expect(answer).toMatchObject({ status: 504, body: { dependency: "product" } });
    // p-1003 was reserved by product although order never saw the answer; compensation released it by id
    await waitFor("stock to be given back", async () => {
      const now = [await stockOf("p-1002"), await stockOf("p-1003")];
      return now[0] === before[0] && now[1] === before[1] ? true : undefined;
    });
  });

  test("failures are counted by dependency and kind, and client calls are timed per peer", async () => {
    const order = await orderWithHungProduct();
    await call(`${order.url}/orders`, { body: anOrder });
    const text = (await call(`${order.url}/metrics`)).body as string;
    expect(text).toMatch(/^order_failures_total\{reason="product_timeout",service_name="order"\} 1$/m);
    expect(text).toMatch(
      /^http_client_request_duration_seconds_count\{service_name="order",peer_service="product",http_request_method="POST",http_response_status_code="0",error_type="timeout"\} 1$/m,
    );
  });
});
