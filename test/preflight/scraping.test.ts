import type { StackConfig } from "../../infra/config/schema";
import { runChecks } from "../../infra/preflight/checks";
import { providedObjects } from "../../infra/preflight/checks/objects";
import {
  anchoredRegex,
  componentsMaybeUnrendered,
  jobsProduced,
  monitorsSelectTargets,
  PLATFORM_COMPONENTS,
  type PlatformComponent,
  platformComponentsScraped,
} from "../../infra/preflight/checks/scraping";
import type { RenderedObject } from "../../infra/render/render";
import { deployment, obj } from "./support";

const NS = "p";
const LOKI = { "app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki" };

const service = (
  name: string,
  selector: Record<string, string>,
  ports: { name?: string; port: number; targetPort?: string | number }[] = [{ name: "http-metrics", port: 3100 }],
  labels: Record<string, string> = selector,
  namespace = NS,
) => obj({ apiVersion: "v1", kind: "Service", metadata: { name, namespace, labels }, spec: { selector, ports } });

const serviceMonitor = (name: string, spec: Record<string, unknown>, namespace = NS) =>
  obj({ apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name, namespace }, spec });

const podMonitor = (name: string, spec: Record<string, unknown>, namespace = NS) =>
  obj({ apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata: { name, namespace }, spec });

/** Loki as its chart renders it: a StatefulSet-like workload, its Service and a working ServiceMonitor. */
const lokiPods = deployment("loki", NS, LOKI, {
  containers: [{ name: "loki", ports: [{ name: "http-metrics", containerPort: 3100 }] }],
});
const lokiService = service("loki", LOKI);
const lokiMonitor = serviceMonitor("loki", { selector: { matchLabels: LOKI }, endpoints: [{ port: "http-metrics" }] });

const LOKI_COMPONENT: PlatformComponent = { name: "loki", namespace: NS, pods: LOKI, release: "loki" };

describe("monitor-selects-targets check", () => {
  test("passes when the ServiceMonitor selects a Service with its port and the Service selects pods", () => {
    expect(monitorsSelectTargets([lokiPods, lokiService, lokiMonitor])).toEqual([]);
  });

  test("fails on a ServiceMonitor whose selector matches no Service, naming the selector and the Services there", () => {
    const typo = serviceMonitor("loki", {
      selector: { matchLabels: { ...LOKI, "app.kubernetes.io/name": "lokii" } },
      endpoints: [{ port: "http-metrics" }],
    });
    const findings = monitorsSelectTargets([lokiPods, lokiService, typo]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.object).toBe("ServiceMonitor p/loki (test)");
    expect(findings[0]?.message).toMatch(/selector .*lokii.* in p selects no Service \(Services there: loki\)/);
  });

  test("fails on an endpoint port that no selected Service has, listing the ports it has", () => {
    const wrongPort = serviceMonitor("loki", { selector: { matchLabels: LOKI }, endpoints: [{ port: "metrics" }] });
    const findings = monitorsSelectTargets([lokiPods, lokiService, wrongPort]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toBe(
      'endpoints[0] port "metrics" is not a port of any selected Service: loki (ports: http-metrics)',
    );
  });

  test("a targetPort endpoint matches a Service's target port or a container port behind it", () => {
    const byNumber = serviceMonitor("loki", { selector: { matchLabels: LOKI }, endpoints: [{ targetPort: 3100 }] });
    const byContainerName = serviceMonitor("loki", {
      selector: { matchLabels: LOKI },
      endpoints: [{ targetPort: "http-metrics" }],
    });
    const wrong = serviceMonitor("loki", { selector: { matchLabels: LOKI }, endpoints: [{ targetPort: 9999 }] });
    expect(monitorsSelectTargets([lokiPods, lokiService, byNumber])).toEqual([]);
    expect(monitorsSelectTargets([lokiPods, lokiService, byContainerName])).toEqual([]);
    expect(monitorsSelectTargets([lokiPods, lokiService, wrong])[0]?.message).toMatch(/targetPort 9999 is not a port/);
  });

  test("fails when the selected Service selects no pod template", () => {
    const orphan = service("loki", { ...LOKI, "app.kubernetes.io/component": "gone" }, undefined, LOKI);
    const findings = monitorsSelectTargets([lokiPods, orphan, lokiMonitor]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toMatch(/reaches Service loki, whose selector .*gone.* selects no pod template in p/);
  });

  test("a Service without a selector (endpoints managed by a controller) counts as reachable", () => {
    const kubelet = serviceMonitor("kubelet", {
      selector: { matchLabels: { "k8s-app": "kubelet" } },
      namespaceSelector: { matchNames: ["kube-system"] },
      endpoints: [{ port: "https-metrics" }],
    });
    expect(monitorsSelectTargets([kubelet, ...providedObjects(NS, "kps-kubelet")])).toEqual([]);
  });

  test("namespaceSelector: default is the monitor's own namespace; matchNames and any widen it", () => {
    const elsewhere = service("loki", LOKI, undefined, LOKI, "other");
    const podsElsewhere = deployment("loki", "other", LOKI, {
      containers: [{ name: "loki", ports: [{ name: "http-metrics", containerPort: 3100 }] }],
    });
    const own = serviceMonitor("loki", { selector: { matchLabels: LOKI }, endpoints: [{ port: "http-metrics" }] });
    const named = serviceMonitor("loki", {
      ...(own.object.spec as object),
      namespaceSelector: { matchNames: ["other"] },
    });
    const any = serviceMonitor("loki", { ...(own.object.spec as object), namespaceSelector: { any: true } });
    const set = [elsewhere, podsElsewhere];
    expect(monitorsSelectTargets([...set, own])[0]?.message).toMatch(/in p selects no Service/);
    expect(monitorsSelectTargets([...set, named])).toEqual([]);
    expect(monitorsSelectTargets([...set, any])).toEqual([]);
  });

  test("PodMonitor: fails when it selects no pod, or names a container port the pods lack; passes otherwise", () => {
    const good = podMonitor("loki", {
      selector: { matchLabels: LOKI },
      podMetricsEndpoints: [{ port: "http-metrics" }],
    });
    const none = podMonitor("loki", {
      selector: { matchLabels: { "app.kubernetes.io/name": "nobody" } },
      podMetricsEndpoints: [{ port: "http-metrics" }],
    });
    const wrongPort = podMonitor("loki", {
      selector: { matchLabels: LOKI },
      podMetricsEndpoints: [{ port: "metrics" }],
    });
    expect(monitorsSelectTargets([lokiPods, good])).toEqual([]);
    expect(monitorsSelectTargets([lokiPods, none])[0]?.message).toMatch(
      /selector .*nobody.* in p selects no pod template/,
    );
    expect(monitorsSelectTargets([lokiPods, wrongPort])[0]?.message).toBe(
      'podMetricsEndpoints[0] port "metrics" is not a container port of any selected pod: Deployment p/loki (test) (container ports: http-metrics)',
    );
  });
});

describe("component-scraped check", () => {
  test("passes when a ServiceMonitor reaches a Service that selects the component's pods", () => {
    expect(platformComponentsScraped([lokiPods, lokiService, lokiMonitor], [LOKI_COMPONENT])).toEqual([]);
  });

  test("passes when a PodMonitor selects the component's pods", () => {
    const pm = podMonitor("loki", { selector: { matchLabels: LOKI }, podMetricsEndpoints: [{ port: "http-metrics" }] });
    expect(platformComponentsScraped([lokiPods, pm], [LOKI_COMPONENT])).toEqual([]);
  });

  test("fails for a component without a monitor, naming the Services that could be scraped", () => {
    const findings = platformComponentsScraped([lokiPods, lokiService], [LOKI_COMPONENT]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.object).toBe("Deployment p/loki (test)");
    expect(findings[0]?.message).toMatch(
      /^loki is not scraped: .*Services selecting them: loki \(ports: http-metrics\)$/,
    );
  });

  test("a monitor whose endpoint port does not exist does not count as scraping", () => {
    const wrongPort = serviceMonitor("loki", { selector: { matchLabels: LOKI }, endpoints: [{ port: "metrics" }] });
    expect(platformComponentsScraped([lokiPods, lokiService, wrongPort], [LOKI_COMPONENT])).toHaveLength(1);
  });

  test("a component with no pods at all is reported, unless allowMissing names it", () => {
    const findings = platformComponentsScraped([lokiService], [LOKI_COMPONENT]);
    expect(findings).toEqual([
      {
        check: "component-scraped",
        object: "component loki",
        message: `no pods of loki in the rendered set (labels ${JSON.stringify(LOKI)} in p)`,
      },
    ]);
    expect(platformComponentsScraped([lokiService], [LOKI_COMPONENT], ["loki"])).toEqual([]);
    // allowMissing only excuses absence: present but unscraped still fails.
    expect(platformComponentsScraped([lokiPods, lokiService], [LOKI_COMPONENT], ["loki"])).toHaveLength(1);
  });

  test("pods of the component in another (or no) namespace are pointed out", () => {
    const noNamespace = obj({ ...lokiPods.object, metadata: { name: "loki" } });
    expect(platformComponentsScraped([noNamespace], [LOKI_COMPONENT])[0]?.message).toMatch(
      /pods with these labels exist elsewhere: Deployment loki \(test\) in namespace ""/,
    );
  });

  test("PLATFORM_COMPONENTS covers every component, in the stack's namespaces", () => {
    const components = PLATFORM_COMPONENTS({ platform: "obs-dev-platform", apps: "obs-dev-apps" });
    expect(components.map((c) => c.name)).toEqual([
      "prometheus",
      "alertmanager",
      "grafana",
      "loki",
      "alloy",
      "prometheus-blackbox-exporter",
      "otel-collector",
      "jaeger",
      "responder",
      "order",
      "product",
      "user",
    ]);
    expect(components.find((c) => c.name === "order")?.namespace).toBe("obs-dev-apps");
    expect(components.find((c) => c.name === "prometheus")?.pods).toEqual({
      "app.kubernetes.io/name": "prometheus",
      "app.kubernetes.io/instance": "kps-prometheus",
    });
  });

  test("componentsMaybeUnrendered: sub-chart components, and those of releases that rendered nothing", () => {
    const components = PLATFORM_COMPONENTS({ platform: "p", apps: "a" });
    const renderedKpsOnly = [obj({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }, "kps")];
    expect(componentsMaybeUnrendered(renderedKpsOnly, components)).toEqual([
      "grafana",
      "loki",
      "alloy",
      "prometheus-blackbox-exporter",
      "otel-collector",
      "jaeger",
    ]);
  });

  test("the Prometheus operator's pods count: a ServiceMonitor on the Prometheus Service scrapes Prometheus", () => {
    const prometheus = obj({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "Prometheus",
      metadata: { name: "kps-prometheus", namespace: NS },
      // it selects every ServiceMonitor in every namespace (absent selectors would select none)
      spec: { serviceMonitorSelector: {}, serviceMonitorNamespaceSelector: {} },
    });
    const svc = service(
      "kps-prometheus",
      { "app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": "kps-prometheus" },
      [{ name: "http-web", port: 9090 }],
      { "self-monitor": "true" },
    );
    const sm = serviceMonitor("kps-prometheus", {
      selector: { matchLabels: { "self-monitor": "true" } },
      endpoints: [{ port: "http-web" }],
    });
    const component = PLATFORM_COMPONENTS({ platform: NS, apps: "a" }).filter((c) => c.name === "prometheus");
    expect(platformComponentsScraped([prometheus, svc, sm], component)).toEqual([]);
    expect(platformComponentsScraped([prometheus, svc], component)).toHaveLength(1);
  });
});

describe("jobsProduced", () => {
  const jobs = (objects: RenderedObject[]) => jobsProduced(objects).map((j) => j.job);

  test("ServiceMonitor: the Service name, or the Service label named by jobLabel when the Service has it", () => {
    const labelled = service("kps-node-exporter", LOKI, undefined, { ...LOKI, jobLabel: "node-exporter" });
    const withJobLabel = serviceMonitor("ne", {
      jobLabel: "jobLabel",
      selector: { matchLabels: LOKI },
      endpoints: [{ port: "http-metrics" }],
    });
    const missingLabel = serviceMonitor("ne", { ...(withJobLabel.object.spec as object), jobLabel: "absent" });
    expect(jobs([lokiPods, lokiService, lokiMonitor])).toEqual(["loki"]);
    expect(jobs([lokiPods, labelled, withJobLabel])).toEqual(["node-exporter"]);
    expect(jobs([lokiPods, labelled, missingLabel])).toEqual(["kps-node-exporter"]);
  });

  test("only Services that have the endpoint's port produce a job", () => {
    const memberlist = service("loki-memberlist", LOKI, [{ name: "tcp", port: 7946 }]);
    expect(jobs([lokiPods, lokiService, memberlist, lokiMonitor])).toEqual(["loki"]);
  });

  test("endpoint relabelings on job are applied (the Loki chart prefixes the namespace)", () => {
    const relabelled = serviceMonitor("loki", {
      selector: { matchLabels: LOKI },
      endpoints: [
        {
          port: "http-metrics",
          relabelings: [{ sourceLabels: ["job"], action: "replace", replacement: "p/$1", targetLabel: "job" }],
        },
      ],
    });
    const fromUnknown = serviceMonitor("loki", {
      selector: { matchLabels: LOKI },
      endpoints: [
        { port: "http-metrics", relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_name"], targetLabel: "job" }] },
      ],
    });
    const dropped = serviceMonitor("loki", {
      selector: { matchLabels: LOKI },
      endpoints: [{ port: "http-metrics", relabelings: [{ action: "labeldrop", regex: "job|instance" }] }],
    });
    const keptByFilter = serviceMonitor("loki", {
      selector: { matchLabels: LOKI },
      endpoints: [
        { port: "http-metrics", relabelings: [{ action: "drop", sourceLabels: ["service"], regex: "loki" }] },
      ],
    });
    expect(jobs([lokiPods, lokiService, relabelled])).toEqual(["p/loki"]);
    expect(jobs([lokiPods, lokiService, dropped])).toEqual([""]);
    expect(jobs([lokiPods, lokiService, keptByFilter])).toEqual([]);
    expect(jobs([lokiPods, lokiService, fromUnknown])).toEqual([undefined]);
  });

  test("PodMonitor: <namespace>/<name>, or the pod label named by jobLabel", () => {
    const pm = podMonitor("loki-pods", {
      selector: { matchLabels: LOKI },
      podMetricsEndpoints: [{ port: "http-metrics" }],
    });
    const byLabel = podMonitor("loki-pods", { ...(pm.object.spec as object), jobLabel: "app.kubernetes.io/name" });
    expect(jobs([lokiPods, pm])).toEqual(["p/loki-pods"]);
    expect(jobs([lokiPods, byLabel])).toEqual(["loki"]);
  });

  test("static jobs of additionalScrapeConfigs, and Probe job names", () => {
    const prometheus = obj({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "Prometheus",
      metadata: { name: "kps-prometheus", namespace: NS },
      spec: {
        additionalScrapeConfigs: { name: "extra", key: "additional-scrape-configs.yaml" },
        probeSelector: {},
        probeNamespaceSelector: {},
      },
    });
    const config = "- job_name: blackbox\n  static_configs:\n    - targets: [a:80]\n";
    const secret = obj({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "extra", namespace: NS },
      data: { "additional-scrape-configs.yaml": Buffer.from(config).toString("base64") },
    });
    const probe = obj({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "Probe",
      metadata: { name: "site", namespace: NS },
      spec: { targets: { staticConfig: { static: ["https://example.org"] } } },
    });
    expect(jobs([prometheus, secret, probe]).sort()).toEqual(["blackbox", "probe/p/site"]);
  });

  test("anchoredRegex anchors like Prometheus and understands RE2's (?i) and (?P<name>)", () => {
    expect(anchoredRegex("rder")?.test("order")).toBe(false);
    expect(anchoredRegex("order|user")?.test("user")).toBe(true);
    expect(anchoredRegex("(?i)ORDER")?.test("order")).toBe(true);
    expect(anchoredRegex("(?P<svc>.+)")?.exec("order")?.groups?.svc).toBe("order");
    expect(anchoredRegex("(")).toBeUndefined();
  });
});

describe("registry", () => {
  test("runChecks reports unscraped components and monitors that reach nothing", () => {
    const config = {
      namespacePrefix: "obs",
      environment: "dev",
      storage: { persistent: false },
      chaos: { enabled: false, schedules: false },
    } as StackConfig;
    const wrongPort = serviceMonitor("loki", { selector: { matchLabels: LOKI }, endpoints: [{ port: "metrics" }] });
    const checks = new Set(
      runChecks([lokiPods, lokiService, wrongPort], { config, partial: false }).map((f) => f.check),
    );
    expect(checks).toContain("monitor-selects-targets");
    expect(checks).toContain("component-scraped");
  });
});
