import { call } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

describe("user API", () => {
  let user: InProcess;
  beforeAll(async () => {
    user = await startInProcess("user");
  });
  afterAll(() => user.close());

  test("GET /users/:id answers a seeded user", async () => {
    const answer = await call(`${user.url}/users/u-1001`);
    expect(answer).toMatchObject({ status: 200, body: { id: "u-1001", name: "Ada Lovelace" } });
  });

  test("GET /users/:id of an unknown id is 404 JSON naming the id", async () => {
    const answer = await call(`${user.url}/users/u-nope`);
    expect(answer).toMatchObject({ status: 404, body: { error: "user not found", id: "u-nope" } });
  });

  test("POST /users creates a user that can be read back", async () => {
    const created = await call(`${user.url}/users`, { body: { name: "Katherine Johnson", email: "kj@example.com" } });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/users/${created.body.id}`);
    const read = await call(`${user.url}/users/${created.body.id}`);
    expect(read.body).toEqual({ id: created.body.id, name: "Katherine Johnson", email: "kj@example.com" });
  });

  test("POST /users with an email already registered is 409", async () => {
    const answer = await call(`${user.url}/users`, { body: { name: "Ada again", email: "ADA@example.com" } });
    expect(answer).toMatchObject({ status: 409, body: { field: "email" } });
  });

  test.each([
    ["missing name", { email: "x@example.com" }, "name"],
    ["empty name", { name: "  ", email: "x@example.com" }, "name"],
    ["bad email", { name: "X", email: "not-an-email" }, "email"],
    ["email of wrong type", { name: "X", email: 42 }, "email"],
    ["unknown field", { name: "X", email: "x@example.com", admin: true }, "(body)"],
    ["array body", [1, 2], "(body)"],
  ])("POST /users with %s is 400 naming the field", async (_case, body, field) => {
    const answer = await call(`${user.url}/users`, { body });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid request body");
    expect(answer.body.details.map((d: { field: string }) => d.field)).toContain(field);
    for (const d of answer.body.details) expect(d.message.length).toBeGreaterThan(5);
  });
});
