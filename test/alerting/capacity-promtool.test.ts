import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { GIB } from "../../infra/capacity/sizing";
import { parseStackConfig } from "../../infra/config/schema";
import { namespaces } from "../../infra/platform/naming";
import { stackConfigFile } from "../../infra/preflight/collect";
import { run, toolAvailable } from "../support/tools";
import { type AlertCase, withAnnotations } from "./harness";

const describeTool = toolAvailable("promtool") ? describe : describe.skip;

// prod: order 400, product 800 and user 700 req/s per replica, 30 % headroom, 160 Gi retention size, 200 Gi for logs.
// prod's capacity numbers with its stores on local volumes (`single`): distributed prod keeps Loki's chunks and
// Jaeger's spans off-cluster-volume, and has only Prometheus' store rule (test/alerting/capacity-rules.test.ts)
const config = parseStackConfig({
  ...JSON.parse(stackConfigFile("prod")["observability-platform:platform"] as string),
  scale: "single",
});
const ns = namespaces(config);
const rules = ruleGroupsFor(config, ns).flatMap((g) => g.rules);
const a = ALERT_NAMES;

/** A counter of API requests growing by `perSecond` every second, sampled each minute. */
const requests = (service: string, route: string, perSecond: number, minutes = 40) => ({
  series: `http_server_request_duration_seconds_count{namespace="${ns.apps}",service_name="${service}",http_route="${route}",http_request_method="GET",http_response_status_code="200"}`,
  values: `0+${perSecond * 60}x${minutes}`,
});
const available = (deployment: string, replicas: number) => ({
  series: `kube_deployment_status_replicas_available{namespace="${ns.apps}",deployment="${deployment}"}`,
  values: `${replicas}x40`,
});
const hpa = (metric: "current" | "max", name: string, value: number) => ({
  series: `kube_horizontalpodautoscaler_${metric === "current" ? "status_current" : "spec_max"}_replicas{namespace="${ns.apps}",horizontalpodautoscaler="${name}"}`,
  values: `${value}x40`,
});
const headroomLow = (service: string) => ({
  exp_labels: { namespace: ns.apps, service_name: service, service, severity: "warning" },
});
const filling = (store: string) => ({ exp_labels: { store, severity: "warning" } });

const scenario = (name: string, interval: string, input_series: object[], alert_rule_test: AlertCase[]) => ({
  name,
  interval,
  input_series,
  alert_rule_test,
});

const L = config.metrics.retentionSizeGi * GIB;
/** Prometheus' three size gauges summing to `blocks` plus 1 % of the limit, scraped every 5 minutes (within the lookback). */
const prometheusSizes = (blocks: string) => [
  {
    series: `prometheus_tsdb_storage_blocks_bytes{namespace="${ns.platform}",job="kps-prometheus",instance="p-0"}`,
    values: blocks,
  },
  {
    series: `prometheus_tsdb_wal_storage_size_bytes{namespace="${ns.platform}",job="kps-prometheus",instance="p-0"}`,
    values: `${0.008 * L}x120`,
  },
  {
    series: `prometheus_tsdb_head_chunks_storage_size_bytes{namespace="${ns.platform}",job="kps-prometheus",instance="p-0"}`,
    values: `${0.002 * L}x120`,
  },
];
const lokiStored = {
  series: `loki_ingester_chunk_stored_bytes_total{namespace="${ns.platform}",tenant="fake"}`,
  values: `0+${10 * GIB}x40`,
};

const scenarios = [
  scenario(
    "headroom: order at 1000 req/s on 3 replicas (83 % of 1200) fires after 15 minutes; product at 1000 of 2400 does not",
    "1m",
    [
      requests("order", "/orders", 1000),
      requests("product", "/products", 1000),
      available("order", 3),
      available("product", 3),
    ],
    [
      { eval_time: "12m", alertname: a.headroomLow, exp_alerts: [] },
      { eval_time: "25m", alertname: a.headroomLow, exp_alerts: [headroomLow("order")] },
    ],
  ),
  scenario(
    "headroom: one more replica (1000 of 1600 req/s, 63 %) keeps order quiet",
    "1m",
    [requests("order", "/orders", 1000), available("order", 4)],
    [{ eval_time: "25m", alertname: a.headroomLow, exp_alerts: [] }],
  ),
  scenario(
    "headroom without kube-state-metrics: two up targets of user give 1400 req/s; 1500 req/s fires",
    "1m",
    [
      requests("user", "/users/:id", 1500),
      { series: `up{namespace="${ns.apps}",job="user",instance="a"}`, values: "1x40" },
      { series: `up{namespace="${ns.apps}",job="user",instance="b"}`, values: "1x40" },
      // another environment's replica in the same Prometheus adds nothing to this one's capacity
      { series: 'up{namespace="other-apps",job="user",instance="c"}', values: "1x40" },
    ],
    [{ eval_time: "25m", alertname: a.headroomLow, exp_alerts: [headroomLow("user")] }],
  ),
  scenario(
    "at max replicas: order at 10 of 10 fires after 15 minutes; product at 5 of 10 does not",
    "1m",
    [hpa("current", "order", 10), hpa("max", "order", 10), hpa("current", "product", 5), hpa("max", "product", 10)],
    [
      { eval_time: "10m", alertname: a.atMaxReplicas, exp_alerts: [] },
      {
        eval_time: "20m",
        alertname: a.atMaxReplicas,
        exp_alerts: [
          {
            exp_labels: {
              namespace: ns.apps,
              horizontalpodautoscaler: "order",
              service: "order",
              severity: "warning",
            },
          },
        ],
      },
    ],
  ),
  scenario(
    "Prometheus growing 2 % of its retention size per hour past 85 % fires (full within 4 days)",
    "5m",
    // 80 % + 2 % an hour: above 85 % after 2.5 h, firing an hour later
    prometheusSizes(`${0.79 * L}+${(0.02 / 12) * L}x120`),
    [
      { eval_time: "2h", alertname: a.storeFillingUp, exp_alerts: [] },
      { eval_time: "6h", alertname: a.storeFillingUp, exp_alerts: [filling("prometheus")] },
    ],
  ),
  scenario(
    "Prometheus steady at 90 % of its retention size does not fire (nothing predicts it full)",
    "5m",
    prometheusSizes(`${0.89 * L}x120`),
    [{ eval_time: "6h", alertname: a.storeFillingUp, exp_alerts: [] }],
  ),
  scenario(
    "Loki writing 10 GiB of chunks every 15 minutes fills logs.storageGi: fires without volume stats",
    "15m",
    [lokiStored],
    [
      { eval_time: "1h", alertname: a.storeFillingUp, exp_alerts: [] },
      { eval_time: "6h", alertname: a.storeFillingUp, exp_alerts: [filling("loki")] },
    ],
  ),
  scenario(
    "Loki: where the kubelet reports its volume, KubePersistentVolumeFillingUp speaks and the fallback stays quiet",
    "15m",
    [
      lokiStored,
      {
        series: `kubelet_volume_stats_used_bytes{namespace="${ns.platform}",persistentvolumeclaim="storage-loki-0"}`,
        values: `${100 * GIB}x40`,
      },
    ],
    [{ eval_time: "6h", alertname: a.storeFillingUp, exp_alerts: [] }],
  ),
];

describeTool("capacity rules with the real promtool", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "promtool-capacity-"));
    // only the groups these rules read (the SLO groups' 30-day windows would slow every test down)
    const groups = ruleGroupsFor(config, ns).filter((g) =>
      ["service-aggregates", "capacity", "capacity-storage"].includes(g.name),
    );
    expect(groups).toHaveLength(3);
    writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(scenarios.map((s) => [s.name, s] as const))("promtool test rules: %s", (_name, s) => {
    const file = path.join(dir, `test-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      stringify({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests: [withAnnotations(s, rules)] }),
    );
    const result = run("promtool", ["test", "rules", file]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });
});
