/**
 * What the stress run measured per order request: how order's entry rate fans out to the other services,
 * and the telemetry volumes (series, log bytes, spans) the storage projections multiply by the traffic.
 */
import { SERVICE_NAMES, type ServiceName } from "../../contract";
import type { LoadTestResult, StageResult } from "../loadtest/result";

/**
 * The stages that passed their thresholds: healthy traffic, as at peak when sized right (overloaded
 * stages add errors, which change the mix, the logs and the kept traces). All stages when none passed
 * (a result has at least one stage where order served requests: load-result.ts checks it).
 */
export function healthyStages(result: LoadTestResult): StageResult[] {
  const passed = result.stages.filter((s) => s.passed && (s.services.order?.requests ?? 0) > 0);
  return passed.length > 0 ? passed : result.stages;
}

const requestsOf = (stages: readonly StageResult[], service: ServiceName) =>
  stages.reduce((sum, s) => sum + (s.services[service]?.requests ?? 0), 0);

/** Requests each service served per request order served (order itself: 1). */
export function fanOut(stages: readonly StageResult[]): Record<ServiceName, number> {
  const order = requestsOf(stages, "order");
  return Object.fromEntries(
    SERVICE_NAMES.map((s) => [s, order > 0 ? requestsOf(stages, s) / order : Number.NaN]),
  ) as Record<ServiceName, number>;
}

export interface MeasuredVolumes {
  /** The stages the volumes come from. */
  stages: string[];
  /** Series in one process's /metrics exposition, per service (the most seen in any of the stages). */
  activeSeriesPerProcess: Partial<Record<ServiceName, number>>;
  /**
   * stdout bytes of all three services per order request as if every access line were written;
   * undefined when no service reported them (or the run wrote none of the sampled lines).
   */
  logBytesPerOrderRequest?: number;
  /** Share of access lines the services wrote in the run (their stack's access-log sampling). */
  accessLinesWritten: number;
  /** Spans exported by all three services per order request; undefined without a span sink. */
  spansPerOrderRequest?: number;
  /** OTLP/protobuf bytes per span, weighted by the spans of each stage. */
  bytesPerSpan?: number;
  /** Client requests answered per order request: each starts a trace (direct reads of product too). */
  tracesPerOrderRequest: number;
}

/**
 * `accessLinesWritten`: the share of access lines the run's services wrote (1 unless their stack samples
 * them). Healthy traffic's lines are nearly all access lines of fast, successful requests, so the bytes
 * are scaled back by it to "every line written", which the projections then sample per stack.
 */
export function measuredVolumes(stages: readonly StageResult[], accessLinesWritten = 1): MeasuredVolumes {
  const activeSeriesPerProcess: MeasuredVolumes["activeSeriesPerProcess"] = {};
  let logBytes = 0;
  let logged = false;
  for (const stage of stages) {
    for (const service of SERVICE_NAMES) {
      const s = stage.services[service];
      if (!s) continue;
      activeSeriesPerProcess[service] = Math.max(activeSeriesPerProcess[service] ?? 0, s.activeSeries);
      if (s.logBytesPerRequest !== null && s.requests > 0) {
        logBytes += s.logBytesPerRequest * s.requests;
        logged = true;
      }
    }
  }
  const orderRequests = requestsOf(stages, "order");
  const traced = stages.filter((s) => s.spans !== undefined && (s.services.order?.requests ?? 0) > 0);
  const spans = traced.reduce((sum, s) => sum + (s.spans?.spans ?? 0), 0);
  const spanBytes = traced.reduce((sum, s) => sum + (s.spans?.spans ?? 0) * (s.spans?.otlpBytesPerSpan ?? 0), 0);
  return {
    stages: stages.map((s) => s.name),
    activeSeriesPerProcess,
    logBytesPerOrderRequest:
      logged && orderRequests > 0 && accessLinesWritten > 0 ? logBytes / orderRequests / accessLinesWritten : undefined,
    accessLinesWritten,
    spansPerOrderRequest: traced.length > 0 ? spans / requestsOf(traced, "order") : undefined,
    bytesPerSpan: spans > 0 ? spanBytes / spans : undefined,
    tracesPerOrderRequest: orderRequests > 0 ? stages.reduce((sum, s) => sum + s.answered, 0) / orderRequests : 1,
  };
}
