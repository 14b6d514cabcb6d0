import { randomUUID } from "node:crypto";
import { BoundedMap } from "../lib/bounded-map";

export interface Product {
  id: string;
  name: string;
  /** Price in cents, so totals add up exactly. */
  priceCents: number;
  stock: number;
}

export interface Reservation {
  id: string;
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

export type ReserveResult =
  | { ok: true; reservation: Reservation; replayed: boolean }
  | { ok: false; reason: "id_conflict" }
  | { ok: false; reason: "not_found" }
  | { ok: false; reason: "insufficient_stock"; available: number };

/** Demo catalogue: plenty of everything except the mug, so the 409 path shows up under load. */
export const SEED_PRODUCTS: readonly Product[] = [
  { id: "p-1001", name: "Mechanical keyboard", priceCents: 8990, stock: 1_000_000 },
  { id: "p-1002", name: "Wireless mouse", priceCents: 2950, stock: 1_000_000 },
  { id: "p-1003", name: "USB-C hub", priceCents: 4500, stock: 1_000_000 },
  { id: "p-1004", name: "27-inch monitor", priceCents: 27900, stock: 1_000_000 },
  { id: "p-1005", name: "Limited edition mug", priceCents: 1200, stock: 25 },
];

/** Products and their stock reservations, in memory (the demo workload does not need durability). */
export class Catalog {
  private readonly products = new Map<string, Product>();
  private readonly reservations: BoundedMap<string, Reservation>;

  constructor(seed: readonly Product[] = SEED_PRODUCTS, maxReservations = 100_000) {
    for (const p of seed) this.products.set(p.id, { ...p });
    this.reservations = new BoundedMap(maxReservations);
  }

  list(): Product[] {
    return [...this.products.values()];
  }

  get(id: string): Product | undefined {
    return this.products.get(id);
  }

  /**
   * Takes `quantity` out of stock. A caller-chosen `reservationId` makes the call idempotent: the
   * same id again returns the first reservation instead of reserving twice.
   */
  reserve(productId: string, quantity: number, reservationId: string = `r-${randomUUID()}`): ReserveResult {
    const product = this.products.get(productId);
    if (!product) return { ok: false, reason: "not_found" };
    const previous = this.reservations.get(reservationId);
    if (previous) {
      return previous.productId === productId && previous.quantity === quantity
        ? { ok: true, reservation: previous, replayed: true }
        : { ok: false, reason: "id_conflict" };
    }
    if (product.stock < quantity) return { ok: false, reason: "insufficient_stock", available: product.stock };
    product.stock -= quantity;
    const reservation = { id: reservationId, productId, quantity, unitPriceCents: product.priceCents };
    this.reservations.set(reservation.id, reservation);
    return { ok: true, reservation, replayed: false };
  }

  /** Gives the reserved stock back; false when there is no such reservation for that product. */
  release(productId: string, reservationId: string): boolean {
    const reservation = this.reservations.get(reservationId);
    if (!reservation || reservation.productId !== productId) return false;
    this.reservations.delete(reservationId);
    const product = this.products.get(productId);
    if (product) product.stock += reservation.quantity;
    return true;
  }
}
