import type { z } from "zod";

/**
 * How a configuration problem is said, the same for the services' env vars, the stack config, HTTP bodies and
 * the tools' input files: one line per zod issue, `field: message`. Values are never echoed (they may be secrets).
 */
export function describeIssues(error: z.ZodError, fieldName: (path: PropertyKey[]) => string): string[] {
  return error.issues.map((issue) => `${fieldName(issue.path)}: ${issue.message}`);
}

/** A field's dotted path (`items.0.quantity`); the whole body when empty. */
export function dottedPath(path: PropertyKey[]): string {
  return path.length === 0 ? "(body)" : path.map(String).join(".");
}
