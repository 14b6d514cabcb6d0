import { LABELS, SERVICE_NAMES } from "../../contract";
import { FILL_HORIZON_SECONDS, FILL_MIN_USED_RATIO, predictedBytes, storeUsage, volumeStats } from "../capacity/stores";
import type { StackConfig } from "../config/schema";
import type { Namespaces } from "../platform/naming";
import { AGGREGATE_RECORDS, CAPACITY_RECORDS, STORE_LABEL } from "./names";
import { ALERT_NAMES, ALERT_SERVICE_LABEL, type Rule, type RuleGroup, runbook } from "./rules";

/**
 * Utilisation above which the planned headroom is gone: capacity is sized as peak × (1 + h/100), so at
 * the planned peak a service runs at 1 / (1 + h/100) of it (77 % for 30 % headroom).
 */
export function headroomAlertThreshold(headroomPercent: number): number {
  return Math.round((100 / (100 + headroomPercent)) * 1e4) / 1e4;
}

const asService = (expr: string, from: string) =>
  `label_replace(${expr}, "${ALERT_SERVICE_LABEL}", "$1", "${from}", "(.*)")`;

/** Capacity, utilisation and headroom per service, and the alerts on them and on the autoscaler. */
export function capacityRuleGroup(config: StackConfig, ns: Namespaces): RuleGroup {
  const services = SERVICE_NAMES.join("|");
  // namespace kept throughout: another environment's services may share this Prometheus
  const by = `by (namespace, ${LABELS.service})`;
  const on = `on(namespace, ${LABELS.service})`;
  const r = CAPACITY_RECORDS;
  const perReplica: Rule[] = SERVICE_NAMES.map((name) => ({
    record: r.perReplica,
    expr: `vector(${config.capacity.services[name].capacityPerReplicaRps})`,
    labels: { namespace: ns.apps, [LABELS.service]: name },
  }));
  // kube-state-metrics in a cluster; the `or` keeps capacity meaningful where the services run as plain
  // processes (npm run demo, the live alerting test): there every up target is one replica.
  const fromDeployments = `max ${by} (label_replace(kube_deployment_status_replicas_available{namespace="${ns.apps}",deployment=~"${services}"}, "${LABELS.service}", "$1", "deployment", "(.*)"))`;
  const fromTargets = `count ${by} (label_replace(up{namespace="${ns.apps}",job=~"${services}"} == 1, "${LABELS.service}", "$1", "job", "(.*)"))`;
  const threshold = headroomAlertThreshold(config.capacity.headroomPercent);
  const percent = Math.round(threshold * 1000) / 10;

  // A service whose minimum equals its maximum is always "at max": nothing to alert on.
  const scalable = SERVICE_NAMES.filter((name) => config.services[name].maxReplicas > config.services[name].replicas);
  const hpa = (metric: string) => `${metric}{namespace="${ns.apps}",horizontalpodautoscaler=~"${scalable.join("|")}"}`;
  const atMax: Rule[] =
    scalable.length === 0
      ? []
      : [
          {
            alert: ALERT_NAMES.atMaxReplicas,
            expr: asService(
              `${hpa("kube_horizontalpodautoscaler_status_current_replicas")} >= on(namespace, horizontalpodautoscaler) ${hpa("kube_horizontalpodautoscaler_spec_max_replicas")}`,
              "horizontalpodautoscaler",
            ),
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
              summary: "{{ $labels.service }} has run at its maximum replicas for 15 minutes",
              description:
                "The HorizontalPodAutoscaler of {{ $labels.service }} cannot add replicas (services.{{ $labels.service }}.maxReplicas): more load goes to the same pods.",
              runbook_url: runbook(ALERT_NAMES.atMaxReplicas),
            },
          },
        ];

  return {
    name: "capacity",
    rules: [
      ...perReplica,
      { record: r.readyReplicas, expr: `${fromDeployments} or ${fromTargets}` },
      { record: r.capacity, expr: `${r.perReplica} * ${on} ${r.readyReplicas}` },
      {
        record: r.utilisation,
        expr: `${AGGREGATE_RECORDS.requestRate}{namespace="${ns.apps}"} / ${on} ${r.capacity}`,
      },
      { record: r.headroom, expr: `1 - ${r.utilisation}` },
      {
        alert: ALERT_NAMES.headroomLow,
        expr: asService(`${r.utilisation} > ${threshold}`, LABELS.service),
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: `{{ $labels.service }} uses more than ${percent}% of its capacity`,
          description: `{{ $labels.service }} has served more than ${percent}% of what its ready replicas can (capacityPerReplicaRps × replicas) for 15 minutes: the ${config.capacity.headroomPercent}% headroom planned above the peak is used up.`,
          runbook_url: runbook(ALERT_NAMES.headroomLow),
        },
      },
      ...atMax,
    ],
  };
}

/**
 * One filling-up alert per store: under 15 % left and full within 4 days at the last 6 hours' trend, as
 * KubePersistentVolumeFillingUp (kube-prometheus-stack's bundled rules) does for volumes. Loki and Jaeger
 * stay quiet where the kubelet reports their volume, so that rule, not this one, speaks for it.
 */
export function storageRuleGroup(config: StackConfig, ns: Namespaces): RuleGroup {
  const rules: Rule[] = storeUsage(config).map((usage) => {
    const limit = usage.limitBytes;
    const core = `(${usage.usedBytes}) / ${limit} > ${FILL_MIN_USED_RATIO} and ${predictedBytes(usage)} > ${limit}`;
    const stats = volumeStats(usage, ns);
    return {
      alert: ALERT_NAMES.storeFillingUp,
      expr: stats === undefined ? core : `(${core}) unless on() ${stats}`,
      for: "1h",
      labels: { severity: "warning", [STORE_LABEL]: usage.store },
      annotations: {
        summary: `The ${usage.store} store is predicted to exceed ${usage.limitKey} within ${FILL_HORIZON_SECONDS / 86_400} days`,
        description: `${usage.store} uses over ${FILL_MIN_USED_RATIO * 100}% of ${usage.limitKey} (${limit / 2 ** 30} Gi) and at its last 6 hours' growth exceeds it within ${FILL_HORIZON_SECONDS / 86_400} days. Used bytes: ${usage.estimate}.`,
        runbook_url: runbook(ALERT_NAMES.storeFillingUp),
      },
    };
  });
  // The Loki estimate reads days of one counter: every 5 minutes is often enough for a 4-day horizon.
  return { name: "capacity-storage", interval: "5m", rules };
}
