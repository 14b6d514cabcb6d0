/**
 * Which metric names the project reads: every rule expression of the stack, every Prometheus query of its
 * dashboards and the queries of its own tools (this report, the responder, the chaos runner), parsed with the
 * Lezer PromQL grammar Grafana uses (infra/queries/lezer.ts), after Grafana's variables are substituted as the
 * dashboard checks do, and the queries the runbooks give operators to run by hand. The rules the queried Prometheus has loaded (GET /api/v1/rules) are read too: in a cluster
 * it also runs kube-prometheus-stack's own rules (kubernetes, Prometheus and Alertmanager mixins…), and a metric
 * any of them reads must never be suggested for dropping.
 *
 * It lives here, not in apps/cost, because the Pulumi program uses it too: keepOnlyUsedMetrics remote-writes only
 * what it finds read (infra/monitoring/remote-write.ts).
 *
 * The choice for recording rules (docs/cost.md, "The cost report"): a metric a rule reads is used, whether or
 * not anything reads that rule's output. Dropping it would silently empty the rule; a record nobody reads is
 * listed on its own instead ("records nothing reads"), and its inputs become droppable once the rule is removed.
 */
import { SLI_WINDOWS, SLO_RECORDS } from "../alerting/names";
import { holdQueryOf } from "../alerting/playbook";
import type { RuleGroup } from "../alerting/rules";
import type { StackConfig } from "../config/schema";
import { stackDashboards } from "../dashboards/dashboards";
import type { GeneratedDashboard } from "../dashboards/model";
import { promqlMetricNames, promqlProblems, substituteGrafanaVariables } from "../dashboards/query-check";
import { namespaces } from "../platform/naming";
import { anchoredRegex } from "../preflight/checks/scraping/jobs";
import type { ReportQueries } from "./cost-report-queries";
import { promqlParser } from "./lezer";

/** Where a query comes from, for the report's evidence. */
export interface ProjectQuery {
  source: string;
  expr: string;
}

/** The names a set of queries reads, and the `__name__=~"…"` patterns of selectors without a plain name. */
export interface MetricReads {
  names: Set<string>;
  patterns: RegExp[];
}

/** A PromQL string literal's value: "…" and '…' take escapes, `…` is raw. */
function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  if (literal.startsWith("`")) return body;
  try {
    return JSON.parse(`"${literal.startsWith("'") ? body.replace(/\\'/g, "'").replace(/"/g, '\\"') : body}"`);
  } catch {
    return body;
  }
}

/** `__name__=~"…"` regexes of a PromQL expression (Prometheus anchors them; so does anchoredRegex). */
export function namePatterns(expr: string): RegExp[] {
  const out: RegExp[] = [];
  promqlParser.parse(expr).iterate({
    enter: ({ name, node }) => {
      if (name !== "UnquotedLabelMatcher" && name !== "QuotedLabelMatcher") return undefined;
      const text = (n: typeof node | null) => (n ? expr.slice(n.from, n.to) : "");
      const label = text(node.getChild("LabelName") ?? node.getChild("QuotedLabelName")).replace(/^"|"$/g, "");
      const op = text(node.getChild("MatchOp"));
      const value = text(node.getChild("StringLiteral"));
      if (label !== "__name__" || op !== "=~" || value === "") return undefined;
      const regex = anchoredRegex(unquote(value));
      // a pattern JavaScript cannot compile is read as "every name": never suggest dropping what it may read
      out.push(regex ?? /^/);
      return undefined;
    },
  });
  return out;
}

export function metricReads(queries: readonly ProjectQuery[]): MetricReads {
  const names = new Set<string>();
  const patterns: RegExp[] = [];
  for (const q of queries) {
    const expr = substituteGrafanaVariables(q.expr);
    for (const n of promqlMetricNames(expr)) names.add(n);
    patterns.push(...namePatterns(expr));
  }
  return { names, patterns };
}

export const isRead = (reads: MetricReads, name: string) =>
  reads.names.has(name) || reads.patterns.some((p) => p.test(name));

/** Every rule's expression (recording and alerting alike: see the choice above). */
export function ruleQueries(groups: readonly RuleGroup[]): ProjectQuery[] {
  return groups.flatMap((g) =>
    g.rules.map((r) => ({ source: `rule ${g.name}/${r.record ?? r.alert ?? "?"}`, expr: r.expr })),
  );
}

/** The rules one Prometheus has loaded: the project's, the chart's mixins', anyone's. */
export interface LoadedRules {
  groups: number;
  /** Every rule's query, recording and alerting alike, as `loaded rule <group>/<name>`. */
  queries: ProjectQuery[];
  /** Names they record: Prometheus writes them, a scrape's relabelling cannot drop them. */
  records: Set<string>;
}

/** The /api/v1/rules answer could not be read as rules. */
export class LoadedRulesUnreadable extends Error {
  override name = "LoadedRulesUnreadable";
}

interface RulesApiBody {
  status?: string;
  error?: string;
  data?: { groups?: { name?: string; rules?: { name?: string; query?: unknown; type?: string }[] }[] };
}

/** The rules of a GET /api/v1/rules answer; throws LoadedRulesUnreadable rather than skip a rule it cannot read. */
export function loadedRulesOf(body: unknown): LoadedRules {
  const b = body as RulesApiBody;
  if (b?.status !== "success") {
    throw new LoadedRulesUnreadable(`/api/v1/rules answered status ${b?.status ?? "none"}: ${b?.error ?? "no error"}`);
  }
  const groups = b.data?.groups;
  if (!Array.isArray(groups)) throw new LoadedRulesUnreadable("/api/v1/rules answered no data.groups list");
  const queries: ProjectQuery[] = [];
  const records = new Set<string>();
  for (const g of groups) {
    for (const r of g.rules ?? []) {
      const where = `${g.name ?? "?"}/${r.name ?? "?"}`;
      // a rule whose query is missing may read anything: better no list than a wrong one
      if (typeof r.query !== "string") throw new LoadedRulesUnreadable(`loaded rule ${where} has no query`);
      queries.push({ source: `loaded rule ${where}`, expr: r.query });
      if (r.type === "recording" && r.name) records.add(r.name);
    }
  }
  return { groups: groups.length, queries, records };
}

/**
 * The PromQL inside a Grafana query variable: `label_values(<selector>, label)` and `query_result(<expr>)`
 * read series; `metrics(<regex>)` reads names matching a regex (returned as a `__name__` selector).
 */
export function variablePromql(query: string): string | undefined {
  const labelValues = /^\s*label_values\((.+),\s*[\w.]+\s*\)\s*$/s.exec(query);
  if (labelValues) return labelValues[1];
  const result = /^\s*query_result\((.+)\)\s*$/s.exec(query);
  if (result) return result[1];
  const metrics = /^\s*metrics\((.+)\)\s*$/s.exec(query);
  return metrics ? `{__name__=~${JSON.stringify(metrics[1]?.trim())}}` : undefined;
}

interface VariableJson {
  name?: string;
  type?: string;
  query?: string | { query?: string };
  datasource?: { type?: string };
}

/** Panel and annotation queries, and the Prometheus query variables of the templating list. */
export function dashboardQueries(dashboards: readonly GeneratedDashboard[]): ProjectQuery[] {
  return dashboards.flatMap((d) => {
    const list = (d.json.templating as { list?: VariableJson[] } | undefined)?.list ?? [];
    const variables = list
      .filter((v) => v.type === "query" && v.datasource?.type === "prometheus")
      .flatMap((v) => {
        const expr = variablePromql(typeof v.query === "string" ? v.query : (v.query?.query ?? ""));
        return expr ? [{ source: `dashboard ${d.uid}: variable ${v.name}`, expr }] : [];
      });
    const panels = d.queries
      .filter((q) => q.datasource === "prometheus")
      .map((q) => ({ source: `dashboard ${d.uid}: ${q.panel}`, expr: q.expr }));
    return [...panels, ...variables];
  });
}

/** What the responder and the chaos runner read besides the rules: the hold query and the SLO records. */
export function toolQueries(
  groups: RuleGroup[],
  appsNamespace: string,
  holdWhenServicesBurning: number,
): ProjectQuery[] {
  return [
    { source: "responder hold query", expr: holdQueryOf(groups, appsNamespace, holdWhenServicesBurning) },
    { source: "responder burn rate", expr: SLO_RECORDS.currentBurnRate },
    ...SLI_WINDOWS.map((w) => ({ source: "chaos runner", expr: SLO_RECORDS.errorRatio(w) })),
  ];
}

/** A runbook (docs/runbooks): its file name, for the evidence, and its Markdown. */
export interface RunbookText {
  name: string;
  text: string;
}

const CODE_BLOCK = /```[^\n]*\n([\s\S]*?)```/g;
const INLINE_CODE = /`([^`\n]+)`/g;
/** Worth parsing as PromQL: a selector or a call, or a name with `_` or `:` (a plain word like `order` is prose). */
const LOOKS_LIKE_PROMQL = /[{(]|^[A-Za-z_:][\w:]*[_:][\w:]*$/;

/**
 * The queries the runbooks tell an operator to run by hand (inline code, and each line of a code block, that
 * parse as PromQL and read a metric): dropping what a runbook reads would empty the query someone runs during
 * an incident.
 */
export function runbookQueries(runbooks: readonly RunbookText[]): ProjectQuery[] {
  return runbooks.flatMap(({ name, text }) => {
    const blockLines = [...text.matchAll(CODE_BLOCK)].flatMap((m) => (m[1] ?? "").split("\n"));
    const inline = [...text.replace(CODE_BLOCK, "").matchAll(INLINE_CODE)].map((m) => m[1] ?? "");
    const candidates = new Set([...blockLines, ...inline].map((s) => s.trim()));
    return [...candidates]
      .filter((s) => LOOKS_LIKE_PROMQL.test(s) && promqlProblems(s).length === 0 && promqlMetricNames(s).length > 0)
      .map((expr) => ({ source: `runbook ${name}`, expr }));
  });
}

/** Names the rules record. */
export function recordedNames(groups: readonly RuleGroup[]): Set<string> {
  return new Set(groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
}

/** Records no rule, dashboard or tool reads: candidates for removal (then their inputs may go too). */
export function unreadRecords(groups: readonly RuleGroup[], reads: MetricReads): string[] {
  return [...recordedNames(groups)].filter((name) => !isRead(reads, name)).sort();
}

/**
 * What the project reads: its rules, dashboards and tools, and this report's own queries but the one listing
 * every series (its `__name__=~".+"` reads everything by construction); with `loaded`, also what every rule
 * loaded in the queried Prometheus reads (kube-prometheus-stack's own rules protect their inputs too); and the
 * queries of the runbooks.
 */
export function projectReads(
  config: StackConfig,
  groups: RuleGroup[],
  queries: ReportQueries,
  loaded?: LoadedRules,
  runbooks: readonly RunbookText[] = [],
): MetricReads {
  const ns = namespaces(config);
  const own: ProjectQuery[] = Object.entries(queries)
    .filter(([key]) => key !== "seriesByName")
    .map(([key, expr]) => ({ source: `cost report ${key}`, expr }));
  return metricReads([
    ...ruleQueries(groups),
    ...dashboardQueries(stackDashboards(config)),
    ...toolQueries(groups, ns.apps, config.responder.holdWhenServicesBurning),
    ...own,
    ...(loaded?.queries ?? []),
    ...runbookQueries(runbooks),
  ]);
}
