import { INFRA_PATHS, LABELS, METRICS, SERVICE_NAMES, type ServiceName } from "../../contract";
import type { StackConfig } from "../config/schema";
import { namespaces } from "../platform/naming";
import type { SloKind } from "./names";

export interface Slo {
  service: ServiceName;
  /** The environment's apps namespace: two environments' services can share one Prometheus. */
  namespace: string;
  kind: SloKind;
  /** e.g. 0.999: the share of requests that must be good. */
  objective: number;
  period: "28d" | "30d";
  /** For latency SLOs: a request is good when faster than this (a bucket boundary). */
  thresholdSeconds?: number;
  minRequestsPerHour: number;
}

/** The SLOs of every demo service, from the stack config: one source for rules, alerts and dashboards. */
export function slosFor(config: Pick<StackConfig, "slo" | "namespacePrefix" | "environment">): Slo[] {
  const { slo } = config;
  const namespace = namespaces(config).apps;
  return SERVICE_NAMES.flatMap((service) => [
    {
      service,
      namespace,
      kind: "availability",
      objective: slo.availability,
      period: slo.period,
      minRequestsPerHour: slo.minRequestsPerHour,
    },
    {
      service,
      namespace,
      kind: "latency",
      objective: slo.latency,
      period: slo.period,
      thresholdSeconds: slo.latencyThresholdSeconds,
      minRequestsPerHour: slo.minRequestsPerHour,
    },
  ]);
}

/** Requests that count for an SLO: the service's API traffic in its namespace, not probes or scrapes. */
export function apiRequests(slo: Pick<Slo, "service" | "namespace">, extra = ""): string {
  const infra = INFRA_PATHS.join("|");
  return `{namespace="${slo.namespace}",${LABELS.service}="${slo.service}",${LABELS.route}!~"${infra}"${extra}}`;
}

/** PromQL of the SLI error ratio (bad requests / all requests) over `window`. */
export function sliErrorRatio(slo: Slo, window: string): string {
  const count = `${METRICS.serverDuration}_count`;
  const all = `sum(rate(${count}${apiRequests(slo)}[${window}]))`;
  if (slo.kind === "availability") {
    const bad = `sum(rate(${count}${apiRequests(slo, `,${LABELS.status}=~"5.."`)}[${window}]))`;
    return `${bad} / ${all}`;
  }
  const good = `sum(rate(${METRICS.serverDuration}_bucket${apiRequests(slo, `,le="${slo.thresholdSeconds}"`)}[${window}]))`;
  return `1 - (${good} / ${all})`;
}

export interface BurnRateAlert {
  severity: "page" | "ticket";
  longWindow: string;
  shortWindow: string;
  /** Share of the period's error budget spent when the alert fires. */
  budgetSpent: number;
}

/** The SRE Workbook's multi-window, multi-burn-rate alerts (factors for a 30-day period). */
export const BURN_RATE_ALERTS: readonly BurnRateAlert[] = [
  { severity: "page", longWindow: "1h", shortWindow: "5m", budgetSpent: 0.02 },
  { severity: "page", longWindow: "6h", shortWindow: "30m", budgetSpent: 0.05 },
  { severity: "ticket", longWindow: "1d", shortWindow: "2h", budgetSpent: 0.1 },
  { severity: "ticket", longWindow: "3d", shortWindow: "6h", budgetSpent: 0.1 },
];

const HOURS: Record<string, number> = {
  "5m": 5 / 60,
  "30m": 0.5,
  "1h": 1,
  "2h": 2,
  "6h": 6,
  "1d": 24,
  "3d": 72,
  "28d": 672,
  "30d": 720,
};

export function windowHours(window: string): number {
  const hours = HOURS[window];
  if (hours === undefined) throw new Error(`unknown window ${window}`);
  return hours;
}

/** Burn rate at which `budgetSpent` of the period's budget goes in `longWindow`: 14.4 for 2% in 1h of 30d. */
export function burnFactor(alert: BurnRateAlert, period: Slo["period"]): number {
  return Math.round(((alert.budgetSpent * windowHours(period)) / windowHours(alert.longWindow)) * 1000) / 1000;
}
