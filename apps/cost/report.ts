/**
 * The report: every query of queries.ts sent once, then the six sections computed from the answers (pure), with
 * the stack's rules, dashboards and tools, and the rules loaded in that Prometheus, as the readers the
 * unused-metrics analysis compares against.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import type { RuleGroup } from "../../infra/alerting/rules";
import { repoRoot } from "../../infra/charts/values-files";
import type { StackConfig } from "../../infra/config/schema";
import { namespaces } from "../../infra/platform/naming";
import { type QueryKey, type ReportQueries, reportQueries } from "../../infra/queries/cost-report-queries";
import { projectReads, type RunbookText, recordedNames, unreadRecords } from "../../infra/queries/used-metrics";
import { costSection } from "./cost-section";
import type { Section } from "./model";
import type { PrometheusClient, Results } from "./prometheus";
import { rightSizingSection } from "./rightsizing";
import { logSection, samplingSection, volumeSection } from "./telemetry";
import { type LoadedRulesAnswer, unusedSection } from "./unused";

export interface ReportOptions {
  top: number;
  /** Spans/s the kept traces should stay under (--trace-budget). */
  traceBudget?: number;
}

export interface CostReport {
  stack: string;
  prometheusUrl: string;
  generatedAt: string;
  sections: Section[];
}

/** The loaded rules, or why they could not be read: the report runs either way, section (c) says which. */
export async function readLoadedRules(client: PrometheusClient): Promise<LoadedRulesAnswer> {
  try {
    return { rules: await client.loadedRules() };
  } catch (err) {
    return { unreadable: err instanceof Error ? err.message : String(err) };
  }
}

/** Sends every query in turn (gentle on a production Prometheus); an unreachable Prometheus throws at the first. */
export async function gatherResults(client: PrometheusClient, queries: ReportQueries): Promise<Results> {
  const out: Partial<Results> = {};
  for (const key of Object.keys(queries) as QueryKey[]) out[key] = await client.query(queries[key]);
  return out as Results;
}

export interface ReportContext {
  config: StackConfig;
  groups: RuleGroup[];
  queries: ReportQueries;
  intervals: ReadonlyMap<string, number>;
  loadedRules: LoadedRulesAnswer;
  runbooks: readonly RunbookText[];
  options: ReportOptions;
}

/** The sections from the answers: no I/O. */
export function buildSections(r: Results, ctx: ReportContext): Section[] {
  const { config, groups, queries: q, options } = ctx;
  const loaded = "rules" in ctx.loadedRules ? ctx.loadedRules.rules : undefined;
  const reads = projectReads(config, groups, q, loaded, ctx.runbooks);
  return [
    costSection(r, q, config, options.top),
    rightSizingSection(r, q, config, options.top),
    unusedSection(
      r,
      q,
      {
        reads,
        recorded: new Set([...recordedNames(groups), ...(loaded?.records ?? [])]),
        intervals: ctx.intervals,
        loadedRules: ctx.loadedRules,
        unreadRecords: unreadRecords(groups, reads),
        currency: config.cost.currency,
      },
      options.top,
    ),
    volumeSection(r, q),
    logSection(r, q, config, options.top),
    samplingSection(r, q, config, options.traceBudget),
  ];
}

/** The runbooks' Markdown (docs/runbooks/*.md). */
export function readRunbooks(dir: string): RunbookText[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => ({ name, text: readFileSync(path.join(dir, name), "utf8") }));
}

export async function buildReport(
  client: PrometheusClient,
  config: StackConfig,
  options: ReportOptions,
  now = new Date(),
): Promise<CostReport> {
  const ns = namespaces(config);
  const queries = reportQueries(config, ns);
  const results = await gatherResults(client, queries);
  const intervals = await client.scrapeIntervals();
  const loadedRules = await readLoadedRules(client);
  const groups = ruleGroupsFor(config, ns);
  const runbooks = readRunbooks(path.join(repoRoot(), "docs", "runbooks"));
  const sections = buildSections(results, { config, groups, queries, intervals, loadedRules, runbooks, options });
  return {
    stack: config.environment,
    prometheusUrl: client.url,
    generatedAt: now.toISOString().replace(/\.\d+Z$/, "Z"),
    sections,
  };
}
