import { type AlertExpectation, type Fault, LOCAL_FAULTS } from "../../infra/chaos/experiments";

/**
 * Words for experiments, shared by the report and the generated catalogue in docs/chaos.md: plain text
 * (no Markdown), so the chart titles can use them too.
 */

/** A share as a percentage with at most three significant digits: 0.5 → "50 %", 0.01234 → "1.23 %". */
export function formatShare(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))} %`;
}

/** Seconds as the hypothesis states them: "180 s"; at most one decimal. */
export function formatSeconds(seconds: number): string {
  return `${Math.round(seconds * 10) / 10} s`;
}

/** A duration for people: whole minutes as "3 min", anything else in seconds. */
export function formatDuration(seconds: number): string {
  return seconds >= 60 && seconds % 60 === 0 ? `${seconds / 60} min` : formatSeconds(seconds);
}

/** What the fault does, e.g. "50 % of API requests answered 500". */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case "pod-kill":
      return "pod killed (locally: the process)";
    case "container-kill":
      return "container killed in one pod";
    case "network-delay":
      return `+${fault.latencyMs} ms (± ${fault.jitterMs} ms) on packets towards ${fault.towards}`;
    case "network-loss":
      return `${fault.lossPercent} % of packets towards ${fault.towards} lost`;
    case "cpu-stress":
      return `${fault.workers} CPU worker(s) at ${fault.loadPercent} % load`;
    case "memory-stress":
      return `${fault.workers} memory worker(s) holding ${fault.size}`;
    case "http-errors":
      return `${formatShare(fault.errorRate)} of API requests answered ${fault.errorStatus}`;
    case "http-latency":
      return `+${fault.latencyMs} ms (± ${fault.jitterMs} ms) on API requests`;
    case "route-outage":
      return `${fault.route} answers 503`;
  }
}

/** How the fault is injected: the Chaos Mesh kind in a cluster, or the services' own fault API. */
export function faultMechanism(fault: Fault): string {
  switch (fault.kind) {
    case "pod-kill":
    case "container-kill":
      return "PodChaos";
    case "network-delay":
    case "network-loss":
      return "NetworkChaos";
    case "cpu-stress":
    case "memory-stress":
      return "StressChaos";
    default:
      return "fault API";
  }
}

/** Where the runner can inject it: `--target local` handles only the fault API and process kills. */
export const runsLocally = (fault: Fault): boolean => LOCAL_FAULTS.includes(fault.kind);

/** An alert as PromQL would select it: `SLOFastBurn{service="order",slo="availability"}`. */
export function alertLabel(alert: AlertExpectation): string {
  const labels = Object.entries(alert.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return labels.length ? `${alert.alertname}{${labels.join(",")}}` : alert.alertname;
}
