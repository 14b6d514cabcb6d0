import { BoundedMap } from "../../apps/lib/bounded-map";
import { Catalog } from "../../apps/product/catalog";
import { UserDirectory } from "../../apps/user/directory";

describe("bounded in-memory stores", () => {
  test("BoundedMap forgets the first-inserted entry beyond its capacity (updates do not refresh it)", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2).set("a", 3);
    expect([...map.entries()]).toEqual([
      ["a", 3],
      ["b", 2],
    ]);
    map.set("c", 4);
    expect([...map.keys()]).toEqual(["b", "c"]);
  });

  test("BoundedMap refuses a nonsensical capacity", () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
  });

  test("UserDirectory stays within capacity and frees the emails of forgotten users", () => {
    const directory = new UserDirectory([], 2);
    const first = directory.create("A", "a@example.com");
    directory.create("B", "b@example.com");
    directory.create("C", "c@example.com");
    expect(first && directory.get(first.id)).toBeUndefined();
    expect(directory.create("A again", "a@example.com")).toBeDefined();
    // capacity 2: C and "A again" remain, so C's email is still taken (case-insensitively)
    expect(directory.create("C again", "C@example.com")).toBeUndefined();
  });

  test("Catalog reservations never take more than the stock", () => {
    const catalog = new Catalog([{ id: "p", name: "P", priceCents: 100, stock: 3 }]);
    expect(catalog.reserve("p", 2).ok).toBe(true);
    expect(catalog.reserve("p", 2)).toEqual({ ok: false, reason: "insufficient_stock", available: 1 });
    expect(catalog.get("p")?.stock).toBe(1);
  });
});
