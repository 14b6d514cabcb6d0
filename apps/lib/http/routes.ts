import express, { type Request, type RequestHandler, type Response } from "express";
import type { z } from "zod";
import { dottedPath } from "../../../contract";
import { HttpError, invalidBody } from "./errors";
import { keepContext } from "./tracing";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface Route<B = unknown> {
  method: Method;
  /** Express route template; it is also the http_route label and span route. */
  path: string;
  /** Schema of the JSON body; when set, the body is parsed, validated and typed for the handler. */
  body?: z.ZodType<B>;
  /** Runs before the body is read, after any guard of the mount (this route's own authentication). */
  guard?: RequestHandler[];
  /** Largest body this route accepts, in body-parser's notation ("1mb"); BODY_LIMIT when unset. */
  bodyLimit?: string;
  handler: (req: Request<Record<string, string>, unknown, B>, res: Response) => Promise<void> | void;
}

/** Keeps the body type of a route's schema and handler in step. */
export function route<B>(definition: Route<B>): Route {
  return definition as Route;
}

/** Bodies larger than this are refused with 413 before they are parsed. */
export const BODY_LIMIT = "16kb";

const parseJson = keepContext(express.json({ limit: BODY_LIMIT, strict: true }));

/**
 * A parser with a limit of its own. The app's error handler names BODY_LIMIT in its 413, so this one
 * turns its own too-large error into a 413 that names the route's limit.
 */
function parseJsonUpTo(limit: string): RequestHandler {
  const parse = keepContext(express.json({ limit, strict: true }));
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      const tooLarge = (err as { type?: unknown } | undefined)?.type === "entity.too.large";
      next(tooLarge ? new HttpError(413, `request body larger than ${limit}`) : err);
    });
}

function requireJson(req: Request, _res: Response, next: (err?: unknown) => void): void {
  const hasBody = (req.headers["content-length"] ?? "0") !== "0" || req.headers["transfer-encoding"] !== undefined;
  if (hasBody && !req.is("application/json")) {
    next(new HttpError(415, "unsupported media type", { details: "send the body as application/json" }));
    return;
  }
  next();
}

function validate(schema: z.ZodType): RequestHandler {
  return (req, _res, next) => {
    const result = schema.safeParse(req.body ?? undefined);
    if (!result.success) {
      next(
        invalidBody(result.error.issues.map((issue) => ({ field: dottedPath(issue.path), message: issue.message }))),
      );
      return;
    }
    req.body = result.data;
    next();
  };
}

export interface MountOptions {
  /** Runs first on every method of every path, before the body is read (authentication). */
  guard?: RequestHandler[];
  /** Runs after validation, right before the handler (fault injection). */
  before?: RequestHandler[];
}

/**
 * Mounts routes on `router`: per route `guard`, the body parsing and validation it needs, `before`,
 * then the handler; every known path also answers other methods with 405 and Allow.
 */
export function mountRoutes(router: express.Router, routes: readonly Route[], options: MountOptions = {}): void {
  const guard = options.guard ?? [];
  const before = options.before ?? [];
  const byPath = new Map<string, Route[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  for (const [path, group] of byPath) {
    const chain = router.route(path);
    for (const r of group) {
      const parse = r.bodyLimit === undefined ? parseJson : parseJsonUpTo(r.bodyLimit);
      const steps: RequestHandler[] = r.body ? [requireJson, parse, validate(r.body)] : [];
      const handler = r.handler as unknown as RequestHandler;
      const method = r.method.toLowerCase() as "get" | "post" | "put" | "delete";
      chain[method](...guard, ...(r.guard ?? []), ...steps, ...before, handler);
    }
    const allow = group.map((r) => r.method).join(", ");
    chain.all(...guard, (_req, res) => {
      res
        .set("Allow", allow)
        .status(405)
        .json({ error: "method not allowed", allowed: allow.split(", ") });
    });
  }
}
