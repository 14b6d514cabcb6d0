import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { evaluatePolicies, type HarnessResource, loadPolicyConfig } from "../../policies/harness";
import { describeProjection, storageProjections } from "../capacity/projections";
import { describeTier, tierCapacity, tierFindings } from "../capacity/tiers";
import { repoRoot } from "../charts/values-files";
import { StackConfigError } from "../config/schema";
import { loadStackConfigWith, readStackOverlay, stackConfigFileWith } from "../config/stack-file";
import { namespaces, RELEASES } from "../platform/naming";
import {
  type ChartSpec,
  chartSourcesDir,
  type RenderedChart,
  type RenderedObject,
  renderChart,
} from "../render/render";
import { runChecks } from "./checks";
import { storageSizing } from "./checks/capacity";
import { runnerChaosSchemaErrors } from "./checks/chaos";
import { describe, providedObjects } from "./checks/objects";
import { asKubernetesObject, type CollectedResource, collectResources, HELM_CHART_TYPE } from "./collect";
import { type KubernetesObject, validateKubernetesObject } from "./k8s-schemas";

/**
 * `npm run preflight -- <stack>`: runs the program for a stack under Pulumi's mock runtime, validates
 * every Kubernetes object against the upstream schemas, writes what would be deployed to out/<stack>/
 * and exits non-zero on invalid config or any schema error. No cluster or credentials needed.
 */

const STACKS = ["dev", "staging", "prod"];

export interface PreflightReport {
  resources: CollectedResource[];
  /** Every chart rendered with real Helm (empty when chart sources are absent: see `renderSkipped`). */
  rendered: RenderedChart[];
  /** Why rendering was skipped, when it was. */
  renderSkipped?: string;
  errors: string[];
  /** Advisory policy violations: printed, not failing. */
  warnings: string[];
  summary: string[];
  /** Milliseconds per phase (program, render, schemas, checks, policies, write). */
  timings: Record<string, number>;
}

/** The component a resource belongs to, from its name `platform-<env>-<component>-…`. */
function componentOf(name: string): string {
  return name.split("-")[2] ?? "platform";
}

/** The chart inputs the program gave a helm.v4.Chart resource. */
export function chartSpecOf(resource: CollectedResource): ChartSpec {
  const i = resource.inputs;
  return { release: i.name, namespace: i.namespace, chart: i.chart, version: i.version, values: i.values ?? {} };
}

export interface PreflightOptions {
  /** Folder with the pinned charts' sources; default chartSourcesDir(). */
  chartSources?: string;
  /** Keys laid over the stack's `platform` config: a variant such as docs/examples/aws-prod.yaml. */
  overlay?: Record<string, unknown>;
}

export async function preflight(
  stack: string,
  outDir: string,
  options: PreflightOptions = {},
): Promise<PreflightReport> {
  const timings: Record<string, number> = {};
  let mark = Date.now();
  const lap = (phase: string) => {
    timings[phase] = Date.now() - mark;
    mark = Date.now();
  };
  // Each chart renders as soon as the program registers it (its values resolved), while the program goes on.
  const sources = options.chartSources ?? chartSourcesDir(repoRoot());
  const renders = new Map<string, Promise<RenderedChart>>();
  const startRender = (r: CollectedResource) => {
    if (!sources || r.type !== HELM_CHART_TYPE) return;
    const render = renderChart(chartSpecOf(r), sources);
    render.catch(() => undefined); // reported below, once the program has finished
    renders.set(r.name, render);
  };
  const { resources } = await collectResources(
    stack,
    stackConfigFileWith(stack, options.overlay),
    () => require("../index"),
    startRender,
  );
  const config = loadStackConfigWith(stack, options.overlay);
  lap("program");
  const errors: string[] = [];
  const warnings: string[] = [];
  // Storage sizing needs only the config: checked with or without a render.
  const projections = storageProjections(config);
  for (const f of storageSizing(config, projections)) errors.push(`${f.check}: ${f.object}: ${f.message}`);
  // Throughput of the distributed tiers against the peak (infra/capacity/tiers.ts): fails only in `distributed`.
  const tiers = tierCapacity(config);
  errors.push(...tierFindings(config, tiers));
  const programObjects: RenderedObject[] = [];
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
    if (object) programObjects.push({ object: object as RenderedObject["object"], origin: "program" });
    else others.push(resource);
  }

  // Every chart with real Helm: the objects helm.v4.Chart would create.
  let rendered: RenderedChart[] = [];
  let renderSkipped: string | undefined;
  if (!sources || !existsSync(sources)) {
    renderSkipped = `${sources ? `chart sources ${sources} do not exist` : "no chart sources (set CHART_SOURCES_DIR)"}: charts were NOT rendered, wiring NOT checked`;
  } else {
    const results = await Promise.allSettled(
      charts.map((c) => renders.get(c.name) ?? renderChart(chartSpecOf(c), sources)),
    );
    for (const r of results) {
      if (r.status === "fulfilled") rendered.push(r.value);
      else errors.push(`render: ${(r.reason as Error).message ?? String(r.reason)}`);
    }
    rendered = rendered.sort((x, y) => x.spec.release.localeCompare(y.spec.release));
    for (const chart of rendered.filter((c) => c.missingSubcharts.length > 0)) {
      warnings.push(
        `render ${chart.spec.release}: sub-chart(s) ${chart.missingSubcharts.join(", ")} enabled but absent from the chart sources: rendered without them, their objects are NOT checked`,
      );
    }
  }
  lap("render");
  const chartResourceOf = new Map(charts.map((c) => [c.inputs.name as string, c.name]));
  const renderedObjects = rendered.flatMap((c) => c.objects);
  const all = [...programObjects, ...renderedObjects];
  // What the cluster and named controllers provide: referenced by the checks, not deployed by us.
  const provided = providedObjects(namespaces(config).platform, `${RELEASES.monitoring}-kubelet`);

  // Schemas of every object, program-made and chart-made; custom resources against the CRDs in the same set,
  // as the cluster would check them.
  const crds = all.map((r) => r.object as KubernetesObject).filter((o) => o.kind === "CustomResourceDefinition");
  for (const r of all) {
    const verdict = await validateKubernetesObject(r.object as KubernetesObject, { crds });
    const where = describe(r);
    if (verdict.status === "invalid") errors.push(...verdict.errors.map((e) => `schema: ${where}: ${e}`));
    if (verdict.status === "no-schema")
      errors.push(`schema: ${where}: no schema to validate ${r.object.apiVersion}/${r.object.kind}`);
    if (verdict.notice) warnings.push(`schema: ${where}: ${verdict.notice}`);
  }

  // The runner's Chaos Mesh objects are not deployed: checked against the chart's CRDs (rendered) here.
  if (!renderSkipped) errors.push(...(await runnerChaosSchemaErrors(config, crds)));
  lap("schemas");
  // Objects in the same namespace and kind must not share a name.
  const names = new Set<string>();
  for (const r of all) {
    const id = `${r.object.kind}/${r.object.metadata.namespace ?? ""}/${r.object.metadata.name}`;
    if (names.has(id)) errors.push(`two objects would be ${id} (${describe(r)})`);
    names.add(id);
  }

  // Wiring checks on the union, as the cluster would hold it.
  // Wiring checks need the charts' objects (Prometheus' pods, the collector's Service…): none without a render.
  if (!renderSkipped && rendered.length === charts.length) {
    const partial = rendered.some((c) => c.missingSubcharts.length > 0);
    for (const f of runChecks([...all, ...provided], { config, partial })) {
      errors.push(`${f.check}: ${f.object}: ${f.message}`);
    }
  }

  lap("checks");
  // The policy pack, with this environment's bounds, through the same harness the policy tests use: on the
  // program's resources and on every chart-made object, as a real preview sees them (children of the chart).
  const renderedResources = rendered.flatMap((c) =>
    c.objects.map((r) => renderedResource(r, chartResourceOf.get(c.spec.release) ?? c.spec.release)),
  );
  for (const v of await evaluatePolicies(
    [...resources, ...renderedResources],
    loadPolicyConfig(stack as Parameters<typeof loadPolicyConfig>[0]),
  )) {
    const line = `policy ${v.policy} (${v.level}): ${v.resource}: ${v.message}`;
    (v.level === "advisory" ? warnings : errors).push(line);
  }

  lap("policies");
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, "charts"), { recursive: true });
  mkdirSync(path.join(outDir, "rendered"), { recursive: true });
  const programYaml = programObjects.map((o) => stringify(o.object));
  writeFileSync(path.join(outDir, "resources.yaml"), programYaml.join("---\n"));
  for (const c of charts) {
    const spec = chartSpecOf(c);
    writeFileSync(
      path.join(outDir, "charts", `${spec.release}.yaml`),
      stringify({ ...spec, repository: c.inputs.repositoryOpts?.repo }),
    );
  }
  for (const c of rendered) writeFileSync(path.join(outDir, "rendered", `${c.spec.release}.yaml`), c.manifests);
  // Plain files for promtool and amtool: the rule groups of every PrometheusRule, and Alertmanager's config.
  const ruleGroups = programObjects
    .map((r) => r.object)
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
  for (const c of rendered)
    summary.push(`  rendered     ${c.spec.release}: ${c.objects.length} objects (${c.spec.chart} ${c.spec.version})`);
  for (const p of projections) summary.push(`  sizing       ${p.ok ? "ok" : "UNDERSIZED"}: ${describeProjection(p)}`);
  const ifDistributed = config.scale === "distributed" ? "" : " (if distributed)";
  for (const t of tiers) summary.push(`  tier${ifDistributed}  ${describeTier(t)}`);
  lap("write");
  return { resources, rendered, ...(renderSkipped ? { renderSkipped } : {}), errors, warnings, summary, timings };
}

/** A chart-made object as the policy pack sees it in a preview: a child of the chart resource. */
export function renderedResource(r: RenderedObject, chartResourceName: string): HarnessResource {
  const [group, version] = r.object.apiVersion.includes("/")
    ? r.object.apiVersion.split("/")
    : ["core", r.object.apiVersion];
  const ns = r.object.metadata.namespace ? `${r.object.metadata.namespace}/` : "";
  return {
    type: `kubernetes:${group}/${version}:${r.object.kind}`,
    name: `${chartResourceName}:${ns}${r.object.metadata.name}`,
    parentType: HELM_CHART_TYPE,
    inputs: r.object,
  };
}

const USAGE = `usage: npm run preflight -- <stack> [--overlay <file.yaml>]   (stack: one of ${STACKS.join(", ")})\n`;

async function main(): Promise<number> {
  const [stack, flag, overlayFile, ...rest] = process.argv.slice(2);
  if (
    !stack ||
    !STACKS.includes(stack) ||
    (flag !== undefined && (flag !== "--overlay" || !overlayFile)) ||
    rest.length
  ) {
    process.stderr.write(USAGE);
    return 2;
  }
  const variant = overlayFile ? `${stack}+${path.basename(overlayFile, path.extname(overlayFile))}` : stack;
  const outDir = path.join(repoRoot(), "out", variant);
  const started = Date.now();
  let report: PreflightReport;
  try {
    const overlay = overlayFile ? readStackOverlay(overlayFile) : undefined;
    report = await preflight(stack, outDir, overlay ? { overlay } : {});
  } catch (err) {
    const message =
      err instanceof StackConfigError || (err as Error)?.name === "RunError" ? (err as Error).message : String(err);
    process.stderr.write(`preflight ${variant}: ${message}\n`);
    return 1;
  }
  process.stdout.write(`preflight ${variant}: ${report.resources.length} resources\n${report.summary.join("\n")}\n`);
  process.stdout.write(`rendered objects and chart values: ${path.relative(process.cwd(), outDir) || "."}\n`);
  for (const w of report.warnings) process.stdout.write(`  advisory: ${w}\n`);
  if (report.renderSkipped) {
    process.stderr.write(`preflight ${variant}: WARNING: ${report.renderSkipped}\n`);
    if (process.env.REQUIRE_CHART_SOURCES === "1") return 1;
  }
  if (report.errors.length > 0) {
    process.stderr.write(
      `preflight ${variant}: ${report.errors.length} problem(s)\n${report.errors.map((e) => `  - ${e}`).join("\n")}\n`,
    );
    return 1;
  }
  const phases = Object.entries(report.timings).map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)}`);
  process.stdout.write(
    `preflight ${variant}: OK${report.renderSkipped ? " (charts NOT rendered)" : ""} in ${process.uptime().toFixed(1)} s (loading ${((started - performance.timeOrigin) / 1000).toFixed(1)}, ${phases.join(", ")} s)\n`,
  );
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
