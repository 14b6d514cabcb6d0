import { INFRA_PATHS, LABELS, LOG_FIELDS, METRICS } from "../../contract";
import { DASHBOARD_VARIABLES as V } from "./model";

/**
 * Matchers and selectors every dashboard query is built from. Each query filters on one of the two
 * namespace matchers: the environment's apps namespace or its platform namespace.
 */
export const NS_MATCH = `namespace="$${V.namespace}"`;
export const PLATFORM_NS_MATCH = `namespace="$${V.platformNamespace}"`;
export const SERVICE_MATCH = `${LABELS.service}=~"$${V.service}"`;
export const ROUTE_MATCH = `${LABELS.route}=~"$${V.route}"`;
export const STATUS_MATCH = `${LABELS.status}=~"$${V.status}"`;
/** API traffic only, as the recording rules count it (no probes or scrapes). */
export const API_MATCH = `${LABELS.route}!~"${INFRA_PATHS.join("|")}"`;
export const RATE = "$__rate_interval";

export const sel = (metric: string, ...matchers: string[]) =>
  matchers.length === 0 ? metric : `${metric}{${matchers.join(",")}}`;
/** A series of the selected services in the environment's apps namespace. */
export const svc = (metric: string, ...matchers: string[]) => sel(metric, NS_MATCH, SERVICE_MATCH, ...matchers);
/** A recording rule's series of the selected services in the environment (records keep namespace). */
export const record = (name: string, ...matchers: string[]) => sel(name, NS_MATCH, SERVICE_MATCH, ...matchers);
/** A series of the environment's platform components. */
export const platform = (metric: string, ...matchers: string[]) => sel(metric, PLATFORM_NS_MATCH, ...matchers);
export const legend = (...labels: string[]) => labels.map((l) => `{{${l}}}`).join(" ");

export const REQUESTS = `${METRICS.serverDuration}_count`;
export const BUCKETS = `${METRICS.serverDuration}_bucket`;

/** A quantile of the raw histogram (the only series carrying exemplars), grouped by `by`. */
export const rawQuantile = (q: number, by: string[], ...matchers: string[]) =>
  `histogram_quantile(${q}, sum by (${[...by, "le"].join(", ")}) (rate(${svc(BUCKETS, API_MATCH, ...matchers)}[${RATE}])))`;

/** Share of requests faster than `thresholdSeconds` (a bucket boundary): the latency SLI. */
export const latencySli = (thresholdSeconds: number, by: string[], ...matchers: string[]) => {
  const grouping = `sum by (${by.join(", ")})`;
  return `${grouping} (rate(${svc(BUCKETS, API_MATCH, `le="${thresholdSeconds}"`, ...matchers)}[${RATE}])) / ${grouping} (rate(${svc(REQUESTS, API_MATCH, ...matchers)}[${RATE}]))`;
};

/** The log stream of the selected services in the environment's apps namespace. */
export const LOG_STREAM = `{${NS_MATCH}, ${LOG_FIELDS.service}=~"$${V.service}"}`;
/**
 * Lines that tell of a failure: error and warning lines, and the access lines of 5xx answers (written at
 * info, and always written whatever the access-log sampling). Only the fields read become labels. The
 * status is matched as a string: a numeric filter on lines without one would set __error__, not drop them.
 * The route filter follows the dashboard's route variable.
 */
export const failureFilter = (route = `$${V.route}`) =>
  ` | json ${[LOG_FIELDS.level, LOG_FIELDS.status, LOG_FIELDS.message, LOG_FIELDS.route]
    .map((f) => `${f}="${f}"`)
    .join(
      ", ",
    )} | __error__="" | ${LOG_FIELDS.level}=~"error|warn" or ${LOG_FIELDS.status}=~"5.." | ${LOG_FIELDS.route}=~"${route}"`;
export const FAILURE_LINES = `${LOG_STREAM}${failureFilter()}`;
