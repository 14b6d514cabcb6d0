import { randomUUID } from "node:crypto";
import { BoundedMap } from "../lib/bounded-map";

export interface User {
  id: string;
  name: string;
  email: string;
}

export const SEED_USERS: readonly User[] = [
  { id: "u-1001", name: "Ada Lovelace", email: "ada@example.com" },
  { id: "u-1002", name: "Grace Hopper", email: "grace@example.com" },
  { id: "u-1003", name: "Alan Turing", email: "alan@example.com" },
];

/** Users in memory, bounded: the oldest are forgotten first. */
export class UserDirectory {
  private readonly users: BoundedMap<string, User>;
  private readonly idByEmail = new Map<string, string>();

  constructor(seed: readonly User[] = SEED_USERS, capacity = 10_000) {
    this.users = new BoundedMap(capacity);
    for (const u of seed) this.add(u);
  }

  get(id: string): User | undefined {
    return this.users.get(id);
  }

  /** Undefined when the email is taken. */
  create(name: string, email: string): User | undefined {
    const key = email.toLowerCase();
    const existing = this.idByEmail.get(key);
    if (existing !== undefined && this.users.has(existing)) return undefined;
    return this.add({ id: `u-${randomUUID()}`, name, email });
  }

  private add(user: User): User {
    this.users.set(user.id, user);
    this.idByEmail.set(user.email.toLowerCase(), user.id);
    if (this.idByEmail.size > this.users.size * 2) this.compactEmailIndex();
    return user;
  }

  private compactEmailIndex(): void {
    for (const [email, id] of this.idByEmail) if (!this.users.has(id)) this.idByEmail.delete(email);
  }
}
