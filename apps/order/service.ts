import { randomUUID } from "node:crypto";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import { z } from "zod";
import { dependencyUrlEnv, LABELS, METRICS, SPAN_ATTRIBUTES } from "../../contract";
import { intVar, urlVar } from "../lib/config";
import { DownstreamError, ServiceClient } from "../lib/http/client";
import { HttpError, notFound } from "../lib/http/errors";
import { route } from "../lib/http/routes";
import { fromCents } from "../lib/money";
import type { ServiceDefinition } from "../lib/service";
import { type Order, OrderBook } from "./orders";

const MAX_ITEMS = 20;

export const newOrderBody = z.strictObject({
  userId: z.string().min(1).max(64),
  items: z
    .array(
      z.strictObject({
        productId: z.string().min(1).max(64),
        quantity: z.number().int().min(1).max(1_000),
      }),
    )
    .min(1)
    .max(MAX_ITEMS),
});

export const orderEnvSchema = z
  .object({
    [dependencyUrlEnv("user")]: urlVar(),
    [dependencyUrlEnv("product")]: urlVar(),
    /** Deadline of each call to user or product. */
    DOWNSTREAM_TIMEOUT_MS: intVar(50, 30_000, 2_000),
  })
  .transform((env) => ({
    userUrl: new URL(env[dependencyUrlEnv("user")] as string),
    productUrl: new URL(env[dependencyUrlEnv("product")] as string),
    timeoutMs: env.DOWNSTREAM_TIMEOUT_MS as number,
  }));

interface ReservationAnswer {
  id: string;
  unitPrice: number;
}

const DOWNSTREAM_STATUS = { timeout: 504, unavailable: 503, bad_response: 502 } as const;
const DOWNSTREAM_MESSAGE = {
  timeout: "dependency timed out",
  unavailable: "dependency unavailable",
  bad_response: "dependency failed",
} as const;

/** A downstream failure as the order API's answer: 504, 503 or 502 naming the dependency. */
export function downstreamToHttp(err: DownstreamError): HttpError {
  return new HttpError(DOWNSTREAM_STATUS[err.failure], DOWNSTREAM_MESSAGE[err.failure], { dependency: err.dependency });
}

/** An order the business rules refused, with the reason used for the failures metric. */
class OrderRejected extends HttpError {
  constructor(
    status: number,
    message: string,
    readonly reason: string,
    extra: Record<string, unknown>,
  ) {
    super(status, message, extra);
  }
}

export const orderService: ServiceDefinition<z.infer<typeof orderEnvSchema>> = {
  name: "order",
  env: orderEnvSchema,
  create({ metrics, logger }, config) {
    const users = new ServiceClient("user", config.userUrl, config.timeoutMs, metrics);
    const products = new ServiceClient("product", config.productUrl, config.timeoutMs, metrics);
    const orders = new OrderBook();
    const created = metrics.counter(METRICS.ordersCreated, "Orders placed.");
    const value = metrics.counter(METRICS.orderValue, "Total value of orders placed.");
    const failures = metrics.counter(METRICS.orderFailures, "Orders not placed, by reason.", [LABELS.reason]);

    const productPath = (productId: string, rest = "") =>
      `/products/${encodeURIComponent(productId)}/reservations${rest}`;

    async function ensureUserExists(userId: string): Promise<void> {
      const answer = await users.request("GET", `/users/${encodeURIComponent(userId)}`);
      if (answer.status === 404)
        throw new OrderRejected(422, "unknown user", "unknown_user", { field: "userId", userId });
      if (answer.status !== 200) throw new DownstreamError("user", "bad_response", `answered ${answer.status}`);
    }

    async function reserve(item: { productId: string; quantity: number }, index: number, reservationId: string) {
      const answer = await products.request<ReservationAnswer>("POST", productPath(item.productId), {
        quantity: item.quantity,
        reservationId,
      });
      if (answer.status === 201 || answer.status === 200) return answer.body;
      if (answer.status === 404) {
        throw new OrderRejected(422, "unknown product", "unknown_product", {
          field: `items.${index}.productId`,
          productId: item.productId,
        });
      }
      if (answer.status === 409) {
        throw new OrderRejected(409, "insufficient stock", "insufficient_stock", {
          productId: item.productId,
          available: (answer.body as { available?: number } | undefined)?.available,
        });
      }
      throw new DownstreamError("product", "bad_response", `answered ${answer.status}`);
    }

    /** Compensation: gives back every reservation this order may hold (404 = nothing to give back). */
    async function releaseAll(attempts: { productId: string; reservationId: string }[]): Promise<void> {
      const results = await Promise.allSettled(
        attempts.map((a) => products.request("DELETE", productPath(a.productId, `/${a.reservationId}`))),
      );
      const leaked = attempts.filter((_, i) => results[i]?.status === "rejected").map((a) => a.reservationId);
      if (leaked.length > 0) {
        logger.error("could not release reservations", { reservation_ids: leaked });
        trace.getActiveSpan()?.addEvent("reservation release failed", { "product.reservation_ids": leaked });
      }
    }

    async function placeOrder(body: z.infer<typeof newOrderBody>): Promise<Order> {
      const orderId = `o-${randomUUID()}`;
      const span = trace.getActiveSpan();
      span?.setAttributes({
        [SPAN_ATTRIBUTES.orderId]: orderId,
        [SPAN_ATTRIBUTES.userId]: body.userId,
        [SPAN_ATTRIBUTES.orderItemCount]: body.items.length,
      });
      await ensureUserExists(body.userId);

      // Ids are chosen here, so a reservation whose answer timed out can still be released.
      const attempts = body.items.map((item) => ({ productId: item.productId, reservationId: `r-${randomUUID()}` }));
      const results = await Promise.allSettled(
        body.items.map((item, i) => reserve(item, i, (attempts[i] as { reservationId: string }).reservationId)),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) {
        await releaseAll(attempts);
        throw failed.reason;
      }
      const reserved = results.map((r) => (r as PromiseFulfilledResult<ReservationAnswer>).value);
      const items = body.items.map((item, i) => ({ ...item, unitPrice: (reserved[i] as ReservationAnswer).unitPrice }));
      const totalCents = items.reduce((sum, item) => sum + Math.round(item.unitPrice * 100) * item.quantity, 0);
      const order: Order = {
        id: orderId,
        userId: body.userId,
        items,
        total: fromCents(totalCents),
        status: "confirmed",
        createdAt: new Date().toISOString(),
      };
      orders.set(order.id, order);
      span?.setAttribute(SPAN_ATTRIBUTES.orderTotal, order.total);
      return order;
    }

    return {
      routes: [
        route({
          method: "POST",
          path: "/orders",
          body: newOrderBody,
          handler: async (req, res) => {
            try {
              const order = await placeOrder(req.body);
              created.inc();
              value.inc(order.total);
              res.status(201).location(`/orders/${order.id}`).json(order);
            } catch (err) {
              if (err instanceof OrderRejected) {
                failures.inc({ [LABELS.reason]: err.reason });
                throw err;
              }
              if (err instanceof DownstreamError) {
                failures.inc({ [LABELS.reason]: `${err.dependency}_${err.failure}` });
                const span = trace.getActiveSpan();
                span?.recordException(err);
                span?.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
                logger.warn("order failed: dependency error", { dependency: err.dependency, failure: err.failure });
                throw downstreamToHttp(err);
              }
              throw err;
            }
          },
        }),
        route({
          method: "GET",
          path: "/orders/:id",
          handler: (req, res) => {
            const id = req.params.id as string;
            trace.getActiveSpan()?.setAttribute(SPAN_ATTRIBUTES.orderId, id);
            const order = orders.get(id);
            if (!order) throw notFound("order", id);
            res.json(order);
          },
        }),
      ],
      readinessChecks: async () => {
        const [user, product] = await Promise.all([users.checkReachable(), products.checkReachable()]);
        return { user, product };
      },
      close: () => {
        users.close();
        products.close();
      },
    };
  },
};
