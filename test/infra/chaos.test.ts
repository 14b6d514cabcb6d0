import { CATALOGUE } from "../../infra/chaos/catalogue";
import { keepGeneratedCertificates, REGENERATED_ON_RENDER } from "../../infra/chaos/chaos-component";
import { stackPlan } from "../../infra/chaos/plan";
import { repoRoot } from "../../infra/charts/values-files";
import { defaultChaosEnabled } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces, POD_LABELS, RELEASES } from "../../infra/platform/naming";
import { scrapeTargets, selectedBy } from "../../infra/preflight/checks/scraping";
import { asKubernetesObject, type CollectedResource } from "../../infra/preflight/collect";
import { type KubernetesObject as SchemaObject, validateKubernetesObject } from "../../infra/preflight/k8s-schemas";
import { chartSpecOf } from "../../infra/preflight/main";
import { chartSourcesDir, type RenderedObject, renderChart } from "../../infra/render/render";
import { devConfig, problemsOf } from "./config-problems";
import { chart, ofType, runStack, type Stack } from "./support";

type Resources = CollectedResource[];
const CHAOS_RELEASES = [RELEASES.chaosMesh, RELEASES.pushgateway];
const chartsOf = (resources: Resources) =>
  ofType(resources, "kubernetes:helm.sh/v4:Chart").map((c) => c.inputs.name as string);
const chaosMeshObjects = (resources: Resources) =>
  resources.filter((r) => r.type.startsWith("kubernetes:chaos-mesh.org/"));
const appsNamespace = (resources: Resources, stack: Stack) =>
  ofType(resources, "kubernetes:core/v1:Namespace").find(
    (n) => n.inputs.metadata.name === namespaces({ namespacePrefix: "obs", environment: stack }).apps,
  );

const stacks: Record<Stack, Resources> = {} as Record<Stack, Resources>;
beforeAll(async () => {
  for (const stack of ["dev", "staging", "prod"] as Stack[]) stacks[stack] = (await runStack(stack)).resources;
});

describe("Chaos Mesh and the Pushgateway per stack (Pulumi mocks)", () => {
  test("dev and staging get Chaos Mesh 2.8.3 and Pushgateway 3.8.0; prod has no chart, object or annotation of chaos", () => {
    for (const stack of ["dev", "staging"] as Stack[]) {
      expect(chartsOf(stacks[stack])).toEqual(expect.arrayContaining(CHAOS_RELEASES));
      expect(chart(stacks[stack], RELEASES.chaosMesh).inputs).toMatchObject({ chart: "chaos-mesh", version: "2.8.3" });
      expect(chart(stacks[stack], RELEASES.pushgateway).inputs).toMatchObject({
        chart: "prometheus-pushgateway",
        version: "3.8.0",
      });
    }
    expect(chartsOf(stacks.prod).filter((c) => CHAOS_RELEASES.includes(c as never))).toEqual([]);
    expect(chaosMeshObjects(stacks.prod)).toEqual([]);
    expect(JSON.stringify(stacks.prod)).not.toContain("chaos-mesh.org/inject");
    expect([defaultChaosEnabled("dev"), defaultChaosEnabled("staging"), defaultChaosEnabled("prod")]).toEqual([
      true,
      true,
      false,
    ]);
  });

  test("the stack's chaos.enabled decides: dev switched off has none, prod switched on has both", async () => {
    const devOff = (await runStack("dev", (p) => (p.chaos = { enabled: false }))).resources;
    expect(chartsOf(devOff).filter((c) => CHAOS_RELEASES.includes(c as never))).toEqual([]);
    expect(appsNamespace(devOff, "dev")?.inputs.metadata.annotations).toBeUndefined();
    const prodOn = (await runStack("prod", (p) => (p.chaos = { enabled: true }))).resources;
    expect(chartsOf(prodOn)).toEqual(expect.arrayContaining(CHAOS_RELEASES));
  });

  test("namespace filtering is on: the controller's flag, and the inject annotation on the apps namespace alone", () => {
    for (const stack of ["dev", "staging"] as Stack[]) {
      const values = chart(stacks[stack], RELEASES.chaosMesh).inputs.values;
      expect(values.controllerManager.enableFilterNamespace).toBe(true);
      const annotated = ofType(stacks[stack], "kubernetes:core/v1:Namespace")
        .filter((n) => n.inputs.metadata.annotations?.["chaos-mesh.org/inject"] === "enabled")
        .map((n) => n.inputs.metadata.name);
      expect(annotated).toEqual([namespaces({ namespacePrefix: "obs", environment: stack }).apps]);
    }
  });

  test("Schedules only where chaos.schedules is on: staging has one per recurring infrastructure experiment, dev none", async () => {
    const recurring = CATALOGUE.filter(
      (e) => e.schedule && !["http-errors", "http-latency", "route-outage"].includes(e.fault.kind),
    );
    expect(recurring.length).toBeGreaterThan(0);
    const names = (resources: Resources) =>
      ofType(resources, "kubernetes:chaos-mesh.org/v1alpha1:Schedule").map((s) => s.inputs.metadata.name);
    expect(names(stacks.staging).sort()).toEqual(recurring.map((e) => e.name).sort());
    expect(names(stacks.dev)).toEqual([]);
    const devOn = (await runStack("dev", (p) => (p.chaos = { enabled: true, schedules: true }))).resources;
    expect(names(devOn).sort()).toEqual(recurring.map((e) => e.name).sort());
  });

  test("each Schedule runs its experiment for the length planned from its own stack's objectives, not a written one", async () => {
    const durations = (resources: Resources) =>
      Object.fromEntries(
        ofType(resources, "kubernetes:chaos-mesh.org/v1alpha1:Schedule").map((s) => {
          const type = s.inputs.spec.type as string;
          const held = s.inputs.spec[`${type.charAt(0).toLowerCase()}${type.slice(1)}`];
          return [s.inputs.metadata.name, held.duration];
        }),
      );
    const planned = (stack: Stack) => (name: string) =>
      `${stackPlan(loadStackConfig(stack)).find((e) => e.name === name)?.durationSeconds}s`;
    const staging = durations(stacks.staging);
    expect(Object.keys(staging).length).toBeGreaterThan(0);
    for (const [name, duration] of Object.entries(staging))
      expect([name, duration]).toEqual([name, planned("staging")(name)]);
    // a burn experiment's length follows the objective: dev's 95 % latency SLO pages later than staging's 99 %
    const devOn = durations((await runStack("dev", (p) => (p.chaos = { enabled: true, schedules: true }))).resources);
    expect(devOn["order-to-product-delay"]).toBe(planned("dev")("order-to-product-delay"));
    expect(devOn["order-to-product-delay"]).not.toBe(staging["order-to-product-delay"]);
  });

  test("chaos config: schedules without Chaos Mesh and a non-boolean are refused, naming the field", () => {
    expect(problemsOf((c) => (c.chaos = { enabled: false, schedules: true }))).toEqual([
      "chaos.schedules: must be false while chaos.enabled is false: a Schedule needs Chaos Mesh",
    ]);
    expect(problemsOf((c) => (c.chaos = { enabled: "yes" }))).toEqual(["chaos.enabled: must be true or false"]);
    expect(problemsOf((c) => (c.chaos = { enabled: true, recurring: true }))).toEqual([
      'chaos: Unrecognized key: "recurring"',
    ]);
    expect(devConfig().chaos).toEqual({ enabled: true, schedules: false });
  });

  test("the Chaos Mesh chart's transform ignores changes to the regenerated fields of those objects only", async () => {
    const transform = (type: string, name: string) =>
      keepGeneratedCertificates({ custom: true, type, name, props: { metadata: { name } }, opts: {} });
    expect(await transform("kubernetes:core/v1:Secret", "chaos-mesh-webhook-certs")).toMatchObject({
      opts: { ignoreChanges: ["data"] },
    });
    expect(
      await transform("kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration", "chaos-mesh-mutation"),
    ).toMatchObject({ opts: { ignoreChanges: ["webhooks[*].clientConfig.caBundle"] } });
    expect(await transform("kubernetes:core/v1:Secret", "some-other-secret")).toBeUndefined();
    expect(await transform("kubernetes:apps/v1:Deployment", "chaos-dashboard")).toBeUndefined();
  });
});

// What Helm really renders from the program's values (real chart sources, real helm).
const sources = chartSourcesDir(repoRoot());
const required = process.env.REQUIRE_CHART_SOURCES === "1";
const withSources = sources || required ? describe : describe.skip;
if (!sources && !required) console.warn("chart sources absent: the rendered Chaos Mesh checks are skipped");

const render = async (resources: Resources, release: string) =>
  (await renderChart(chartSpecOf(chart(resources, release)), sources as string)).objects;
const find = (objects: RenderedObject[], kind: string, name: string): any =>
  objects.find((r) => r.object.kind === kind && r.object.metadata.name === name)?.object;
const envOf = (container: any) =>
  Object.fromEntries((container.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));

withSources("rendered by real Helm", () => {
  let chaosMesh: RenderedObject[];
  let pushgateway: RenderedObject[];
  let kps: RenderedObject[];
  beforeAll(async () => {
    chaosMesh = await render(stacks.staging, RELEASES.chaosMesh);
    pushgateway = await render(stacks.staging, RELEASES.pushgateway);
    kps = await render(stacks.staging, RELEASES.monitoring);
  });

  test("the daemon runs against containerd through the host's containerd socket, not the chart's docker default", () => {
    const daemon = find(chaosMesh, "DaemonSet", "chaos-daemon");
    const command: string[] = daemon.spec.template.spec.containers[0].command;
    expect(command[command.indexOf("--runtime") + 1]).toBe("containerd");
    const socket = command[command.indexOf("--runtime-socket-path") + 1] as string;
    const mount = daemon.spec.template.spec.containers[0].volumeMounts.find((m: any) =>
      socket.startsWith(`${m.mountPath}/`),
    );
    const hostDir = daemon.spec.template.spec.volumes.find((v: any) => v.name === mount.name).hostPath.path;
    expect(`${hostDir}/${socket.slice(mount.mountPath.length + 1)}`).toBe("/run/containerd/containerd.sock");
  });

  test("namespace filtering and security mode reach the controller and the dashboard; the dashboard is not exposed", () => {
    const controller = envOf(
      find(chaosMesh, "Deployment", "chaos-controller-manager").spec.template.spec.containers[0],
    );
    expect(controller).toMatchObject({ ENABLE_FILTER_NAMESPACE: "true", SECURITY_MODE: "true" });
    const dashboard = envOf(find(chaosMesh, "Deployment", "chaos-dashboard").spec.template.spec.containers[0]);
    expect(dashboard).toMatchObject({ ENABLE_FILTER_NAMESPACE: "true", SECURITY_MODE: "true" });
    expect(find(chaosMesh, "Service", "chaos-dashboard").spec.type).toBe("ClusterIP");
  });

  test("the ServiceMonitors reach the rendered Services: the controller on :10080, the daemons, the Pushgateway", () => {
    const program = stacks.staging
      .map(asKubernetesObject)
      .filter((o) => o !== undefined)
      .map((object) => ({ object, origin: "program" }) as RenderedObject);
    const targets = scrapeTargets([...program, ...chaosMesh, ...pushgateway]);
    const by = (job: string) => targets.find((t) => t.job === job);
    const controller = by("chaos-mesh-controller-manager");
    expect(controller?.service?.object.spec).toMatchObject({
      ports: expect.arrayContaining([{ port: 10080, targetPort: "http", protocol: "TCP", name: "http" }]),
    });
    expect(controller?.pods.map((p) => p.labels)).toEqual([expect.objectContaining(POD_LABELS.chaosController)]);
    expect(by("chaos-daemon")?.pods.map((p) => p.labels)).toEqual([expect.objectContaining(POD_LABELS.chaosDaemon)]);
    const push = by("pushgateway");
    const platform = namespaces({ namespacePrefix: "obs", environment: "staging" }).platform;
    expect(push?.monitor.object.metadata.namespace).toBe(platform); // not the chart's default `monitoring`
    expect(push?.pods.map((p) => p.labels)).toEqual([expect.objectContaining(POD_LABELS.pushgateway)]);
    // and the rendered Prometheus picks both monitors up by their labels and their namespace's labels
    const prometheus = kps.find((r) => r.object.kind === "Prometheus") as RenderedObject;
    const selected = selectedBy(prometheus, [...program, ...chaosMesh, ...pushgateway, prometheus], ["ServiceMonitor"]);
    expect(selected).toEqual(expect.arrayContaining([controller?.monitor, push?.monitor]));
  });

  test("the Pushgateway keeps pushed results on a PVC of the stack's class where storage is persistent, emptyDir in dev", async () => {
    const withClass = (
      await runStack("staging", (p) => ((p.storage as Record<string, unknown>).storageClass = "fast-ssd"))
    ).resources;
    const rendered = await render(withClass, RELEASES.pushgateway);
    expect(find(rendered, "PersistentVolumeClaim", "pushgateway").spec).toMatchObject({ storageClassName: "fast-ssd" });
    const args: string[] = find(rendered, "Deployment", "pushgateway").spec.template.spec.containers[0].args;
    expect(args).toContain("--persistence.file=/data/pushgateway.data");
    const dev = await render(stacks.dev, RELEASES.pushgateway);
    expect(find(dev, "PersistentVolumeClaim", "pushgateway")).toBeUndefined();
    expect(find(dev, "Deployment", "pushgateway").spec.template.spec.volumes).toEqual([
      { name: "storage-volume", emptyDir: {} },
    ]);
  });

  test("staging's Schedules are valid against the chart's own Schedule CRD", async () => {
    const crds = chaosMesh.map((r) => r.object as SchemaObject).filter((o) => o.kind === "CustomResourceDefinition");
    const schedules = ofType(stacks.staging, "kubernetes:chaos-mesh.org/v1alpha1:Schedule");
    expect(schedules.length).toBeGreaterThan(0);
    for (const s of schedules) {
      const verdict = await validateKubernetesObject(asKubernetesObject(s) as SchemaObject, { crds });
      expect([s.inputs.metadata.name, verdict]).toEqual([s.inputs.metadata.name, { status: "valid" }]);
    }
  });

  test("Helm regenerates exactly the fields the transform keeps: two renders differ there and nowhere else", async () => {
    const previous = process.env.RENDER_CACHE;
    process.env.RENDER_CACHE = "off"; // two real renders, not one cached twice
    try {
      const first = await render(stacks.staging, RELEASES.chaosMesh);
      const second = await render(stacks.staging, RELEASES.chaosMesh);
      const changed = new Map<string, string[]>();
      first.forEach((r, i) => {
        const paths = differingPaths(r.object, second[i]?.object, "");
        if (paths.length > 0) changed.set(`${r.object.kind}/${r.object.metadata.name}`, paths);
      });
      expect([...changed.keys()].sort()).toEqual(Object.keys(REGENERATED_ON_RENDER).sort());
      for (const [object, paths] of changed) {
        const ignored = (REGENERATED_ON_RENDER[object] ?? []).map(asPattern);
        expect([object, paths.filter((p) => !ignored.some((re) => re.test(p)))]).toEqual([object, []]);
      }
    } finally {
      if (previous === undefined) delete process.env.RENDER_CACHE;
      else process.env.RENDER_CACHE = previous;
    }
  });
});

/** Dotted paths (array indexes as `[i]`) where two rendered objects differ. */
function differingPaths(a: unknown, b: unknown, at: string): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (Array.isArray(a) && Array.isArray(b)) return a.flatMap((x, i) => differingPaths(x, b[i], `${at}[${i}]`));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differingPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k),
    );
  }
  return [at];
}

/** A Pulumi ignoreChanges path (`webhooks[*].clientConfig.caBundle`, `data`) covering a dotted path and below. */
function asPattern(path: string): RegExp {
  const escaped = path.replace(/[.]/g, "\\.").replace(/\[\*\]/g, "\\[\\d+\\]");
  return new RegExp(`^${escaped}(\\.|\\[|$)`);
}
