import { ACCESS_LOG_MESSAGE, LOG_FIELDS } from "../../contract";

// only the two fields read become labels: a plain `| json` would make a series per trace_id before the sum
const accessFields = [LOG_FIELDS.message, LOG_FIELDS.adjustedCount].map((f) => `${f}="${f}"`).join(", ");

/**
 * Requests/s per service counted from the access lines of `stream`: a line without adjusted_count is one
 * request, a sampled line stands for adjusted_count of them. `+` keeps only services with both kinds of
 * line, so the `or`s add services with one kind only (dev writes no sampled lines).
 */
export function accessLogRequests(stream: string): string {
  const lines = `${stream} |= ${JSON.stringify(ACCESS_LOG_MESSAGE)} | json ${accessFields} | __error__="" | ${LOG_FIELDS.message}=${JSON.stringify(ACCESS_LOG_MESSAGE)}`;
  const unsampled = `sum by (${LOG_FIELDS.service}) (rate(${lines} | ${LOG_FIELDS.adjustedCount}="" [$__auto]))`;
  const sampled = `sum by (${LOG_FIELDS.service}) (rate(${lines} | ${LOG_FIELDS.adjustedCount}!="" | unwrap ${LOG_FIELDS.adjustedCount} | __error__="" [$__auto]))`;
  return `(${unsampled} + ${sampled}) or ${unsampled} or ${sampled}`;
}
