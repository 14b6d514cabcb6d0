import { trace } from "@opentelemetry/api";
import { z } from "zod";
import { SPAN_ATTRIBUTES } from "../../contract";
import { HttpError, notFound } from "../lib/http/errors";
import { route } from "../lib/http/routes";
import type { ServiceDefinition } from "../lib/service";
import { UserDirectory } from "./directory";

export const newUserBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  email: z.email().max(254),
});

export const userService: ServiceDefinition<Record<string, never>> = {
  name: "user",
  env: z.object({}).transform(() => ({})),
  create() {
    const directory = new UserDirectory();
    return {
      routes: [
        route({
          method: "GET",
          path: "/users/:id",
          handler: (req, res) => {
            const id = req.params.id as string;
            trace.getActiveSpan()?.setAttribute(SPAN_ATTRIBUTES.userId, id);
            const user = directory.get(id);
            if (!user) throw notFound("user", id);
            res.json(user);
          },
        }),
        route({
          method: "POST",
          path: "/users",
          body: newUserBody,
          handler: (req, res) => {
            const user = directory.create(req.body.name, req.body.email);
            if (!user) throw new HttpError(409, "email already registered", { field: "email" });
            trace.getActiveSpan()?.setAttribute(SPAN_ATTRIBUTES.userId, user.id);
            res.status(201).location(`/users/${user.id}`).json(user);
          },
        }),
      ],
    };
  },
};
