import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { HIGH_LATENCY_P99_SECONDS } from "../alerting/rules";
import { BURN_RATE_ALERTS, burnFactor, windowHours } from "../alerting/slos";
import type { ScaleMode } from "../config/scale-schema";
import type { StackConfig } from "../config/schema";
import { type Namespaces, namespaces } from "../platform/naming";

/** One multi-window burn-rate alert as the SLO dashboard draws it: its two windows against its factor. */
export interface BurnAlertView {
  severity: "page" | "ticket";
  longWindow: string;
  shortWindow: string;
  /** Burn rate both windows must exceed (14.4 for 2 % of a 30-day budget in 1 h). */
  factor: number;
}

/**
 * Everything the dashboards take from the stack config: one source with the rules, so a threshold on a
 * panel is the threshold an alert fires at.
 */
export interface DashboardSettings {
  environment: string;
  namespaces: Namespaces;
  /** `distributed` adds the collector gateway's panels to Platform health. */
  scale: ScaleMode;
  slo: {
    period: "28d" | "30d";
    periodHours: number;
    availability: number;
    latency: number;
    latencyThresholdSeconds: number;
    burnAlerts: BurnAlertView[];
  };
  /** ServiceHighLatencyP99 fires above this p99. */
  highLatencyAlertSeconds: number;
  /** Prometheus retentionSize in bytes (Prometheus reads "GB" as 2^30). */
  retentionSizeBytes: number;
  /** ServiceProbeSlow fires when the end-to-end probes average more than this (seconds). */
  probeLatencySeconds: number;
}

export function dashboardSettings(
  config: Pick<StackConfig, "environment" | "namespacePrefix" | "scale" | "slo" | "metrics" | "probes">,
): DashboardSettings {
  const { slo } = config;
  return {
    environment: config.environment,
    namespaces: namespaces(config),
    scale: config.scale,
    slo: {
      period: slo.period,
      periodHours: windowHours(slo.period),
      availability: slo.availability,
      latency: slo.latency,
      latencyThresholdSeconds: slo.latencyThresholdSeconds,
      burnAlerts: BURN_RATE_ALERTS.map((a) => ({
        severity: a.severity,
        longWindow: a.longWindow,
        shortWindow: a.shortWindow,
        factor: burnFactor(a, slo.period),
      })),
    },
    highLatencyAlertSeconds: HIGH_LATENCY_P99_SECONDS,
    retentionSizeBytes: config.metrics.retentionSizeGi * 2 ** 30,
    probeLatencySeconds: config.probes.latencyThresholdSeconds,
  };
}

const round = (x: number) => Math.round(x * 1e9) / 1e9;

/** The error budget of an objective: 0.001 for 99.9 %. */
export const errorBudget = (objective: number) => round(1 - objective);

/** The smallest burn factor that pages: an error ratio sustained above budget × this pages someone. */
export function pagingFactor(settings: DashboardSettings): number {
  return Math.min(...settings.slo.burnAlerts.filter((a) => a.severity === "page").map((a) => a.factor));
}

type Steps = dashboard.Threshold[];

/**
 * Error ratio: green within the budget, yellow above it (the budget runs out before the period ends),
 * red where it would page if sustained.
 */
export function errorRatioSteps(settings: DashboardSettings): Steps {
  const budget = errorBudget(settings.slo.availability);
  return [
    { value: null, color: "green" },
    { value: budget, color: "yellow" },
    { value: round(budget * pagingFactor(settings)), color: "red" },
  ];
}

/** p99 latency: yellow past the latency SLO's threshold, red where ServiceHighLatencyP99 fires. */
export function latencySteps(settings: DashboardSettings): Steps {
  const { latencyThresholdSeconds } = settings.slo;
  const alert = settings.highLatencyAlertSeconds;
  if (alert <= latencyThresholdSeconds)
    return [
      { value: null, color: "green" },
      { value: alert, color: "red" },
    ];
  return [
    { value: null, color: "green" },
    { value: latencyThresholdSeconds, color: "yellow" },
    { value: alert, color: "red" },
  ];
}

/** An SLI (share of good requests): red below the objective. */
export const sliSteps = (objective: number): Steps => [
  { value: null, color: "red" },
  { value: objective, color: "green" },
];

/** Budget remaining: red once spent, orange under a quarter, yellow under half. */
export const BUDGET_STEPS: Steps = [
  { value: null, color: "red" },
  { value: 0, color: "orange" },
  { value: 0.25, color: "yellow" },
  { value: 0.5, color: "green" },
];

/** A burn rate against the factor its alert fires at; yellow from 1 (faster than the budget) when below it. */
export const burnSteps = (factor: number): Steps => [
  { value: null, color: "green" },
  ...(factor > 1 ? [{ value: 1, color: "yellow" }] : []),
  { value: factor, color: "red" },
];

/** Hours until the budget is gone: red within a day, orange within 3 days, green beyond the period. */
export function exhaustionSteps(settings: DashboardSettings): Steps {
  return [
    { value: null, color: "red" },
    { value: 24, color: "orange" },
    { value: 72, color: "yellow" },
    { value: settings.slo.periodHours, color: "green" },
  ];
}

/** Storage against Prometheus' retention size: yellow at 80 %, red at 90 % (PrometheusStorageNearlyFull). */
export function retentionSteps(settings: DashboardSettings): Steps {
  return [
    { value: null, color: "green" },
    { value: Math.round(settings.retentionSizeBytes * 0.8), color: "yellow" },
    { value: Math.round(settings.retentionSizeBytes * 0.9), color: "red" },
  ];
}

/** A count that is bad above zero (down targets, failures, refused spans). */
export const ZERO_IS_GOOD: Steps = [
  { value: null, color: "green" },
  { value: 1e-9, color: "red" },
];

/** A count of healthy instances: red at zero. */
export const NONE_IS_BAD: Steps = [
  { value: null, color: "red" },
  { value: 1, color: "green" },
];

/** Informational values (request rates, counts): one fixed colour, never Grafana's default red at 80. */
export const NEUTRAL: Steps = [{ value: null, color: "blue" }];
