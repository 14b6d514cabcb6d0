import { logqlParser, promqlParser, type SyntaxNode, type Tree } from "../queries/lezer";

/*
 * Offline validation of dashboard queries with the same Lezer grammars Grafana's query editors use
 * (infra/queries/lezer.ts); a syntax error is an error node, so the tree is walked.
 */

/**
 * Values that stand in for Grafana's variables when a query is checked offline. Durations are valid
 * range durations; `service` is a regex alternation (valid inside `=~"..."`, no quotes or backslashes).
 */
export const SAMPLE_VARIABLE_VALUES: Readonly<Record<string, string>> = {
  __rate_interval: "1m",
  __interval: "30s",
  __interval_ms: "30000",
  __range: "6h",
  __range_s: "21600",
  __range_ms: "21600000",
  __auto: "1m",
  __from: "1700000000000",
  __to: "1700021600000",
  __all: ".+",
  service: "order|product|user",
  route: ".*",
  status: "5..|4..",
  environment: "dev",
  namespace: "obs-dev-apps",
  platform_namespace: "obs-dev-platform",
  slo: "availability|latency",
};

/** Escapes a value so it stays one string literal and matches literally inside a regex. */
function regexSafe(value: string): string {
  return value.replace(/[\\"]/g, (c) => `\\${c}`);
}

/**
 * Replaces Grafana's variable syntaxes — `$name`, `${name}`, `${name:format}`, `[[name]]` — with
 * sample values (SAMPLE_VARIABLE_VALUES, overridden by `values`). Unknown variables stay as they are,
 * so the parser reports them.
 */
export function substituteGrafanaVariables(expr: string, values: Record<string, string> = {}): string {
  const all: Record<string, string> = { ...SAMPLE_VARIABLE_VALUES, ...values };
  const lookup = (name: string, raw: string) => {
    const value = all[name];
    return value === undefined ? raw : regexSafe(value);
  };
  return expr
    .replace(/\$\{(\w+)(?::[^}]*)?\}/g, (raw, name: string) => lookup(name, raw))
    .replace(/\[\[(\w+)(?::[^\]]*)?\]\]/g, (raw, name: string) => lookup(name, raw))
    .replace(/\$(\w+)/g, (raw, name: string) => lookup(name, raw));
}

function syntaxProblems(tree: Tree, expr: string, language: string): string[] {
  if (expr.trim() === "") return [`${language}: empty query`];
  const problems: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (!node.type.isError) return undefined;
      const near = expr.slice(Math.max(0, node.from - 15), Math.min(expr.length, node.to + 15));
      problems.push(`${language} syntax error at offset ${node.from}: …${near}…`);
      return undefined;
    },
  });
  return problems;
}

/** Syntax errors of a PromQL expression (substitute Grafana variables first); [] when it parses. */
export function promqlProblems(expr: string): string[] {
  return syntaxProblems(promqlParser.parse(expr), expr, "PromQL");
}

/** Syntax errors of a LogQL expression (substitute Grafana variables first); [] when it parses. */
export function logqlProblems(expr: string): string[] {
  return syntaxProblems(logqlParser.parse(expr), expr, "LogQL");
}

/** Substitutes the Grafana variables of a dashboard query and checks it with the right grammar. */
export function queryProblems(query: { datasource: "prometheus" | "loki"; expr: string }): string[] {
  const expr = substituteGrafanaVariables(query.expr);
  return query.datasource === "prometheus" ? promqlProblems(expr) : logqlProblems(expr);
}

const unquote = (literal: string) => {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return literal.slice(1, -1);
  }
};

/** The metric name of a VectorSelector node: `name{...}`, `{__name__="name"}` or `{"name", ...}`. */
function selectorMetricName(selector: SyntaxNode, expr: string): string | undefined {
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const identifier = selector.getChild("Identifier") ?? selector.getChild("MetricName");
  if (identifier) return text(identifier);
  const matchers = selector.getChild("LabelMatchers");
  if (!matchers) return undefined;
  for (let child = matchers.firstChild; child; child = child.nextSibling) {
    if (child.name === "QuotedLabelName") {
      const literal = child.getChild("StringLiteral");
      if (literal) return unquote(text(literal));
    }
    if (child.name === "UnquotedLabelMatcher" || child.name === "QuotedLabelMatcher") {
      const label = child.getChild("LabelName") ?? child.getChild("QuotedLabelName");
      const op = child.getChild("MatchOp");
      const value = child.getChild("StringLiteral");
      const labelText = label ? text(label).replace(/^"|"$/g, "") : "";
      if (labelText === "__name__" && op && text(op) === "=" && value) return unquote(text(value));
    }
  }
  return undefined;
}

/** Metric names of every vector selector in a PromQL expression (substitute variables first), sorted, unique. */
export function promqlMetricNames(expr: string): string[] {
  const names = new Set<string>();
  promqlParser.parse(expr).iterate({
    enter: (node) => {
      if (node.name === "VectorSelector") {
        const name = selectorMetricName(node.node, expr);
        if (name) names.add(name);
      }
      return undefined;
    },
  });
  return [...names].sort();
}
