import { promqlParser as parser, type SyntaxNode } from "../../queries/lezer";
import type { RenderedObject } from "../../render/render";
import { describe, type Finding, finding } from "./objects";
import { anchoredRegex, jobsProduced, loadedBy, prometheusesOf, unselectedFindings } from "./scraping";

// PromQL parsed with the grammar the dashboard checks use.

/** A `job` matcher that needs a target: `=` and `=~` (negative matchers need none). */
export interface JobMatcher {
  op: "=" | "=~";
  value: string;
}

/** A PromQL string literal's value: double- or single-quoted with escapes, or a raw backtick string. */
function unquote(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === "`") return body;
  const asDouble = quote === "'" ? `"${body.replace(/\\'/g, "'").replace(/"/g, '\\"')}"` : literal;
  try {
    return JSON.parse(asDouble) as string;
  } catch {
    return body; // Go escapes JSON lacks (\a, \x41…): close enough for a job name
  }
}

/** Every `job="…"` / `job=~"…"` matcher of a PromQL expression, in selectors anywhere in it. */
export function jobMatchers(expr: string): JobMatcher[] {
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const out: JobMatcher[] = [];
  parser.parse(expr).iterate({
    enter: ({ name, node }) => {
      if (name !== "UnquotedLabelMatcher" && name !== "QuotedLabelMatcher") return undefined;
      const label = node.getChild("LabelName") ?? node.getChild("QuotedLabelName");
      const op = node.getChild("MatchOp");
      const value = node.getChild("StringLiteral");
      if (!label || !op || !value) return false;
      const labelName = label.name === "QuotedLabelName" ? unquote(text(label)) : text(label);
      const operator = text(op);
      if (labelName === "job" && (operator === "=" || operator === "=~")) {
        out.push({ op: operator, value: unquote(text(value)) });
      }
      return false;
    },
  });
  return out;
}

export type MatchResult = { matches: true } | { matches: false; reason?: string };

/**
 * Whether a matcher selects some produced job. A matcher that also matches the empty string selects series
 * without a job label too (aggregated recording rules), so it needs no target.
 */
export function matcherHasTarget(m: JobMatcher, jobs: Set<string>): MatchResult {
  if (m.op === "=") return m.value === "" || jobs.has(m.value) ? { matches: true } : { matches: false };
  const regex = anchoredRegex(m.value);
  if (!regex)
    return { matches: false, reason: "the regex does not compile as a JavaScript regex, so it was not evaluated" };
  return regex.test("") || [...jobs].some((j) => regex.test(j)) ? { matches: true } : { matches: false };
}

interface Rule {
  alert?: string;
  record?: string;
  expr?: string | number;
}
interface RuleGroup {
  name?: string;
  rules?: Rule[];
}

const isPrometheusRule = (r: RenderedObject) =>
  r.object.kind === "PrometheusRule" && r.object.apiVersion.startsWith("monitoring.coreos.com/");

/**
 * Every `job` an alerting or recording rule selects with `=` or `=~` is produced by some monitor: a rule on a
 * job nobody scrapes never fires (or records nothing), silently. `!=` and `!~` are ignored. Per Prometheus
 * resource: the rules it loads against the jobs of what it scrapes (one environment's rule is not satisfied by
 * another's targets); a PrometheusRule no Prometheus loads is reported (`prometheus-selects`). A set without a
 * Prometheus judges every rule against every monitor.
 */
export function rulesHaveTargets(objects: RenderedObject[]): Finding[] {
  const prometheuses = prometheusesOf(objects);
  const scopes = prometheuses.length > 0 ? prometheuses : [undefined];
  const out: Finding[] = unselectedFindings(objects, ["PrometheusRule"]);
  for (const prometheus of scopes) {
    // Named only when there are several: then a finding says whose targets were missing.
    const whose = prometheus && scopes.length > 1 ? ` for ${describe(prometheus)}` : "";
    out.push(
      ...ruleFindings(
        objects.filter(isPrometheusRule).filter(loadedBy(objects, prometheus)),
        objects,
        whose,
        prometheus,
      ),
    );
  }
  return [...new Map(out.map((f) => [JSON.stringify(f), f])).values()];
}

function ruleFindings(
  rules: RenderedObject[],
  objects: RenderedObject[],
  whose: string,
  prometheus: RenderedObject | undefined,
): Finding[] {
  const produced = jobsProduced(objects, prometheus);
  const jobs = new Set(produced.flatMap((p) => (p.job === undefined ? [] : [p.job])));
  const unknown = produced.filter((p) => p.job === undefined).map((p) => p.by);
  const named = [...jobs].filter((j) => j !== "").sort(); // "" = a relabeling removed the job label
  const available = `jobs produced${whose}: ${named.join(", ") || "none"}${
    unknown.length > 0 ? `; jobs set by relabelings not evaluated here: ${unknown.join("; ")}` : ""
  }`;
  const out: Finding[] = [];
  for (const r of rules) {
    const groups: RuleGroup[] = (r.object as { spec?: { groups?: RuleGroup[] } }).spec?.groups ?? [];
    for (const group of groups) {
      for (const rule of group.rules ?? []) {
        if (rule.expr === undefined) continue;
        const what = rule.alert !== undefined ? `alert ${rule.alert}` : `record ${rule.record}`;
        const seen = new Set<string>();
        for (const m of jobMatchers(String(rule.expr))) {
          const matcher = `job${m.op}${JSON.stringify(m.value)}`;
          if (seen.has(matcher)) continue;
          seen.add(matcher);
          const result = matcherHasTarget(m, jobs);
          if (result.matches) continue;
          const why = result.reason ?? `matches no job any monitor produces (${available})`;
          out.push(finding("rule-targets", r, `group "${group.name}", ${what}: ${matcher} ${why}`));
        }
      }
    }
  }
  return out;
}
