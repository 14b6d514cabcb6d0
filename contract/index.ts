/**
 * The telemetry and wiring contract of the demo services. Everything that another part of the
 * platform reads (Prometheus rules, dashboards, Grafana correlations, Kubernetes manifests) takes
 * its names from here, so a rename happens in one place.
 */

export const SERVICE_NAMES = ["order", "product", "user"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
/** A process built on the services' layer (apps/lib): a demo service or the alert responder. */
export type AppName = ServiceName | "responder";

/**
 * The pod label naming the service (`app.kubernetes.io/name`): the Deployments' selectors, and what the
 * responder lists a service's Deployments by.
 */
export const SERVICE_NAME_LABEL = "app.kubernetes.io/name";

/** Port every service listens on inside its container; Kubernetes Services target it by name. */
export const CONTAINER_PORT = 8080;
export const HTTP_PORT_NAME = "http";

/** Ports for `npm run demo` on one machine: order on the base port, product and user after it. */
export const LOCAL_BASE_PORT = 3000;
export function localPorts(base = LOCAL_BASE_PORT): Record<ServiceName, number> {
  return { order: base, product: base + 1, user: base + 2 };
}

/** What each service calls; order is the only one with dependencies. */
export const SERVICE_DEPENDENCIES: Record<ServiceName, readonly ServiceName[]> = {
  order: ["user", "product"],
  product: [],
  user: [],
};

/** Environment variable that tells a service where a dependency lives, e.g. USER_SERVICE_URL. */
export function dependencyUrlEnv(dependency: ServiceName): string {
  return `${dependency.toUpperCase()}_SERVICE_URL`;
}

export const PATHS = {
  health: "/healthz",
  ready: "/readyz",
  metrics: "/metrics",
  adminFaults: "/admin/faults",
  adminLogLevel: "/admin/log-level",
} as const;

/** Paths that are infrastructure, not API: no traces, no fault injection. */
export const INFRA_PATHS: readonly string[] = [PATHS.health, PATHS.ready, PATHS.metrics];

/** OTLP/HTTP receiver port of the collector (the standard one). */
export const OTLP_HTTP_PORT = 4318;

export const METRICS = {
  serverDuration: "http_server_request_duration_seconds",
  clientDuration: "http_client_request_duration_seconds",
  ordersCreated: "orders_created_total",
  orderFailures: "order_failures_total",
  orderValue: "order_value_total",
  reservations: "product_reservations_total",
  faultsInjected: "faults_injected_total",
  /** The injected-fault settings in force (gauge by setting; 0 = off): dashboards annotate fault windows from it. */
  faultSetting: "fault_setting",
  /** Log lines by kind (access, event) and decision (written, sampled_out); never sampled itself. */
  logLines: "log_lines_total",
  /** Bytes of log lines written to stdout, by kind. */
  logBytes: "log_bytes_total",
  /** Always 1, labelled with the running build's LABELS.version: which image tag each environment runs. */
  buildInfo: "service_build_info",
} as const;

export const LABELS = {
  service: "service_name",
  method: "http_request_method",
  route: "http_route",
  status: "http_response_status_code",
  peerService: "peer_service",
  errorType: "error_type",
  reason: "reason",
  outcome: "outcome",
  fault: "fault",
  /** On METRICS.faultSetting: which setting (FAULT_SETTINGS). */
  faultSetting: "setting",
  logKind: "log_kind",
  logDecision: "decision",
  /** On METRICS.buildInfo: the build the process runs (SERVICE_VERSION_ENV; in a cluster the image tag). */
  version: "version",
} as const;

/** The running build's version; the Pulumi program sets it to `images.tag`, local runs leave it unset. */
export const SERVICE_VERSION_ENV = "SERVICE_VERSION";

/** Values of LABELS.faultSetting. */
export const FAULT_SETTINGS = {
  errorRate: "error_rate",
  latencyMs: "latency_ms",
  latencyJitterMs: "latency_jitter_ms",
  outageRoutes: "outage_routes",
  /** 1 while the unready fault holds /readyz at 503. */
  unready: "unready",
} as const;

/** Values of LABELS.logKind: the one line per request, and every other line (lifecycle, warnings, errors, audit). */
export const LOG_KINDS = { access: "access", event: "event" } as const;
/** Values of LABELS.logDecision. */
export const LOG_DECISIONS = { written: "written", sampledOut: "sampled_out" } as const;

/**
 * Environment variables of the services' logging, set by the Pulumi program from the stack config.
 * ACCESS_LOG_SAMPLING_PERCENTAGE: share of successful, fast requests whose access line is written,
 * decided from the trace id by the collector's rule (100 = every line). ACCESS_LOG_SLOW_MS: requests
 * taking this long or longer are always written (the SLO latency threshold).
 */
export const LOG_ENV = {
  level: "LOG_LEVEL",
  samplingPercentage: "ACCESS_LOG_SAMPLING_PERCENTAGE",
  slowMs: "ACCESS_LOG_SLOW_MS",
} as const;

/** Values of LOG_LEVEL (logs.level in the stack config, the services' env, /admin/log-level). */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The share of traces the collector's probabilistic policy keeps (traces.samplingPercentage), told to
 * the services so their exemplars point only at traces that are kept, whatever ACCESS_LOG_SAMPLING_PERCENTAGE says.
 */
export const TRACES_KEPT_PERCENTAGE_ENV = "TRACES_KEPT_PERCENTAGE";

/**
 * Salt of the collector's tail-sampling probabilistic policy (its default, set explicitly in the
 * collector config): the services hash trace ids with the same salt to keep the same share of access logs.
 */
export const TRACE_SAMPLING_HASH_SALT = "default-hash-seed";

/** OpenTelemetry semantic-convention buckets for HTTP durations (seconds). */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
] as const;

/** The single http_route value for requests that matched no route (keeps cardinality bounded). */
export const UNMATCHED_ROUTE = "unmatched";

/** Exemplar label keys, as the OpenTelemetry spec names them. */
export const EXEMPLAR_LABELS = { traceId: "trace_id", spanId: "span_id" } as const;

/** Keys of every JSON log line; Grafana's derived field and Alloy's parser read these. */
export const LOG_FIELDS = {
  timestamp: "timestamp",
  level: "level",
  message: "message",
  service: "service_name",
  traceId: "trace_id",
  spanId: "span_id",
  method: "http_method",
  route: "http_route",
  status: "status_code",
  durationMs: "duration_ms",
  fault: "fault",
  /** On sampled access lines only: the share (0..1] of such lines that is written. */
  sampleRate: "sample_rate",
  /** On sampled access lines only: how many requests the line stands for (1 / sample_rate). */
  adjustedCount: "adjusted_count",
} as const;

/** Message of the one access-log line written per request. */
export const ACCESS_LOG_MESSAGE = "request completed";

/** Span attribute keys for business data and injected faults. */
export const SPAN_ATTRIBUTES = {
  orderId: "order.id",
  orderItemCount: "order.item_count",
  orderTotal: "order.total",
  productId: "product.id",
  reservationId: "product.reservation_id",
  userId: "user.id",
  fault: "fault.injected",
  faultLatencyMs: "fault.latency_ms",
} as const;

export * from "./chaos";
export * from "./config-issues";
export * from "./cost";
export * from "./responder";
