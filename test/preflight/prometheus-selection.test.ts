import { repoRoot } from "../../infra/charts/values-files";
import { loadStackConfig } from "../../infra/config/stack-file";
import { environmentNamespaceSelector } from "../../infra/monitoring/values";
import { commonLabels, PART_OF } from "../../infra/platform/labels";
import { namespaces, RELEASES } from "../../infra/platform/naming";
import { runChecks } from "../../infra/preflight/checks";
import { describe as describeObject, providedObjects } from "../../infra/preflight/checks/objects";
import { rulesHaveTargets } from "../../infra/preflight/checks/rule-targets";
import {
  loadedBy,
  monitorsSelectTargets,
  PLATFORM_COMPONENTS,
  platformComponentsScraped,
  SELECTED_KINDS,
  type SelectedKind,
  scrapeTargets,
  selectedBy,
} from "../../infra/preflight/checks/scraping";
import { asKubernetesObject, HELM_CHART_TYPE } from "../../infra/preflight/collect";
import { chartSpecOf } from "../../infra/preflight/main";
import { chartSourcesDir, type RenderedObject, renderChart } from "../../infra/render/render";
import { runStack, type Stack } from "../infra/support";
import { deployment, obj } from "./support";

// Each environment's Prometheus loads monitors and rules from its own namespaces only (infra/monitoring/values.ts),
// and the preflight model decides what a Prometheus loads as the operator does (checks/scraping/selection.ts).

const MONITORING = "monitoring.coreos.com/v1";
const ORDER = { "app.kubernetes.io/name": "order" };
/** The labels dev's Prometheus takes namespaces by, as the program computes them. */
const OWN = environmentNamespaceSelector(
  commonLabels({ environment: "dev", team: "platform", costCenter: "cc-1" }, "monitoring"),
).matchLabels;

const namespace = (name: string, labels: Record<string, string> = {}) =>
  obj({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
const prometheus = (spec: Record<string, unknown>, ns = "dev-platform") =>
  obj({ apiVersion: MONITORING, kind: "Prometheus", metadata: { name: "kps-prometheus", namespace: ns }, spec });
/** kps' Prometheus as the program configures it: any labels, namespaces labelled with the environment. */
const envPrometheus = (matchLabels: Record<string, string> = OWN, ns = "dev-platform") =>
  prometheus(
    Object.fromEntries(
      Object.values(SELECTED_KINDS).flatMap((f) => [
        [f.selector, {}],
        [f.namespaceSelector, { matchLabels }],
      ]),
    ),
    ns,
  );
const monitor = (kind: SelectedKind, name: string, ns: string, spec: Record<string, unknown> = {}, labels = {}) =>
  obj({ apiVersion: MONITORING, kind, metadata: { name, namespace: ns, labels }, spec });
/** The order service in `ns`: pods, Service, and a ServiceMonitor in `monitorNs` looking into `ns`. */
const order = (ns: string, monitorNs = ns) => [
  deployment("order", ns, ORDER),
  obj({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "order", namespace: ns, labels: ORDER },
    spec: { selector: ORDER, ports: [{ name: "http", port: 80 }] },
  }),
  monitor("ServiceMonitor", "order", monitorNs, {
    selector: { matchLabels: ORDER },
    namespaceSelector: { matchNames: [ns] },
    endpoints: [{ port: "http" }],
  }),
];
const ORDER_COMPONENT = (ns: string) => ({ name: "order", namespace: ns, pods: ORDER });
const selectsFindings = (objects: RenderedObject[]) =>
  [...monitorsSelectTargets(objects), ...rulesHaveTargets(objects)].filter((f) => f.check === "prometheus-selects");

describe("which monitors and rules a Prometheus loads (operator semantics)", () => {
  test("a ServiceMonitor in a namespace with the environment's labels is scraped; moved to an unlabelled namespace it is reported by name and its component is not scraped", () => {
    const labelled = [envPrometheus(), namespace("dev-apps", OWN), ...order("dev-apps")];
    expect(monitorsSelectTargets(labelled)).toEqual([]);
    expect(platformComponentsScraped(labelled, [ORDER_COMPONENT("dev-apps")])).toEqual([]);

    const moved = [envPrometheus(), namespace("dev-apps", OWN), namespace("other"), ...order("dev-apps", "other")];
    expect(monitorsSelectTargets(moved)).toEqual([
      {
        check: "prometheus-selects",
        object: "ServiceMonitor other/order (test)",
        message: `no Prometheus selects it, so it is never scraped: Prometheus dev-platform/kps-prometheus: serviceMonitorNamespaceSelector ${JSON.stringify({ matchLabels: OWN })} does not match namespace other (labels {"kubernetes.io/metadata.name":"other"})`,
      },
    ]);
    const unscraped = platformComponentsScraped(moved, [ORDER_COMPONENT("dev-apps")]);
    expect(unscraped.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^order is not scraped: .*; ServiceMonitor other\/order \(test\) would scrape them, but no Prometheus selects it/,
      ),
    ]);
  });

  test("one label of the two missing is enough to exclude a namespace (a foreign namespace labelled environment: dev)", () => {
    const onlyEnvironment = Object.fromEntries(Object.entries(OWN).filter(([, value]) => value !== PART_OF));
    expect(onlyEnvironment).toEqual({ environment: "dev" });
    const foreign = [envPrometheus(), namespace("team-x", onlyEnvironment), ...order("team-x")];
    expect(selectsFindings(foreign).map((f) => f.object)).toEqual(["ServiceMonitor team-x/order (test)"]);
  });

  test("an empty namespace selector takes every namespace; an absent one only the Prometheus' own", () => {
    const everywhere = prometheus({ serviceMonitorSelector: {}, serviceMonitorNamespaceSelector: {} });
    const ownOnly = prometheus({ serviceMonitorSelector: {} });
    const inApps = [namespace("dev-apps"), ...order("dev-apps")];
    expect(selectsFindings([everywhere, ...inApps])).toEqual([]);
    expect(selectsFindings([ownOnly, ...inApps])[0]?.message).toMatch(
      /serviceMonitorNamespaceSelector is not set \(only its own namespace dev-platform\), and this is in dev-apps$/,
    );
    expect(selectsFindings([ownOnly, namespace("dev-platform"), ...order("dev-platform")])).toEqual([]);
  });

  test("an absent object selector selects nothing, an empty one everything, matchLabels only monitors with those labels", () => {
    const withLabel = monitor("PodMonitor", "a", "dev-apps", { selector: { matchLabels: ORDER } }, { team: "x" });
    const set = [namespace("dev-apps", OWN), deployment("order", "dev-apps", ORDER), withLabel];
    const spec = (selector: unknown) => ({ podMonitorSelector: selector, podMonitorNamespaceSelector: {} });
    expect(selectsFindings([prometheus(spec(undefined)), ...set])[0]?.message).toMatch(
      /podMonitorSelector is not set \(it selects no PodMonitor\)$/,
    );
    expect(selectsFindings([prometheus(spec({})), ...set])).toEqual([]);
    expect(selectsFindings([prometheus(spec({ matchLabels: { team: "x" } })), ...set])).toEqual([]);
    expect(selectsFindings([prometheus(spec({ matchLabels: { team: "y" } })), ...set])[0]?.message).toMatch(
      /podMonitorSelector {"matchLabels":{"team":"y"}} does not match its labels {"team":"x"}$/,
    );
  });

  test("a namespace without a Namespace object has unknown labels; the API server's name label is known for those with one", () => {
    const byName = prometheus({
      probeSelector: {},
      probeNamespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dev-apps" } },
    });
    const probe = monitor("Probe", "order-readiness", "dev-apps");
    expect(selectsFindings([byName, probe])[0]?.message).toMatch(
      /probeNamespaceSelector .* and namespace dev-apps is not in the set \(its labels are unknown\)$/,
    );
    expect(selectsFindings([byName, namespace("dev-apps"), probe])).toEqual([]);
  });

  test("every kind has its own pair of fields: Probe, ScrapeConfig and PrometheusRule in an unlabelled namespace are each reported", () => {
    const set = [
      envPrometheus(),
      namespace("other"),
      monitor("Probe", "p", "other"),
      monitor("ScrapeConfig", "s", "other"),
      monitor("PrometheusRule", "r", "other", { groups: [] }),
    ];
    expect(selectsFindings(set).map((f) => f.message.match(/: (\w+NamespaceSelector)/)?.[1])).toEqual([
      "probeNamespaceSelector",
      "scrapeConfigNamespaceSelector",
      "ruleNamespaceSelector",
    ]);
    expect(selectsFindings(set)[2]?.message).toMatch(/^no Prometheus selects it, so its rules are never evaluated: /);
  });

  test("a set without a Prometheus resource counts every monitor and reports nothing (checks of partial sets)", () => {
    const set = [namespace("other"), ...order("dev-apps", "other")];
    expect(selectsFindings(set)).toEqual([]);
    expect(scrapeTargets(set).map((t) => t.job)).toEqual(["order"]);
  });

  test("with two environments in one set, a rule is judged against its own Prometheus' targets only", () => {
    const STAGING = { ...OWN, environment: "staging" };
    const rule = monitor("PrometheusRule", "service-health", "dev-platform", {
      groups: [{ name: "service-health", rules: [{ alert: "OrderDown", expr: 'up{job="order"} == 0' }] }],
    });
    const dev = [envPrometheus(), namespace("dev-platform", OWN), namespace("dev-apps", OWN), rule];
    const staging = [envPrometheus(STAGING, "staging-platform"), namespace("staging-apps", STAGING)];
    // staging's order produces job "order" too, but dev's Prometheus does not scrape it
    const findings = rulesHaveTargets([...dev, ...staging, ...order("staging-apps")]);
    expect(findings.map((f) => `${f.check}: ${f.object}`)).toEqual([
      "rule-targets: PrometheusRule dev-platform/service-health (test)",
    ]);
    expect(findings[0]?.message).toMatch(/jobs produced for Prometheus dev-platform\/kps-prometheus \(test\): none/);
    expect(rulesHaveTargets([...dev, ...staging, ...order("dev-apps"), ...order("staging-apps")])).toEqual([]);
  });
});

describe("the selector the program sets", () => {
  test.each(["dev", "staging", "prod"] as const)(
    "%s: matches the labels the program gives its namespaces, and no other environment's",
    (stack) => {
      const config = loadStackConfig(stack);
      const selector = environmentNamespaceSelector(commonLabels(config, "monitoring"));
      expect(selector.matchLabels.environment).toBe(stack);
      for (const other of ["dev", "staging", "prod"] as const) {
        const otherConfig = loadStackConfig(other);
        const ns = namespaces(otherConfig);
        for (const name of [ns.platform, ns.apps]) {
          const labels = commonLabels(otherConfig, name);
          const selected = Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v);
          expect([other, name, selected]).toEqual([other, name, other === stack]);
        }
      }
    },
  );

  test("labels without the environment stop the program instead of selecting every namespace", () => {
    expect(() => environmentNamespaceSelector({ team: "platform" })).toThrow(/needs label environment/);
  });
});

// The real program and every chart rendered by real Helm.
const sources = chartSourcesDir(repoRoot());
const required = process.env.REQUIRE_CHART_SOURCES === "1";
const withSources = sources || required ? test : test.skip;

/**
 * The program's objects, every chart rendered, and what the cluster provides: the set preflight checks.
 * `partial`: some sub-chart was not rendered (as preflight passes it to the checks).
 */
async function stackObjects(stack: Stack): Promise<RenderedObject[] & { partial?: boolean }> {
  if (!sources) throw new Error("REQUIRE_CHART_SOURCES=1 but no chart sources: set CHART_SOURCES_DIR");
  const { resources } = await runStack(stack);
  const program = resources.flatMap((r) => {
    const object = asKubernetesObject(r);
    return object ? [{ object, origin: "program" } as RenderedObject] : [];
  });
  const charts = await Promise.all(
    resources.filter((r) => r.type === HELM_CHART_TYPE).map((r) => renderChart(chartSpecOf(r), sources)),
  );
  const platform = namespaces(loadStackConfig(stack)).platform;
  const objects = [
    ...program,
    ...charts.flatMap((c) => c.objects),
    ...providedObjects(platform, `${RELEASES.monitoring}-kubelet`),
  ];
  return Object.assign(objects, { partial: charts.some((c) => c.missingSubcharts.length > 0) });
}

const KINDS = Object.keys(SELECTED_KINDS) as SelectedKind[];
const isSelectable = (r: RenderedObject) => KINDS.includes(r.object.kind as SelectedKind);
const prometheusOf = (objects: RenderedObject[], stack: Stack) =>
  objects.find(
    (r) =>
      r.object.kind === "Prometheus" && r.object.metadata.namespace === namespaces(loadStackConfig(stack)).platform,
  ) as RenderedObject;
const inStack = (r: RenderedObject, stack: Stack) =>
  Object.values(namespaces(loadStackConfig(stack))).includes(r.object.metadata.namespace ?? "");

describe("dev and staging rendered into one cluster (real pinned charts)", () => {
  const sets = {} as Record<"dev" | "staging", RenderedObject[]>;
  beforeAll(async () => {
    if (!sources) return;
    sets.dev = await stackObjects("dev");
    sets.staging = await stackObjects("staging");
  });
  const both = () => [...sets.dev, ...sets.staging];

  withSources(
    "each environment's Prometheus selects every monitor, probe and rule of its own namespaces and none of the other's",
    () => {
      for (const stack of ["dev", "staging"] as const) {
        const other = stack === "dev" ? "staging" : "dev";
        const selected = selectedBy(prometheusOf(both(), stack), both(), KINDS);
        const own = both().filter((r) => isSelectable(r) && inStack(r, stack));
        expect(own.length).toBeGreaterThan(30); // the program's and the charts' monitors, probes and rules
        expect(selected.map(describeObject).sort()).toEqual(own.map(describeObject).sort());
        expect(selected.filter((r) => inStack(r, other))).toEqual([]);
        // every selectable object of the set lives in one of the two environments' namespaces
        expect(both().filter((r) => isSelectable(r) && !inStack(r, stack) && !inStack(r, other))).toEqual([]);
      }
    },
  );

  withSources(
    "kps' monitors of cluster components live in the release namespace, are selected, and reach kube-system and default",
    () => {
      const dev = prometheusOf(both(), "dev");
      const targets = scrapeTargets(both(), loadedBy(both(), dev));
      const reached = (monitor: string) =>
        targets
          .filter((t) => t.monitor.object.metadata.name === monitor && inStack(t.monitor, "dev"))
          .map((t) => `${t.service?.object.metadata.namespace}/${t.service?.object.metadata.name}`);
      expect(reached("kps-kubelet")).toContain("kube-system/kps-kubelet");
      expect(reached("kps-coredns")).toContain("kube-system/kps-coredns"); // the chart's own Service for CoreDNS
      expect(reached("kps-apiserver")).toContain("default/kubernetes");
    },
  );

  withSources(
    "with only dev's Prometheus in the set, staging's monitors, probes and rules are reported, dev's are not, and staging's services are not scraped",
    () => {
      const stagingPrometheus = prometheusOf(both(), "staging");
      const set = both().filter((r) => r !== stagingPrometheus);
      const reported = selectsFindings(set).map((f) => f.object);
      const staging = set.filter((r) => isSelectable(r) && inStack(r, "staging")).map(describeObject);
      expect(reported.sort()).toEqual(staging.sort());
      const components = PLATFORM_COMPONENTS(namespaces(loadStackConfig("staging"))).filter((c) => c.name === "order");
      expect(platformComponentsScraped(set, components).map((f) => f.message)).toEqual([
        expect.stringMatching(
          /^order is not scraped: .*ServiceMonitor obs-staging-apps\/order \(program\) would scrape/,
        ),
      ]);
    },
  );
});

describe("dev's full preflight checks catch a monitor outside the environment's namespaces (real pinned charts)", () => {
  let dev: RenderedObject[] = [];
  let partial = false;
  beforeAll(async () => {
    if (!sources) return;
    dev = await stackObjects("dev");
    partial = (dev as { partial?: boolean }).partial ?? false;
  });
  const check = (objects: RenderedObject[]) =>
    runChecks(objects, { config: loadStackConfig("dev"), partial }).map((f) => `${f.check}: ${f.object}`);
  const isNamespace = (r: RenderedObject, name: string) =>
    r.object.kind === "Namespace" && r.object.metadata.name === name;

  withSources("baseline: the stack as configured checks clean", () => {
    expect(check(dev)).toEqual([]);
  });

  withSources(
    "order's ServiceMonitor moved to a namespace without the environment's labels: named by prometheus-selects, order not scraped",
    () => {
      const moved = dev.map((r) =>
        r.object.kind === "ServiceMonitor" && r.object.metadata.name === "order"
          ? { ...r, object: { ...r.object, metadata: { ...r.object.metadata, namespace: "obs-dev-extra" } } }
          : r,
      );
      // exactly these two: the moved monitor, and the component only it scraped
      expect(check([...moved, namespace("obs-dev-extra", { team: "platform" })])).toEqual([
        "prometheus-selects: ServiceMonitor obs-dev-extra/order (program)",
        "component-scraped: Deployment obs-dev-apps/order (program)",
      ]);
    },
  );

  withSources(
    "the environment label removed from the apps namespace: every monitor and Probe there is reported",
    () => {
      const apps = namespaces(loadStackConfig("dev")).apps;
      const unlabelled = dev.map((r) => {
        if (!isNamespace(r, apps)) return r;
        const { environment: _dropped, ...labels } = r.object.metadata.labels ?? {};
        return { ...r, object: { ...r.object, metadata: { ...r.object.metadata, labels } } };
      });
      const reported = check(unlabelled).filter((f) => f.startsWith("prometheus-selects"));
      const inApps = dev.filter((r) => isSelectable(r) && r.object.metadata.namespace === apps);
      expect(inApps.map((r) => r.object.kind)).toEqual(expect.arrayContaining(["ServiceMonitor", "Probe"]));
      expect(reported.sort()).toEqual(inApps.map((r) => `prometheus-selects: ${describeObject(r)}`).sort());
    },
  );
});
