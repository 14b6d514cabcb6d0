import { CHAOS_MESH_INJECT_ANNOTATION } from "../../../policies/rules/no-chaos-in-prod";
import { type ChaosObject, chaosObjects } from "../../chaos/chaos-mesh";
import { stackPlan } from "../../chaos/plan";
import type { StackConfig } from "../../config/schema";
import { commonLabels } from "../../platform/labels";
import { namespaces } from "../../platform/naming";
import type { KubernetesObject, RenderedObject } from "../../render/render";
import { type KubernetesObject as SchemaObject, validateKubernetesObject } from "../k8s-schemas";
import { type Finding, finding, podTemplates, selectsMap } from "./objects";

/**
 * Chaos Mesh objects are checked like the cluster would check them, before a game day finds out: the ones the
 * runner creates for the catalogue's infrastructure experiments (they are not deployed, so they are generated
 * here), and the Schedules the program deploys (already in the object set).
 */

/** What `npm run chaos -- <experiment> --target <context>` creates for each catalogue experiment. */
export function runnerChaosObjects(config: StackConfig): RenderedObject[] {
  if (!config.chaos.enabled) return [];
  const labels = commonLabels(config, "chaos");
  return stackPlan(config)
    .flatMap((e) => chaosObjects(e, namespaces(config).apps, labels))
    .map((object) => ({
      object: object as unknown as KubernetesObject,
      origin: `chaos experiment ${object.metadata.name} (created by the game-day runner)`,
    }));
}

/** Schema errors of the runner's objects against the Chaos Mesh CRDs in the set (none to check without them). */
export async function runnerChaosSchemaErrors(config: StackConfig, crds: SchemaObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const r of runnerChaosObjects(config)) {
    const verdict = await validateKubernetesObject(r.object, { crds });
    const where = `${r.object.kind} ${r.object.metadata.namespace}/${r.object.metadata.name} (${r.origin})`;
    if (verdict.status === "invalid") errors.push(...verdict.errors.map((e) => `schema: ${where}: ${e}`));
    if (verdict.status === "no-schema") errors.push(`schema: ${where}: no CRD in the set defines ${r.object.kind}`);
  }
  return errors;
}

interface PodSelector {
  namespaces?: string[];
  labelSelectors?: Record<string, string>;
}
// biome-ignore lint/suspicious/noExplicitAny: chaos specs are arbitrary JSON
type Json = any;

const isChaos = (r: RenderedObject) => r.object.apiVersion.startsWith("chaos-mesh.org/");

/** The chaos spec of an experiment object, or the one a Schedule holds under its type's key. */
function chaosSpecOf(object: KubernetesObject): Json {
  const spec: Json = (object as unknown as ChaosObject).spec ?? {};
  if (object.kind !== "Schedule") return spec;
  const type = String(spec.type ?? "");
  return spec[`${type.charAt(0).toLowerCase()}${type.slice(1)}`] ?? {};
}

/**
 * Every Chaos Mesh selector (the target's, and a network fault's `target`) reaches pods: in namespaces Chaos
 * Mesh may inject into (the filter is on: they need the inject annotation), with the label selector matching a
 * pod template, whose containers include every `containerNames` entry. A typo would make the experiment
 * inject nothing, and a game day would "pass" a hypothesis that nothing was done to.
 */
export function chaosTargetsSelected(objects: RenderedObject[], config: StackConfig): Finding[] {
  const all = [...objects, ...runnerChaosObjects(config)];
  const pods = podTemplates(all);
  const injectable = new Set(
    all
      .filter((r) => r.object.kind === "Namespace")
      .filter((r) => (r.object.metadata.annotations as Json)?.[CHAOS_MESH_INJECT_ANNOTATION] === "enabled")
      .map((r) => r.object.metadata.name),
  );
  const out: Finding[] = [];
  for (const r of all.filter(isChaos)) {
    const spec = chaosSpecOf(r.object);
    const selectors: [string, PodSelector | undefined][] = [
      ["selector", spec.selector],
      ["target.selector", spec.target?.selector],
    ];
    for (const [at, selector] of selectors) {
      if (!selector) continue;
      const where = `${r.object.kind === "Schedule" ? "schedule's " : ""}${at}`;
      const inNamespaces = selector.namespaces ?? [];
      for (const ns of inNamespaces.filter((n) => !injectable.has(n))) {
        out.push(
          finding("chaos-targets", r, `${where}: namespace ${ns} lacks ${CHAOS_MESH_INJECT_ANNOTATION}: enabled`),
        );
      }
      const selected = pods.filter(
        (p) => inNamespaces.includes(p.namespace) && selectsMap(selector.labelSelectors ?? {}, p.labels),
      );
      if (selected.length === 0) {
        out.push(finding("chaos-targets", r, `${where} ${JSON.stringify(selector)} selects no pod`));
        continue;
      }
      if (at !== "selector") continue;
      for (const name of (spec.containerNames ?? []) as string[]) {
        if (!selected.every((p) => (p.spec.containers ?? []).some((c: Json) => c.name === name))) {
          out.push(finding("chaos-targets", r, `containerNames: the selected pods have no container ${name}`));
        }
      }
    }
  }
  return out;
}
