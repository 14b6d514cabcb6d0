import { capacityRuleGroup, headroomAlertThreshold, storageRuleGroup } from "../../infra/alerting/capacity-rules";
import { CAPACITY_RECORDS, STORE_LABEL } from "../../infra/alerting/names";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { parseStackConfig, type StackConfig } from "../../infra/config/schema";
import { namespaces } from "../../infra/platform/naming";
import { stackConfigFile } from "../../infra/preflight/collect";

const configOf = (stack: string, edit: (c: Record<string, any>) => void = () => {}): StackConfig => {
  const c = JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string);
  edit(c);
  return parseStackConfig(c);
};
const capacityRules = (config: StackConfig) => capacityRuleGroup(config, namespaces(config)).rules;
const storageRules = (config: StackConfig) => storageRuleGroup(config, namespaces(config)).rules;
/** prod's volumes with the single-node backends: distributed Loki and Jaeger keep no bounded volume. */
const singleProd = () => configOf("prod", (c) => (c.scale = "single"));

describe("capacity rules", () => {
  test("the headroom threshold is the utilisation at the planned peak: 1/1.3 for 30 %, 1/1.5 for 50 %, 1 without headroom", () => {
    expect(headroomAlertThreshold(30)).toBe(0.7692);
    expect(headroomAlertThreshold(50)).toBe(0.6667);
    expect(headroomAlertThreshold(0)).toBe(1);
  });

  test("per-replica capacity is recorded from the stack config, one series per service", () => {
    const config = configOf("prod", (c) => (c.capacity.services.user.capacityPerReplicaRps = 123.5));
    const perReplica = capacityRules(config).filter((r) => r.record === CAPACITY_RECORDS.perReplica);
    expect(perReplica.map((r) => [r.labels?.service_name, r.expr])).toEqual([
      ["order", "vector(400)"],
      ["product", "vector(800)"],
      ["user", "vector(123.5)"],
    ]);
  });

  test("ready replicas come from the stack's apps namespace, with the up targets as the fallback", () => {
    const expr = capacityRules(configOf("staging")).find((r) => r.record === CAPACITY_RECORDS.readyReplicas)?.expr;
    expect(expr).toContain(
      'kube_deployment_status_replicas_available{namespace="obs-staging-apps",deployment=~"order|product|user"}',
    );
    expect(expr).toMatch(
      /\) or count by \(namespace, service_name\) \(label_replace\(up\{namespace="obs-staging-apps",job=~"order\|product\|user"\} == 1/,
    );
  });

  test("the headroom alert follows headroomPercent", () => {
    const alert = (h: number) =>
      capacityRules(configOf("prod", (c) => (c.capacity.headroomPercent = h))).find(
        (r) => r.alert === ALERT_NAMES.headroomLow,
      );
    expect(alert(30)?.expr).toContain(`${CAPACITY_RECORDS.utilisation} > 0.7692`);
    expect(alert(100)?.expr).toContain(`${CAPACITY_RECORDS.utilisation} > 0.5`);
    expect(alert(100)?.annotations?.summary).toBe("{{ $labels.service }} uses more than 50% of its capacity");
  });

  test("services whose replicas equal maxReplicas get no at-max alert; none scalable means no rule", () => {
    const atMax = (config: StackConfig) => capacityRules(config).filter((r) => r.alert === ALERT_NAMES.atMaxReplicas);
    const oneFixed = configOf("prod", (c) => (c.services.order.maxReplicas = c.services.order.replicas));
    expect(atMax(oneFixed)[0]?.expr).toContain('horizontalpodautoscaler=~"product|user"');
    const allFixed = configOf("prod", (c) => {
      for (const s of ["order", "product", "user"]) c.services[s].maxReplicas = c.services[s].replicas;
    });
    expect(atMax(allFixed)).toEqual([]);
  });
});

describe("storage rules", () => {
  test("dev watches Prometheus and Loki, Jaeger too where on disk; distributed prod only Prometheus", () => {
    const stores = (stack: string) => storageRules(configOf(stack)).map((r) => r.labels?.[STORE_LABEL]);
    expect(stores("dev")).toEqual(["prometheus", "loki"]);
    expect(stores("prod")).toEqual(["prometheus"]);
    expect(storageRules(singleProd()).map((r) => r.labels?.[STORE_LABEL])).toEqual(["prometheus", "loki", "jaeger"]);
  });

  test("each compares against its configured limit in bytes, predicting 4 days ahead from 6 hours", () => {
    const [prometheus, loki, jaeger] = storageRules(singleProd());
    expect(prometheus?.expr).toContain(`/ ${160 * 2 ** 30} > 0.85 and predict_linear(`);
    expect(prometheus?.expr).toContain(`[6h:15m], 345600) > ${160 * 2 ** 30}`);
    // the environment's own stores only (its platform namespace): another environment may share the Prometheus
    expect(loki?.expr).toContain(
      'increase(loki_ingester_chunk_stored_bytes_total{namespace="obs-prod-platform"}[31d])',
    );
    expect(jaeger?.expr).toContain(
      'increase(otelcol_exporter_sent_spans_total{namespace="obs-prod-platform",exporter=~".*jaeger.*"}[168h])) * 3600',
    );
    expect(prometheus?.expr).toContain('prometheus_tsdb_storage_blocks_bytes{namespace="obs-prod-platform"}');
  });

  test("Loki and Jaeger stay quiet where the kubelet reports their claim; Prometheus (retention size) never does", () => {
    const [prometheus, loki, jaeger] = storageRules(singleProd());
    expect(prometheus?.expr).not.toContain("unless");
    expect(loki?.expr).toMatch(
      /unless on\(\) kubelet_volume_stats_used_bytes\{namespace="obs-prod-platform",persistentvolumeclaim=~"storage-loki-\[0-9\]\+"\}$/,
    );
    expect(jaeger?.expr).toMatch(/persistentvolumeclaim=~"jaeger-badger"\}$/);
  });

  test("the storage group runs every 5 minutes (the Loki estimate reads 31 days of a counter)", () => {
    expect(storageRuleGroup(configOf("prod"), namespaces(configOf("prod"))).interval).toBe("5m");
  });
});
