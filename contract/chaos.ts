/**
 * The contract of chaos game days: the metrics the runner pushes to the Pushgateway (history in Prometheus,
 * read by the chaos dashboard) and their labels.
 */

export const CHAOS_METRICS = {
  /** Fault start → the last expected alert firing in Alertmanager (seconds); absent when one never fired. */
  detection: "chaos_experiment_detection_seconds",
  /** Fault end → the SLIs back within objective and the expected alerts resolved (seconds). */
  recovery: "chaos_experiment_recovery_seconds",
  /** Share of the SLO period's error budget the experiment consumed. */
  budgetConsumed: "chaos_experiment_budget_consumed_ratio",
  /** 1 when every line of the hypothesis held, else 0. */
  hypothesisPassed: "chaos_experiment_hypothesis_passed",
  /** Unix time the fault started and ended: the dashboard's fault-window annotations. */
  faultStart: "chaos_experiment_fault_start_timestamp_seconds",
  faultEnd: "chaos_experiment_fault_end_timestamp_seconds",
  /**
   * The run's hypothesis limits, planned for that run from the stack's SLOs and Prometheus' history: the
   * dashboard compares each measurement with the limit of the same run. Detection's only when an alert must fire.
   */
  detectionLimit: "chaos_experiment_detection_limit_seconds",
  recoveryLimit: "chaos_experiment_recovery_limit_seconds",
  budgetLimit: "chaos_experiment_budget_limit_ratio",
  /** How long the fault was planned to last (seconds). */
  faultDuration: "chaos_experiment_fault_duration_seconds",
} as const;

export const CHAOS_LABELS = {
  experiment: "experiment",
  /** The target service (SERVICE_NAMES). */
  target: "target",
  /** Where it ran: `local` or the kube context. */
  runTarget: "run_target",
} as const;

/** The Pushgateway job the runner pushes under (one group per experiment). */
export const CHAOS_PUSH_JOB = "chaos-game-day";
