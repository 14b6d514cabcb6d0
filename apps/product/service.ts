import { trace } from "@opentelemetry/api";
import { z } from "zod";
import { LABELS, METRICS, SPAN_ATTRIBUTES } from "../../contract";
import { HttpError, notFound } from "../lib/http/errors";
import { route } from "../lib/http/routes";
import { fromCents } from "../lib/money";
import type { ServiceDefinition } from "../lib/service";
import { Catalog, type Product, type Reservation } from "./catalog";

export const reservationBody = z.strictObject({
  quantity: z.number().int().min(1).max(1_000),
  /** Optional caller-chosen id that makes retries and compensation safe. */
  reservationId: z
    .string()
    .regex(/^r-[A-Za-z0-9-]{8,64}$/, { error: "must match r-<8 to 64 letters, digits or dashes>" })
    .optional(),
});

const productView = (p: Product) => ({ id: p.id, name: p.name, price: fromCents(p.priceCents), stock: p.stock });
const reservationView = (r: Reservation) => ({
  id: r.id,
  productId: r.productId,
  quantity: r.quantity,
  unitPrice: fromCents(r.unitPriceCents),
});

export const productService: ServiceDefinition<Record<string, never>> = {
  name: "product",
  env: z.object({}).transform(() => ({})),
  create({ metrics }) {
    const catalog = new Catalog();
    const reservations = metrics.counter(METRICS.reservations, "Stock reservations by outcome.", [LABELS.outcome]);
    const tagProduct = (id: string) => trace.getActiveSpan()?.setAttribute(SPAN_ATTRIBUTES.productId, id);

    return {
      routes: [
        route({
          method: "GET",
          path: "/products",
          handler: (_req, res) => {
            res.json({ products: catalog.list().map(productView) });
          },
        }),
        route({
          method: "GET",
          path: "/products/:id",
          handler: (req, res) => {
            tagProduct(req.params.id as string);
            const product = catalog.get(req.params.id as string);
            if (!product) throw notFound("product", req.params.id as string);
            res.json(productView(product));
          },
        }),
        route({
          method: "POST",
          path: "/products/:id/reservations",
          body: reservationBody,
          handler: (req, res) => {
            const id = req.params.id as string;
            tagProduct(id);
            const result = catalog.reserve(id, req.body.quantity, req.body.reservationId);
            if (!result.ok) {
              reservations.inc({ [LABELS.outcome]: result.reason });
              if (result.reason === "not_found") throw notFound("product", id);
              if (result.reason === "id_conflict") {
                throw new HttpError(409, "reservation id already used for another reservation", {
                  field: "reservationId",
                });
              }
              throw new HttpError(409, "insufficient stock", {
                productId: id,
                requested: req.body.quantity,
                available: result.available,
              });
            }
            trace.getActiveSpan()?.setAttribute(SPAN_ATTRIBUTES.reservationId, result.reservation.id);
            if (result.replayed) {
              res.status(200).json(reservationView(result.reservation));
              return;
            }
            reservations.inc({ [LABELS.outcome]: "reserved" });
            res.status(201).json(reservationView(result.reservation));
          },
        }),
        route({
          method: "DELETE",
          path: "/products/:id/reservations/:reservationId",
          handler: (req, res) => {
            const { id, reservationId } = req.params as { id: string; reservationId: string };
            tagProduct(id);
            if (!catalog.release(id, reservationId)) throw notFound("reservation", reservationId);
            reservations.inc({ [LABELS.outcome]: "released" });
            res.status(204).end();
          },
        }),
      ],
    };
  },
};
