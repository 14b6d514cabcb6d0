import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { z } from "zod";
import { LOG_LEVELS, PATHS } from "../../../contract";
import { type FaultInjector, faultSettingsSchema } from "../faults";
import type { Logger, LogLevelControl } from "../logger";
import { HttpError } from "./errors";
import { type Route, route } from "./routes";

const digest = (value: string) => createHash("sha256").update(value).digest();

export interface BearerOptions {
  /** Realm of the WWW-Authenticate challenge. */
  realm?: string;
  /**
   * Status for a wrong token: 403 by default (the admin API); 401 with error="invalid_token" as RFC 6750
   * has it, where the caller's contract asks for that (the responder's /alerts).
   */
  wrongTokenStatus?: 401 | 403;
}

/** Bearer-token check: 401 when the token is missing, 403 (or 401) when it is wrong (constant-time compare). */
export function requireBearer(token: string, options: BearerOptions = {}): RequestHandler {
  const expected = digest(token);
  const realm = options.realm ?? "admin";
  const wrongStatus = options.wrongTokenStatus ?? 403;
  return (req, res, next) => {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      res.set("WWW-Authenticate", `Bearer realm="${realm}"`);
      next(new HttpError(401, "missing bearer token"));
      return;
    }
    if (!timingSafeEqual(digest(match[1] as string), expected)) {
      if (wrongStatus === 401) res.set("WWW-Authenticate", `Bearer realm="${realm}", error="invalid_token"`);
      next(new HttpError(wrongStatus, "invalid bearer token"));
      return;
    }
    next();
  };
}

/** `GET/PUT /admin/faults`: read or replace the fault settings. Mount only when a token is set. */
export function faultAdminRoutes(faults: FaultInjector, apiRoutes: readonly string[], logger: Logger): Route[] {
  return [
    route({
      method: "GET",
      path: PATHS.adminFaults,
      handler: (_req, res) => {
        res.json({ ...faults.current, routes: apiRoutes });
      },
    }),
    route({
      method: "PUT",
      path: PATHS.adminFaults,
      body: faultSettingsSchema(apiRoutes),
      handler: (req, res) => {
        faults.set(req.body);
        logger.warn("fault settings changed", { faults: req.body });
        res.json({ ...faults.current, routes: apiRoutes });
      },
    }),
  ];
}

/** A temporary level is bounded: it goes back by itself, so a forgotten debug switch cannot flood the logs. */
export const MAX_TEMPORARY_LEVEL_MINUTES = 60;

const temporaryLevelSchema = z.strictObject({
  level: z.enum(LOG_LEVELS, { error: `must be one of: ${LOG_LEVELS.join(", ")}` }),
  minutes: z
    .number({ error: `must be a number of minutes from 1 to ${MAX_TEMPORARY_LEVEL_MINUTES}` })
    .int({ error: "must be a whole number of minutes" })
    .min(1, { error: `must be from 1 to ${MAX_TEMPORARY_LEVEL_MINUTES}` })
    .max(MAX_TEMPORARY_LEVEL_MINUTES, { error: `must be from 1 to ${MAX_TEMPORARY_LEVEL_MINUTES}` }),
});

/**
 * `GET/PUT/DELETE /admin/log-level`: read the level, set one for a bounded time (access-log sampling
 * is off meanwhile: every line is written), or go back to the configured level now.
 */
export function logLevelAdminRoutes(levels: LogLevelControl, logger: Logger): Route[] {
  return [
    route({ method: "GET", path: PATHS.adminLogLevel, handler: (_req, res) => void res.json(levels.state()) }),
    route({
      method: "PUT",
      path: PATHS.adminLogLevel,
      body: temporaryLevelSchema,
      handler: (req, res) => {
        const state = levels.setTemporary(req.body.level, req.body.minutes * 60_000);
        logger.warn("log level changed", { level: state.level, until: state.until });
        res.json(state);
      },
    }),
    route({
      method: "DELETE",
      path: PATHS.adminLogLevel,
      handler: (_req, res) => {
        const state = levels.restore();
        logger.warn("log level restored", { level: state.level, reason: "admin" });
        res.json(state);
      },
    }),
  ];
}
