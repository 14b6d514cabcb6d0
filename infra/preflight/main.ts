import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { evaluatePolicies, loadPolicyConfig } from "../../policies/harness";
import { repoRoot } from "../charts/values-files";
import { StackConfigError } from "../config/schema";
import {
  asKubernetesObject,
  type CollectedResource,
  collectResources,
  HELM_CHART_TYPE,
  stackConfigFile,
} from "./collect";
import { type KubernetesObject, validateKubernetesObject } from "./k8s-schemas";

/**
 * `npm run preflight -- <stack>`: runs the program for a stack under Pulumi's mock runtime, validates
 * every Kubernetes object against the upstream schemas, writes what would be deployed to out/<stack>/
 * and exits non-zero on invalid config or any schema error. No cluster or credentials needed.
 */

const STACKS = ["dev", "staging", "prod"];

export interface PreflightReport {
  resources: CollectedResource[];
  errors: string[];
  /** Advisory policy violations: printed, not failing. */
  warnings: string[];
  summary: string[];
}

/** The component a resource belongs to, from its name `platform-<env>-<component>-…`. */
function componentOf(name: string): string {
  return name.split("-")[2] ?? "platform";
}

export async function preflight(stack: string, outDir: string): Promise<PreflightReport> {
  const { resources } = await collectResources(stack, stackConfigFile(stack), () => require("../index"));
  const errors: string[] = [];
  const warnings: string[] = [];
  // The policy pack, with this environment's bounds, through the same harness the policy tests use.
  for (const v of await evaluatePolicies(
    resources,
    loadPolicyConfig(stack as Parameters<typeof loadPolicyConfig>[0]),
  )) {
    const line = `policy ${v.policy} (${v.level}): ${v.resource}: ${v.message}`;
    (v.level === "advisory" ? warnings : errors).push(line);
  }
  const objects: Record<string, unknown>[] = [];
  const charts: CollectedResource[] = [];
  const others: CollectedResource[] = [];
  const seen = new Set<string>();

  for (const resource of resources) {
    const key = `${resource.type}::${resource.name}`;
    if (seen.has(key)) errors.push(`duplicate resource name: ${key}`);
    seen.add(key);
    if (resource.type === HELM_CHART_TYPE) {
      charts.push(resource);
      continue;
    }
    const object = asKubernetesObject(resource);
    if (!object) {
      others.push(resource);
      continue;
    }
    objects.push(object);
    const verdict = await validateKubernetesObject(object as KubernetesObject);
    const where = `${object.kind} ${(object.metadata as { namespace?: string })?.namespace ?? ""}/${(object.metadata as { name?: string })?.name ?? resource.name}`;
    if (verdict.status === "invalid") errors.push(...verdict.errors.map((e) => `${where}: ${e}`));
    if (verdict.status === "no-schema")
      errors.push(`${where}: no schema to validate ${object.apiVersion}/${object.kind}`);
  }

  // Objects in the same namespace and kind must not share a name.
  const names = new Set<string>();
  for (const o of objects) {
    const m = o.metadata as { name?: string; namespace?: string };
    const id = `${o.kind}/${m.namespace ?? ""}/${m.name}`;
    if (names.has(id)) errors.push(`two objects would be ${id}`);
    names.add(id);
  }

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, "charts"), { recursive: true });
  writeFileSync(path.join(outDir, "resources.yaml"), objects.map((o) => stringify(o)).join("---\n"));
  for (const c of charts) {
    const release = c.inputs.name as string;
    writeFileSync(
      path.join(outDir, "charts", `${release}.yaml`),
      stringify({
        release,
        namespace: c.inputs.namespace,
        chart: c.inputs.chart,
        version: c.inputs.version,
        repository: c.inputs.repositoryOpts?.repo,
        values: c.inputs.values,
      }),
    );
  }
  // Plain files for promtool and amtool: the rule groups of every PrometheusRule, and Alertmanager's config.
  const ruleGroups = objects
    .filter((o) => o.kind === "PrometheusRule")
    .flatMap((o) => (o.spec as { groups: unknown[] }).groups);
  writeFileSync(path.join(outDir, "prometheus-rules.yaml"), stringify({ groups: ruleGroups }));
  const kps = charts.find((c) => c.inputs.chart === "kube-prometheus-stack");
  if (kps) writeFileSync(path.join(outDir, "alertmanager.yaml"), stringify(kps.inputs.values.alertmanager.config));
  writeFileSync(
    path.join(outDir, "other-resources.yaml"),
    stringify(others.map((r) => ({ type: r.type, name: r.name }))),
  );

  const byComponent = new Map<string, Map<string, number>>();
  for (const r of resources) {
    const types = byComponent.get(componentOf(r.name)) ?? new Map<string, number>();
    types.set(r.type, (types.get(r.type) ?? 0) + 1);
    byComponent.set(componentOf(r.name), types);
  }
  const summary = [...byComponent].map(
    ([component, types]) =>
      `  ${component.padEnd(12)} ${[...types].map(([type, n]) => `${type.replace(/^kubernetes:|^observability-platform:/, "")}×${n}`).join(", ")}`,
  );
  return { resources, errors, warnings, summary };
}

async function main(): Promise<number> {
  const stack = process.argv[2];
  if (!stack || !STACKS.includes(stack)) {
    process.stderr.write(`usage: npm run preflight -- <stack>   (stack: one of ${STACKS.join(", ")})\n`);
    return 2;
  }
  const outDir = path.join(repoRoot(), "out", stack);
  const started = Date.now();
  let report: PreflightReport;
  try {
    report = await preflight(stack, outDir);
  } catch (err) {
    const message =
      err instanceof StackConfigError || (err as Error)?.name === "RunError" ? (err as Error).message : String(err);
    process.stderr.write(`preflight ${stack}: ${message}\n`);
    return 1;
  }
  process.stdout.write(`preflight ${stack}: ${report.resources.length} resources\n${report.summary.join("\n")}\n`);
  process.stdout.write(`rendered objects and chart values: ${path.relative(process.cwd(), outDir) || "."}\n`);
  for (const w of report.warnings) process.stdout.write(`  advisory: ${w}\n`);
  if (report.errors.length > 0) {
    process.stderr.write(
      `preflight ${stack}: ${report.errors.length} problem(s)\n${report.errors.map((e) => `  - ${e}`).join("\n")}\n`,
    );
    return 1;
  }
  process.stdout.write(`preflight ${stack}: OK in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`preflight: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
