import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { PATHS } from "../../../contract";
import { type FaultInjector, faultSettingsSchema } from "../faults";
import type { Logger } from "../logger";
import { HttpError } from "./errors";
import { type Route, route } from "./routes";

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Bearer-token check: 401 when the token is missing, 403 when it is wrong (constant-time compare). */
export function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      res.set("WWW-Authenticate", 'Bearer realm="admin"');
      next(new HttpError(401, "missing bearer token"));
      return;
    }
    if (!timingSafeEqual(digest(match[1] as string), expected)) {
      next(new HttpError(403, "invalid bearer token"));
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
