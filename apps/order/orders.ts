import { BoundedMap } from "../lib/bounded-map";

export interface OrderItem {
  productId: string;
  quantity: number;
  unitPrice: number;
}

export interface Order {
  id: string;
  userId: string;
  items: OrderItem[];
  total: number;
  status: "confirmed";
  createdAt: string;
}

/** Orders in memory, the oldest forgotten first beyond the capacity. */
export class OrderBook extends BoundedMap<string, Order> {
  constructor(capacity = 10_000) {
    super(capacity);
  }
}
