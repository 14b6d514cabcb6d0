import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import {
  type ChaosObject,
  chaosObjects,
  EXPERIMENT_LABEL,
  experimentProblems,
  SCHEDULE_HISTORY_LIMIT,
  scheduleObject,
} from "../../infra/chaos/chaos-mesh";
import type { Experiment } from "../../infra/chaos/experiments";
import { stackPlan } from "../../infra/chaos/plan";
import { repoRoot } from "../../infra/charts/values-files";
import { loadStackConfig } from "../../infra/config/stack-file";
import { type KubernetesObject, validateKubernetesObject } from "../../infra/preflight/k8s-schemas";
import { chartSourcesDir } from "../../infra/render/render";
import { serviceSelector } from "../../infra/services/microservice";
import { ofType, runStack } from "./support";

const NS = "obs-dev-apps";
const LABELS = { team: "platform" };
// The catalogue as the dev stack runs it: burn experiments get their planned length and limits.
const PLANNED = stackPlan(loadStackConfig("dev"));
const experiment = (name: string) => {
  const found = PLANNED.find((e) => e.name === name);
  if (!found) throw new Error(`no catalogue experiment ${name}`);
  return found;
};
const only = (e: Experiment) => chaosObjects(e, NS, LABELS)[0] as ChaosObject;
const spec = (o: ChaosObject | undefined): any => o?.spec;

describe("chaosObjects: one Chaos Mesh object per infrastructure fault", () => {
  test.each([
    ["pod-kill", "PodChaos", { action: "pod-kill", gracePeriod: 0 }],
    ["container-kill", "PodChaos", { action: "container-kill" }],
    ["network-delay", "NetworkChaos", { action: "delay", direction: "to" }],
    ["network-loss", "NetworkChaos", { action: "loss", direction: "to" }],
    ["cpu-stress", "StressChaos", {}],
    ["memory-stress", "StressChaos", {}],
  ])("a %s fault becomes a %s with mode one, the experiment's duration and its label", (kind, chaosKind, extra) => {
    const e = PLANNED.find((x) => x.fault.kind === kind) as Experiment;
    const objects = chaosObjects(e, NS, LABELS);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({
      apiVersion: "chaos-mesh.org/v1alpha1",
      kind: chaosKind,
      metadata: { name: e.name, namespace: NS, labels: { ...LABELS, [EXPERIMENT_LABEL]: e.name } },
      spec: { mode: "one", duration: `${e.durationSeconds}s`, ...extra },
    });
  });

  test("HTTP-level faults (error rate, latency, route outage) make no object: they go through the fault API", () => {
    const http = PLANNED.filter((e) => ["http-errors", "http-latency", "route-outage"].includes(e.fault.kind));
    expect(http.length).toBeGreaterThanOrEqual(3);
    for (const e of http) expect(chaosObjects(e, NS, LABELS)).toEqual([]);
  });

  test("network faults name the dependency's pods as their target; stress and container kill the service's container", () => {
    const delay = experiment("order-to-product-delay");
    expect(spec(only(delay)).target).toEqual({
      mode: "all",
      selector: { namespaces: [NS], labelSelectors: serviceSelector("product") },
    });
    expect(spec(only(delay)).delay).toEqual({ latency: "300ms", jitter: "50ms", correlation: "0" });
    expect(spec(only(experiment("order-to-user-loss"))).loss).toEqual({ loss: "30", correlation: "0" });
    expect(spec(only(experiment("user-cpu-stress")))).toMatchObject({
      containerNames: ["user"],
      stressors: { cpu: { workers: 2, load: 80 } },
    });
    expect(spec(only(experiment("product-memory-stress"))).stressors).toEqual({
      memory: { workers: 1, size: "200MiB" },
    });
  });

  test("bad input is refused with the field and what is allowed, not a crash in the cluster", () => {
    const bad: Experiment = {
      ...experiment("order-to-user-loss"),
      name: "Order_Loss",
      durationSeconds: 0,
      fault: { kind: "network-loss", towards: "order", lossPercent: 0 },
      schedule: "every tuesday",
    };
    expect(experimentProblems(bad)).toEqual([
      'experiment "Order_Loss": name must be a DNS label (a-z, 0-9, -; starts with a letter; ≤ 63)',
      'experiment "Order_Loss": durationSeconds must be an integer from 1 to 86400',
      'experiment "Order_Loss": schedule must be a cron expression of 5 fields such as "0 10 * * 2"',
      'experiment "Order_Loss": fault.lossPercent must be an integer from 1 to 100',
      'experiment "Order_Loss": fault.towards must be another service than the target',
    ]);
    expect(() => chaosObjects(bad, NS, LABELS)).toThrow(
      /invalid chaos experiment:\n {2}- experiment "Order_Loss": name/,
    );
    expect(
      experimentProblems({
        ...experiment("product-memory-stress"),
        fault: { kind: "memory-stress", workers: 1, size: "lots" },
      }),
    ).toEqual(['experiment "product-memory-stress": fault.size must be a size such as "200MiB" or "25%"']);
  });

  test.each(["dev", "staging", "prod"])(
    "%s: every experiment as the stack plans it is a valid Chaos Mesh experiment (planned lengths within 1..86400 s)",
    (stack) => {
      const planned = stackPlan(loadStackConfig(stack));
      expect(planned.map((e) => e.name)).toEqual(CATALOGUE.map((e) => e.name));
      for (const e of planned) expect([e.name, experimentProblems(e)]).toEqual([e.name, []]);
    },
  );

  test("a planned length past a day is refused by the same check (so the check above can fail)", () => {
    const planned = { ...experiment("order-to-product-delay"), durationSeconds: 86_401 };
    expect(experimentProblems(planned)).toEqual([
      'experiment "order-to-product-delay": durationSeconds must be an integer from 1 to 86400',
    ]);
  });
});

describe("scheduleObject: recurring experiments", () => {
  test("a Schedule holds the experiment's chaos spec under its type's key, Forbid, a bounded history", () => {
    const e = experiment("order-to-product-delay");
    const schedule = scheduleObject(e, NS, LABELS);
    expect(schedule).toMatchObject({
      kind: "Schedule",
      metadata: { name: e.name, namespace: NS, labels: { [EXPERIMENT_LABEL]: e.name } },
      spec: {
        schedule: e.schedule,
        type: "NetworkChaos",
        historyLimit: SCHEDULE_HISTORY_LIMIT,
        concurrencyPolicy: "Forbid",
        networkChaos: only(e).spec,
      },
    });
    expect(spec(scheduleObject(experiment("user-cpu-stress"), NS, LABELS))?.stressChaos).toEqual(
      only(experiment("user-cpu-stress")).spec,
    );
  });

  test("none for an experiment without a schedule, nor for an HTTP fault that has one", () => {
    expect(scheduleObject(experiment("product-killed"), NS, LABELS)).toBeUndefined();
    expect(scheduleObject({ ...experiment("product-errors"), schedule: "0 9 * * 1" }, NS, LABELS)).toBeUndefined();
  });
});

// The real CRDs of the pinned chart (crds/ of chaos-mesh 2.8.3), as the API server would check the objects.
const sources = chartSourcesDir(repoRoot());
const crdDir = sources && path.join(sources, "chaos-mesh-2.8.3", "crds");
const required = process.env.REQUIRE_CHART_SOURCES === "1";
const withCrds = (crdDir && existsSync(crdDir)) || required ? describe : describe.skip;
if (!withCrds) console.warn("chaos-mesh chart sources absent: CRD validation of the chaos objects skipped");

withCrds("against the chart's CustomResourceDefinitions", () => {
  let crds: KubernetesObject[];
  beforeAll(() => {
    crds = readdirSync(crdDir as string)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => parse(readFileSync(path.join(crdDir as string, f), "utf8")) as KubernetesObject);
  });
  const errorsOf = async (o: ChaosObject) => {
    const verdict = await validateKubernetesObject(o as unknown as KubernetesObject, { crds });
    return verdict.status === "valid" ? [] : verdict.status === "invalid" ? verdict.errors : [verdict.status];
  };

  test("every catalogue object and Schedule is valid", async () => {
    const objects = PLANNED.flatMap((e) => [...chaosObjects(e, NS, LABELS), scheduleObject(e, NS, LABELS)]);
    const defined = objects.filter((o): o is ChaosObject => o !== undefined);
    expect(defined.map((o) => o.kind).sort()).toEqual(
      expect.arrayContaining(["NetworkChaos", "PodChaos", "Schedule", "StressChaos"]),
    );
    for (const o of defined)
      expect([o.kind, o.metadata.name, await errorsOf(o)]).toEqual([o.kind, o.metadata.name, []]);
  });

  test("the check can fail: a misspelt field, an unknown mode and a bad latency are each reported", async () => {
    const delay = only(experiment("order-to-product-delay"));
    const broken = {
      ...delay,
      spec: { ...delay.spec, mode: "some", directon: "to", delay: { latency: "300 millis" } },
    } as ChaosObject;
    const errors = (await errorsOf(broken)).join("\n");
    expect(errors).toMatch(/spec\.mode: must be one of/);
    expect(errors).toMatch(/spec\.directon: unknown field/);
    expect(errors).toMatch(/spec\.delay\.latency: must match pattern/);
  });
});

describe("selectors against the Deployments the Microservice component creates (dev stack under mocks)", () => {
  let deployments: Map<string, any>;
  beforeAll(async () => {
    const { resources } = await runStack("dev");
    deployments = new Map(
      ofType(resources, "kubernetes:apps/v1:Deployment")
        .filter((d) => d.inputs.metadata.namespace === NS)
        .map((d) => [d.inputs.metadata.name, d.inputs]),
    );
  });
  const selects = (selector: any, deployment: any) =>
    selector.namespaces.includes(deployment.metadata.namespace) &&
    Object.entries(selector.labelSelectors).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v);

  test("each object selects exactly its target's pods (and a network fault's target, the dependency's)", () => {
    const infra = PLANNED.filter((e) => chaosObjects(e, NS, LABELS).length > 0);
    expect(infra.length).toBeGreaterThanOrEqual(6);
    for (const e of infra) {
      const s = spec(only(e));
      const selected = [...deployments].filter(([, d]) => selects(s.selector, d)).map(([name]) => name);
      expect([e.name, selected]).toEqual([e.name, [e.target]]);
      if ("towards" in e.fault) {
        const towards = [...deployments].filter(([, d]) => selects(s.target.selector, d)).map(([name]) => name);
        expect([e.name, towards]).toEqual([e.name, [e.fault.towards]]);
      }
      for (const container of s.containerNames ?? []) {
        const names = deployments.get(e.target).spec.template.spec.containers.map((c: { name: string }) => c.name);
        expect(names).toContain(container);
      }
    }
  });
});
