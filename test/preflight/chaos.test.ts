import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import { chaosObjects, scheduleObject } from "../../infra/chaos/chaos-mesh";
import { stackPlan } from "../../infra/chaos/plan";
import { repoRoot } from "../../infra/charts/values-files";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { chaosTargetsSelected, runnerChaosObjects, runnerChaosSchemaErrors } from "../../infra/preflight/checks/chaos";
import { PLATFORM_COMPONENTS } from "../../infra/preflight/checks/scraping";
import { asKubernetesObject } from "../../infra/preflight/collect";
import { type KubernetesObject, validateKubernetesObject } from "../../infra/preflight/k8s-schemas";
import { chartSourcesDir, type RenderedObject } from "../../infra/render/render";
import { runStack } from "../infra/support";
import { obj } from "./support";

const config = loadStackConfig("dev");
const ns = namespaces(config);
// The catalogue as the dev stack runs it (burn experiments with their planned length).
const planned = stackPlan(config);
let program: RenderedObject[];
beforeAll(async () => {
  const { resources } = await runStack("dev");
  program = resources.flatMap((r) => {
    const object = asKubernetesObject(r);
    return object ? [obj(object)] : [];
  });
});
const messages = (objects: RenderedObject[]) =>
  chaosTargetsSelected(objects, config).map((f) => `${f.object}: ${f.message}`);
const without = (kind: string, name: string) =>
  program.filter((r) => !(r.object.kind === kind && r.object.metadata.name === name));

describe("chaos-targets: every Chaos Mesh selector reaches pods Chaos Mesh may inject into", () => {
  test("the dev stack's objects give every runner experiment its target pods (no findings)", () => {
    expect(runnerChaosObjects(config).length).toBeGreaterThanOrEqual(6);
    expect(messages(program)).toEqual([]);
  });

  test("the runner's objects are the dev plan's: a burn experiment's object lasts its planned length", () => {
    const delay = runnerChaosObjects(config).find((r) => r.object.metadata.name === "order-to-product-delay");
    const length = planned.find((e) => e.name === "order-to-product-delay")?.durationSeconds;
    expect(length).toBeGreaterThan(0);
    expect((delay?.object as unknown as { spec?: { duration?: string } } | undefined)?.spec?.duration).toBe(
      `${length}s`,
    );
  });

  test("without the inject annotation on the apps namespace every experiment is reported", () => {
    const apps = program.find(
      (r) => r.object.kind === "Namespace" && r.object.metadata.name === ns.apps,
    ) as RenderedObject;
    const bare = obj({ ...apps.object, metadata: { ...apps.object.metadata, annotations: {} } });
    const found = messages([...without("Namespace", ns.apps), bare]);
    expect(found.filter((m) => m.includes("lacks chaos-mesh.org/inject: enabled"))).toHaveLength(
      runnerChaosObjects(config).length + CATALOGUE.filter((e) => "towards" in e.fault).length,
    );
  });

  test("a target whose Deployment is gone, and a container name that is not the pod's, are reported", () => {
    expect(messages(without("Deployment", "product"))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PodChaos obs-dev-apps\/product-killed .*: selector .* selects no pod$/),
        expect.stringMatching(
          /^NetworkChaos obs-dev-apps\/order-to-product-delay .*: target\.selector .* selects no pod$/,
        ),
      ]),
    );
    const user = program.find((r) => r.object.kind === "Deployment" && r.object.metadata.name === "user") as any;
    const renamed = structuredClone(user.object);
    renamed.spec.template.spec.containers[0].name = "app";
    expect(messages([...without("Deployment", "user"), obj(renamed)])).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/user-cpu-stress .*: containerNames: the selected pods have no container user$/),
      ]),
    );
  });

  test("a deployed Schedule is checked through the spec it holds", () => {
    const e = planned.find((x) => x.schedule && x.fault.kind === "network-delay");
    const schedule = scheduleObject(e as (typeof planned)[number], ns.apps, {}) as any;
    schedule.spec.networkChaos.selector.labelSelectors = { "app.kubernetes.io/name": "ordr" };
    expect(messages([...program, obj(schedule)])).toEqual([
      expect.stringMatching(/^Schedule obs-dev-apps\/.*: schedule's selector .*"ordr".* selects no pod$/),
    ]);
  });
});

describe("PLATFORM_COMPONENTS with chaos", () => {
  test("adds Chaos Mesh's controller and daemon and the Pushgateway, in the platform namespace, only when asked", () => {
    const names = (chaos: boolean) => PLATFORM_COMPONENTS(ns, { chaos }).map((c) => c.name);
    expect(names(true).filter((n) => !names(false).includes(n))).toEqual([
      "chaos-controller-manager",
      "chaos-daemon",
      "pushgateway",
    ]);
    expect(
      new Set(
        PLATFORM_COMPONENTS(ns, { chaos: true })
          .slice(-3)
          .map((c) => c.namespace),
      ),
    ).toEqual(new Set([ns.platform]));
  });
});

// The pinned chart's CRDs, as preflight gets them from the render.
const sources = chartSourcesDir(repoRoot());
const crdDir = sources && path.join(sources, "chaos-mesh-2.8.3", "crds");
const withCrds = (crdDir && existsSync(crdDir)) || process.env.REQUIRE_CHART_SOURCES === "1" ? describe : describe.skip;

withCrds("the runner's objects and Schedules against the chart's CRDs", () => {
  let crds: KubernetesObject[];
  beforeAll(() => {
    crds = readdirSync(crdDir as string).map((f) => parse(readFileSync(path.join(crdDir as string, f), "utf8")));
  });

  test("the catalogue's objects pass; without the CRDs each is reported, not skipped; a disabled stack has none", async () => {
    expect(await runnerChaosSchemaErrors(config, crds)).toEqual([]);
    const missing = await runnerChaosSchemaErrors(config, []);
    expect(missing).toHaveLength(runnerChaosObjects(config).length);
    expect(missing[0]).toMatch(/no CRD in the set defines/);
    expect(runnerChaosObjects({ ...config, chaos: { enabled: false, schedules: false } })).toEqual([]);
  });

  test("OpenAPI's boolean exclusiveMinimum is honoured: a Schedule's startingDeadlineSeconds of 0 fails, 1 passes", async () => {
    const e = planned.find((x) => x.schedule && chaosObjects(x, ns.apps, {}).length > 0);
    const schedule = scheduleObject(e as (typeof planned)[number], ns.apps, {}) as any;
    const verdict = (seconds: number) =>
      validateKubernetesObject({ ...schedule, spec: { ...schedule.spec, startingDeadlineSeconds: seconds } }, { crds });
    expect(await verdict(1)).toEqual({ status: "valid" });
    expect(await verdict(0)).toEqual({
      status: "invalid",
      errors: [expect.stringMatching(/^spec\.startingDeadlineSeconds: must be > 0/)],
    });
  });
});
