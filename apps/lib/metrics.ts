import { type SpanContext, TraceFlags } from "@opentelemetry/api";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry, type RegistryContentType } from "prom-client";
import {
  type AppName,
  EXEMPLAR_LABELS,
  FAULT_SETTINGS,
  HTTP_DURATION_BUCKETS,
  LABELS,
  LOG_DECISIONS,
  LOG_KINDS,
  METRICS,
  type ServiceName,
} from "../../contract";
import type { FaultSettings } from "./faults";
import type { LogStats } from "./logger";

const SERVER_LABELS = [LABELS.method, LABELS.route, LABELS.status] as const;
const CLIENT_LABELS = [LABELS.peerService, LABELS.method, LABELS.status, LABELS.errorType] as const;

export type ServerLabels = Record<(typeof SERVER_LABELS)[number], string | number>;
export type ClientLabels = Record<(typeof CLIENT_LABELS)[number], string | number>;

/** What services do with a counter: count. */
export type ServiceCounter<L extends string> = Pick<Counter<L>, "inc">;

/** What services do with a histogram: observe. */
export type ServiceHistogram<L extends string> = Pick<Histogram<L>, "observe">;
/** What services do with a gauge: set. */
export type ServiceGauge<L extends string> = Pick<Gauge<L>, "set">;

/** The counter handed out when metrics are off: counting costs nothing and shows nowhere. */
const NO_COUNTER: ServiceCounter<string> = { inc: () => undefined };
const NO_HISTOGRAM: ServiceHistogram<string> = { observe: () => undefined };
const NO_GAUGE: ServiceGauge<string> = { set: () => undefined };
const NO_EXEMPLAR = {};

const OPENMETRICS: RegistryContentType = Registry.OPENMETRICS_CONTENT_TYPE;
const PROMETHEUS_TEXT: RegistryContentType = Registry.PROMETHEUS_CONTENT_TYPE;

/** True when the scraper lists OpenMetrics among the formats it accepts (Prometheus does). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept?.includes("application/openmetrics-text") ?? false;
}

/**
 * The metrics of one service in its own registry, every series labelled service_name.
 * Serves the Prometheus text format, or OpenMetrics (which carries exemplars) when asked for it.
 * With `enabled: false` only the process, runtime and build metrics remain: no HTTP or business series,
 * and recording is a no-op.
 */
export class ServiceMetrics {
  // prom-client only accepts exemplar histograms on an OpenMetrics registry; render() switches format.
  readonly registry = new Registry<RegistryContentType>();
  private readonly enabled: boolean;
  private readonly serverDuration?: Histogram<(typeof SERVER_LABELS)[number]>;
  private readonly clientDuration?: Histogram<(typeof CLIENT_LABELS)[number]>;
  private rendering: Promise<unknown> = Promise.resolve();

  constructor(service: AppName, options: { defaultMetrics?: boolean; enabled?: boolean; version?: string } = {}) {
    this.enabled = options.enabled ?? true;
    this.registry.setContentType(OPENMETRICS);
    this.registry.setDefaultLabels({ [LABELS.service]: service });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    // one constant series, like nodejs_version_info: which build runs where (the multi-environment dashboard)
    if (options.version !== undefined) {
      new Gauge({
        name: METRICS.buildInfo,
        help: "Always 1; the version label is the build this process runs (the image tag in a cluster).",
        labelNames: [LABELS.version],
        registers: [this.registry],
      }).set({ [LABELS.version]: options.version }, 1);
    }
    if (!this.enabled) return;
    this.serverDuration = new Histogram({
      name: METRICS.serverDuration,
      help: "Duration of inbound HTTP requests (OpenTelemetry http.server.request.duration).",
      labelNames: SERVER_LABELS,
      buckets: [...HTTP_DURATION_BUCKETS],
      enableExemplars: true,
      registers: [this.registry],
    });
    this.clientDuration = new Histogram({
      name: METRICS.clientDuration,
      help: "Duration of outbound HTTP requests to other services (OpenTelemetry http.client.request.duration).",
      labelNames: CLIENT_LABELS,
      buckets: [...HTTP_DURATION_BUCKETS],
      registers: [this.registry],
    });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): ServiceCounter<L> {
    if (!this.enabled) return NO_COUNTER;
    const counter = new Counter({ name, help, labelNames, registers: [this.registry] });
    return counter;
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
  ): ServiceHistogram<L> {
    if (!this.enabled) return NO_HISTOGRAM;
    return new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): ServiceGauge<L> {
    if (!this.enabled) return NO_GAUGE;
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** The fault settings in force, read at scrape time (outage_routes: how many routes are down). */
  trackFaults(faults: { readonly current: FaultSettings }): void {
    if (!this.enabled) return;
    new Gauge({
      name: METRICS.faultSetting,
      help: "Injected-fault settings in force (error_rate 0-1, latency_ms, latency_jitter_ms, outage_routes count); 0 = off.",
      labelNames: [LABELS.faultSetting],
      registers: [this.registry],
      collect() {
        const s = faults.current;
        this.set({ [LABELS.faultSetting]: FAULT_SETTINGS.errorRate }, s.errorRate);
        this.set({ [LABELS.faultSetting]: FAULT_SETTINGS.latencyMs }, s.latencyMs);
        this.set({ [LABELS.faultSetting]: FAULT_SETTINGS.latencyJitterMs }, s.latencyJitterMs);
        this.set({ [LABELS.faultSetting]: FAULT_SETTINGS.outageRoutes }, s.outageRoutes.length);
        this.set({ [LABELS.faultSetting]: FAULT_SETTINGS.unready }, s.unready ? 1 : 0);
      },
    });
  }

  /**
   * Log volume from the logger's own tallies, read at scrape time: counting a line costs an addition,
   * not a labelled counter update. Lines left out by sampling are counted too (metrics are never sampled).
   */
  trackLogs(stats: LogStats): void {
    if (!this.enabled) return;
    const { logKind, logDecision } = LABELS;
    new Counter({
      name: METRICS.logLines,
      help: "Log lines by kind (access: one per request; event: everything else) and decision (written or sampled_out).",
      labelNames: [logKind, logDecision],
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc({ [logKind]: LOG_KINDS.access, [logDecision]: LOG_DECISIONS.written }, stats.accessWritten);
        this.inc({ [logKind]: LOG_KINDS.access, [logDecision]: LOG_DECISIONS.sampledOut }, stats.accessSampledOut);
        this.inc({ [logKind]: LOG_KINDS.event, [logDecision]: LOG_DECISIONS.written }, stats.eventLines);
      },
    });
    new Counter({
      name: METRICS.logBytes,
      help: "Bytes of log lines written to standard output, by kind.",
      labelNames: [logKind],
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc({ [logKind]: LOG_KINDS.access }, stats.accessBytes);
        this.inc({ [logKind]: LOG_KINDS.event }, stats.eventBytes);
      },
    });
  }

  /** One inbound request; a sampled span becomes the bucket's exemplar, linking it to the trace. */
  observeServer(method: string, route: string, status: number, seconds: number, span?: SpanContext): void {
    if (!this.serverDuration) return;
    const sampled = span !== undefined && (span.traceFlags & TraceFlags.SAMPLED) !== 0;
    const exemplarLabels = sampled
      ? { [EXEMPLAR_LABELS.traceId]: span.traceId, [EXEMPLAR_LABELS.spanId]: span.spanId }
      : NO_EXEMPLAR;
    this.serverDuration.observe({
      labels: { [LABELS.method]: method, [LABELS.route]: route, [LABELS.status]: status },
      value: seconds,
      // prom-client types exemplar labels as the metric's own label names; any names are valid.
      exemplarLabels: exemplarLabels as ServerLabels,
    });
  }

  /** One call to another service; status 0 and an error type when there was no usable answer. */
  observeClient(peer: ServiceName, method: string, status: number, errorType: string, seconds: number): void {
    this.clientDuration?.observe(
      { [LABELS.peerService]: peer, [LABELS.method]: method, [LABELS.status]: status, [LABELS.errorType]: errorType },
      seconds,
    );
  }

  /** Renders the exposition; scrapes are serialized because the format is a registry-wide switch. */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }> {
    const contentType = wantsOpenMetrics(accept) ? OPENMETRICS : PROMETHEUS_TEXT;
    const result = this.rendering.then(async () => {
      const names = this.registry
        .getMetricsAsArray()
        .filter((metric) => metric instanceof Counter)
        .map((metric) => [metric as unknown as { name: string }, metric.name] as const);
      this.registry.setContentType(contentType);
      try {
        return { contentType, body: await this.registry.metrics() };
      } finally {
        // prom-client strips `_total` from counter names while rendering OpenMetrics; put every counter's
        // back (the default process_cpu_seconds_total too) so the next Prometheus-format scrape has them.
        for (const [metric, name] of names) metric.name = name;
        this.registry.setContentType(OPENMETRICS);
      }
    });
    this.rendering = result.catch(() => undefined);
    return result;
  }
}
