/*
 * Evaluates the LogQL subset the dashboards use over given log entries, so tests can prove which real
 * lines a query selects and counts without a Loki. It walks the tree of the Lezer grammar Grafana's editor
 * uses (./lezer.ts) and follows Loki v3's code (pkg/logql/log) where the docs are silent or wrong. All
 * entries form one time window: ranges and offsets are ignored. Supported: stream matchers; line filters
 * |= != |~ !~ (with `or`); `| json` (all fields, or named expressions); string and numeric label filters
 * with and/or/parentheses; `| unwrap` in metric queries. Anything else throws an Error naming it.
 * Regexes run on RE2 (re2-wasm), the engine family Loki's Go regexp belongs to.
 */
import { RE2 } from "re2-wasm";
import { logqlParser, type SyntaxNode } from "./lezer";

export interface LogEntry {
  /** Stream labels (for the services: what Alloy sets); an empty value counts as absent, as in Loki. */
  labels: Record<string, string>;
  line: string;
  structuredMetadata?: Record<string, string>;
}

/** A series of countByLabels: its labels and how many selected entries it counts. */
export interface SeriesCount {
  labels: Record<string, string>;
  count: number;
}

const ERROR_LABEL = "__error__";
const DUPLICATE_SUFFIX = "_extracted";
const JSON_ERROR = "JSONParserErr";
const LABEL_FILTER_ERROR = "LabelFilterErr";
const SAMPLE_ERROR = "SampleExtractionErr";
/** Grafana's interval variables, allowed as range durations: one window is evaluated anyway. */
const RANGE_VARIABLE = /\[\$\{?(?:__auto|__interval|__range)\}?\]/g;
const GRAFANA_VARIABLE = /\$\{?\w+|\[\[\w+/;
const MATCH_OPS = new Set(["Eq", "Eql", "Neq", "Re", "Nre"]);
const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  Gtr: (a, b) => a > b,
  Gte: (a, b) => a >= b,
  Lss: (a, b) => a < b,
  Lte: (a, b) => a <= b,
  Eq: (a, b) => a === b,
  Eql: (a, b) => a === b,
  Neq: (a, b) => a !== b,
};
const GO_ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** A line's labels through the pipeline, kept the way Loki's LabelsBuilder keeps them. */
interface LineState {
  stream: ReadonlySet<string>;
  metadata: Set<string>;
  /** Names parsers set on this line: a later `| json` keeps the first value, as Loki does. */
  parsed: Set<string>;
  labels: Map<string, string>;
  error?: string;
  /** A parser error in a query that names __error__ (Loki's __preserve_error__): metrics may count it. */
  preserved?: boolean;
}
type Stage = (line: string, s: LineState) => boolean;
type LabelPredicate = (s: LineState) => boolean;
type Plan = { selector: (labels: Record<string, string>) => boolean; stages: Stage[] };

const children = (node: SyntaxNode): SyntaxNode[] => {
  const all: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) all.push(c);
  return all;
};
const descendants = (node: SyntaxNode, name: string): SyntaxNode[] =>
  children(node).flatMap((c) => (c.name === name ? [c] : descendants(c, name)));

/** Go's strconv.ParseFloat on decimal and inf/nan forms; undefined where Go fails (hex floats not handled). */
function parseGoFloat(text: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined; // Go reports out-of-range values as errors
}

const regexCache = new Map<string, RE2>();
function compileRegex(pattern: string, where: string): RE2 {
  try {
    const re = regexCache.get(pattern) ?? new RE2(pattern, "u");
    regexCache.set(pattern, re);
    return re;
  } catch (e) {
    throw new Error(`LogQL: invalid regular expression in ${where}: ${(e as Error).message}`);
  }
}

/** JSON numbers keep their text ("1.50" stays "1.50"), as Loki's parser copies the bytes. */
class RawNumber {
  constructor(readonly text: string) {}
}
const keepNumberText = (_key: string, value: unknown, context?: { source?: string }) =>
  typeof value === "number" && context?.source !== undefined ? new RawNumber(context.source) : value;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RawNumber);
/** Loki replaces the invalid-UTF-8 replacement character with a space. */
const validUtf8 = (s: string) => s.replaceAll("\uFFFD", " ");
/** Loki's label-key sanitising: trimmed, `_` before a leading digit, other characters to `_`. */
const sanitize = (key: string, k = key.trim()) => (/^\d/.test(k) ? `_${k}` : k).replace(/\W/g, "_");

function setParsed(s: LineState, name: string, value: string): void {
  s.labels.set(name, value);
  s.metadata.delete(name);
  s.parsed.add(name);
}
const collides = (s: LineState, name: string) => s.stream.has(name) || s.metadata.has(name);

/** `| json`: every scalar field, nested objects joined with `_`; arrays and nulls skipped; first value wins. */
function jsonFields(s: LineState, object: Record<string, unknown>, prefix: string[]): void {
  for (const [key, value] of Object.entries(object)) {
    const path = [...prefix, sanitize(key)].filter((part) => part !== "");
    if (isRecord(value)) {
      jsonFields(s, value, path);
      continue;
    }
    if (value === null || Array.isArray(value) || path.length === 0) continue;
    let name = path.join("_");
    if (collides(s, name)) name += DUPLICATE_SUFFIX;
    if (s.parsed.has(name)) continue;
    setParsed(s, name, value instanceof RawNumber ? value.text : validUtf8(String(value)));
  }
}

/** A named `| json` value: objects and arrays as JSON text (re-serialised: Loki copies the line's bytes). */
function extractedValue(v: unknown): string {
  if (v === null) return "";
  if (v instanceof RawNumber) return v.text;
  if (typeof v === "object") return JSON.stringify(v, (_k, x) => (x instanceof RawNumber ? Number(x.text) : x));
  return validUtf8(String(v));
}

/** Loki's json expressions: `a.b`, `list[0]`, `a["key"]`, in any combination. */
function jsonPath(expression: string): Array<string | number> {
  const path: Array<string | number> = [];
  let rest = expression.trim();
  while (rest !== "") {
    const m = /^\s*(?:([A-Za-z_]\w*)|\.|\[\s*(?:(\d+)|"([^"\]]*)")\s*\])/.exec(rest);
    if (!m) throw new Error(`LogQL: cannot parse the json expression "${expression}" at "${rest}"`);
    const key = m[1] ?? m[3];
    if (key !== undefined) path.push(key);
    else if (m[2] !== undefined) path.push(Number(m[2]));
    rest = rest.slice(m[0].length);
  }
  return path;
}
function lookup(doc: unknown, path: Array<string | number>): unknown {
  let at: unknown = doc;
  for (const step of path) {
    if (typeof step === "number") at = Array.isArray(at) ? at[step] : undefined;
    else at = isRecord(at) && Object.hasOwn(at, step) ? at[step] : undefined;
    if (at === undefined) return undefined;
  }
  return at;
}

function startLine(entry: LogEntry): LineState {
  const labels = new Map(Object.entries(entry.labels).filter(([, v]) => v !== ""));
  const stream = new Set(labels.keys());
  const metadata = new Set<string>();
  for (const [name, value] of Object.entries(entry.structuredMetadata ?? {})) {
    const key = stream.has(name) ? name + DUPLICATE_SUFFIX : name;
    labels.set(key, value);
    metadata.add(key);
  }
  return { stream, metadata, parsed: new Set(), labels };
}
function outputLabels(s: LineState): Record<string, string> {
  const labels = Object.fromEntries(s.labels);
  if (s.error) labels[ERROR_LABEL] = s.error;
  return labels;
}
function evaluate(plan: Plan, entries: LogEntry[]): Array<{ entry: LogEntry; state: LineState }> {
  const selected: Array<{ entry: LogEntry; state: LineState }> = [];
  for (const entry of entries) {
    if (!plan.selector(entry.labels)) continue;
    const state = startLine(entry);
    if (plan.stages.every((stage) => stage(entry.line, state))) selected.push({ entry, state });
  }
  return selected;
}

const seriesKey = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .sort()
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ")}}`;
/** Sums series into groups of the labels `pick` keeps (empty values count as absent). */
function group(series: SeriesCount[], pick: (labels: Record<string, string>) => string[]): SeriesCount[] {
  const groups = new Map<string, SeriesCount>();
  for (const { labels, count } of series) {
    const kept = Object.fromEntries(pick(labels).flatMap((l) => (labels[l] ? [[l, labels[l]]] : [])));
    const key = seriesKey(kept);
    const existing = groups.get(key);
    if (existing) existing.count += count;
    else groups.set(key, { labels: kept, count });
  }
  return [...groups.values()];
}
const largestFirst = (a: SeriesCount, b: SeriesCount) =>
  b.count - a.count || (seriesKey(a.labels) < seriesKey(b.labels) ? -1 : 1);

/** Compiles the parts of one parsed query; `src` is the text the node offsets refer to. */
class Compiler {
  /** Label names the pipeline reads: with __error__ among them, a grouped metric keeps parser errors. */
  readonly referenced = new Set<string>();
  preserveErrors = false;
  constructor(private readonly src: string) {}

  text = (node: SyntaxNode) => this.src.slice(node.from, node.to);
  unsupported = (node: SyntaxNode, what: string) =>
    new Error(`LogQL: ${what} is not supported by this evaluator (at "${this.text(node)}")`);
  need(node: SyntaxNode, name: string): SyntaxNode {
    const found = node.getChild(name);
    if (!found) throw new Error(`LogQL: expected ${name} in "${this.text(node)}"`);
    return found;
  }

  /** A Go string literal: backticks raw, double quotes with Go's escapes (bytes above 0x7f as code points). */
  string(node: SyntaxNode): string {
    const literal = this.text(node);
    if (literal.startsWith("`")) return literal.slice(1, -1);
    return literal
      .slice(1, -1)
      .replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|[\s\S])/g, (_all, esc: string) => {
        if (esc.length > 1)
          return String.fromCodePoint(Number.parseInt(esc.replace(/^[xuU]/, ""), /^\d/.test(esc) ? 8 : 16));
        if (esc === "\\" || esc === '"') return esc;
        const plain = GO_ESCAPES[esc];
        if (plain === undefined)
          throw new Error(`LogQL: invalid escape \\${esc} in ${literal} (write \\\\${esc}, or use backticks)`);
        return plain;
      });
  }

  /** Stream matchers are Prometheus matchers (anchored, `.` matches newlines); label filters anchor without (?s). */
  matcher(node: SyntaxNode, stream: boolean): { name: string; test: (value: string) => boolean } {
    const name = this.text(this.need(node, "Identifier"));
    const op = children(node).find((c) => MATCH_OPS.has(c.name))?.name;
    const value = this.string(this.need(node, "String"));
    let test = (v: string) => v === value;
    if (op === "Re" || op === "Nre") {
      const re = compileRegex(stream ? `^(?s:${value})$` : `^(?:${value})$`, this.text(node));
      test = (v) => re.test(v);
    }
    return { name, test: op === "Neq" || op === "Nre" ? (v) => !test(v) : test };
  }

  logPlan(node: SyntaxNode): Plan {
    const inner = node.getChild("LogExpr");
    const plan = inner ? this.logPlan(inner) : { selector: this.selector(this.need(node, "Selector")), stages: [] };
    const pipeline = node.getChild("PipelineExpr");
    if (pipeline) plan.stages.push(...descendants(pipeline, "PipelineStage").map((st) => this.stage(st)));
    const unwrap = node.getChild("UnwrapExpr");
    if (unwrap) plan.stages.push(...this.unwrap(unwrap));
    return plan;
  }

  selector(node: SyntaxNode): Plan["selector"] {
    const matchers = descendants(node, "Matcher").map((m) => this.matcher(m, true));
    const why = "queries require at least one regexp or equality matcher that does not have an empty-compatible value";
    if (matchers.every((m) => m.test(""))) throw new Error(`LogQL: ${this.text(node)}: ${why}`);
    return (labels) => matchers.every((m) => m.test(labels[m.name] ?? ""));
  }

  stage(node: SyntaxNode): Stage {
    const lineFilters = node.getChild("LineFilters");
    if (lineFilters) {
      const filters = descendants(lineFilters, "LineFilter").map((f) => this.lineFilter(f));
      return (line) => filters.every((f) => f(line));
    }
    const body = children(node).find((c) => c.name !== "Pipe");
    if (body?.name === "LabelFilter") {
      const filter = this.labelFilter(body);
      return (_line, s) => filter(s);
    }
    if (body?.name === "LabelParser" && body.getChild("Json")) return this.jsonAll();
    if (body?.name === "JsonExpressionParser") return this.jsonExpressions(body);
    throw this.unsupported(node, `the pipeline stage ${body?.name ?? "?"}`);
  }

  /** `or` alternatives: a positive filter keeps a line matching any; a negative one drops it (Loki ≥ 3.0). */
  lineFilter(node: SyntaxNode): (line: string) => boolean {
    if (node.getChild("FilterOp")) throw this.unsupported(node, "an ip() line filter");
    const op = this.need(node, "Filter").firstChild?.name ?? "";
    if (!["PipeExact", "Neq", "PipeMatch", "Nre"].includes(op)) throw this.unsupported(node, "this line filter");
    const values: string[] = [];
    for (let n: SyntaxNode | null = node; n; n = n.getChild("OrFilter"))
      values.push(this.string(this.need(n, "String")));
    const regex = op === "PipeMatch" || op === "Nre";
    const tests = values.map((v): ((line: string) => boolean) => {
      if (!regex) return (line) => line.includes(v);
      const re = compileRegex(v, this.text(node)); // unanchored; `.` does not match a newline, as in Go
      return (line) => re.test(line);
    });
    const keep = op === "PipeExact" || op === "PipeMatch";
    return (line) => tests.some((t) => t(line)) === keep;
  }

  /** The parser's tree gives `and` precedence over `or`, as Loki's engine does (its docs said left to right). */
  labelFilter(node: SyntaxNode): LabelPredicate {
    const matcher = node.getChild("Matcher");
    if (matcher) {
      const { name, test } = this.matcher(matcher, false);
      this.referenced.add(name);
      return (s) => test(name === ERROR_LABEL ? (s.error ?? "") : (s.labels.get(name) ?? ""));
    }
    const numeric = node.getChild("NumberFilter");
    if (numeric) return this.numberFilter(numeric);
    const parts = children(node).filter((c) => c.name === "LabelFilter");
    const [left, right] = parts.map((p) => this.labelFilter(p));
    if (left && !right) return left; // parentheses
    if (left && right && node.getChild("Or")) return (s) => left(s) || right(s);
    if (left && right) return (s) => [left(s), right(s)].every(Boolean); // `and`, `,`: both run, as in Loki
    throw this.unsupported(node, `the label filter ${children(node)[0]?.name ?? ""}`);
  }

  /** Missing label: dropped. Not a number: kept with __error__=LabelFilterErr (unless an error is already set). */
  numberFilter(node: SyntaxNode): LabelPredicate {
    const name = this.text(this.need(node, "Identifier"));
    this.referenced.add(name);
    const compare = COMPARE[children(node).find((c) => COMPARE[c.name])?.name ?? ""];
    const bound = parseGoFloat(this.text(this.need(node, "LiteralExpr")).replace(/\s/g, ""));
    if (!compare || bound === undefined) throw this.unsupported(node, "this numeric label filter");
    return (s) => {
      const raw = s.labels.get(name);
      if (raw === undefined) return false;
      const value = parseGoFloat(raw);
      if (value !== undefined) return compare(value, bound);
      s.error ??= LABEL_FILTER_ERROR;
      return true;
    };
  }

  /**
   * A line `| json` cannot read (for all fields: not an object) keeps going with __error__=JSONParserErr.
   * Unlike Loki's scanner, JSON.parse keeps nothing of a broken line, and the last of duplicate keys (Loki: the first).
   */
  parseJson(line: string, s: LineState, object: boolean): unknown {
    let doc: unknown;
    try {
      doc = JSON.parse(line, keepNumberText);
    } catch {}
    if (doc !== undefined && (!object || isRecord(doc))) return doc;
    s.error = JSON_ERROR;
    if (this.preserveErrors) s.preserved = true;
    return undefined;
  }

  jsonAll(): Stage {
    return (line, s) => {
      const doc = this.parseJson(line, s, true);
      if (isRecord(doc)) jsonFields(s, doc, []);
      return true;
    };
  }

  jsonExpressions(node: SyntaxNode): Stage {
    const wanted = descendants(node, "LabelExtractionExpression").map((e) => {
      const id = this.text(this.need(e, "Identifier"));
      const expression = e.getChild("String");
      return { id, path: jsonPath(expression ? this.string(expression) : id) };
    });
    return (line, s) => {
      if (line === "") return true;
      // Loki looks at the first character before scanning: the error is set, the line goes on.
      if (!'{["'.includes(line[0] ?? "")) return this.parseJson("", s, false) === undefined;
      const doc = this.parseJson(line, s, false);
      for (const { id, path } of wanted) {
        const value = doc === undefined ? undefined : lookup(doc, path);
        if (value !== undefined) setParsed(s, collides(s, id) ? id + DUPLICATE_SUFFIX : id, extractedValue(value));
      }
      for (const { id } of wanted) if (!s.labels.has(id)) setParsed(s, id, "");
      return true;
    };
  }

  /** Loki's sample extraction: no value, no sample; not a number: __error__=SampleExtractionErr; then its filters. */
  unwrap(node: SyntaxNode): Stage[] {
    const inner = node.getChild("UnwrapExpr");
    if (inner) {
      const filter = this.labelFilter(this.need(node, "LabelFilter"));
      return [...this.unwrap(inner), (_line, s) => filter(s)];
    }
    if (node.getChild("ConvOp")) throw this.unsupported(node, "an unwrap conversion function");
    const name = this.text(this.need(node, "Identifier"));
    this.referenced.add(name);
    return [
      (_line, s) => {
        const value = s.labels.get(name) ?? "";
        if (value !== "" && parseGoFloat(value) === undefined) s.error = SAMPLE_ERROR;
        return value !== "";
      },
    ];
  }

  /** `groups`: the `by` labels of a sum directly around a range aggregation ([] for a plain sum). */
  count(metric: SyntaxNode, groups: string[] | undefined, entries: LogEntry[]): SeriesCount[] {
    const body = metric.firstChild;
    if (body?.name === "VectorAggregationExpr") return this.aggregate(body, entries);
    if (body?.name === "RangeAggregationExpr") return this.countOverTime(body, groups, entries);
    throw this.unsupported(metric, `the expression ${body?.name ?? "?"} in countByLabels`);
  }

  aggregate(node: SyntaxNode, entries: LogEntry[]): SeriesCount[] {
    const opNode = this.need(node, "VectorOp");
    const grouping = node.getChild("Grouping");
    const inner = this.need(node, "MetricExpr");
    if (opNode.firstChild?.name === "Topk" && !grouping) {
      const k = Number(this.text(this.need(node, "Number")));
      if (!Number.isInteger(k) || k < 1) throw new Error(`LogQL: topk needs a positive integer k, got ${k}`);
      return this.count(inner, undefined, entries).sort(largestFirst).slice(0, k);
    }
    if (opNode.firstChild?.name !== "Sum") throw this.unsupported(node, `the ${this.text(opNode)} aggregation`);
    if (grouping?.getChild("Without")) throw this.unsupported(grouping, "sum without");
    const by = grouping ? descendants(grouping, "Identifier").map(this.text) : [];
    return group(this.count(inner, by, entries), () => by);
  }

  /** Loki fails a metric query on a series with __error__ unless the query asked for the errors. */
  countOverTime(node: SyntaxNode, groups: string[] | undefined, entries: LogEntry[]): SeriesCount[] {
    const op = this.need(node, "RangeOp");
    if (op.firstChild?.name !== "CountOverTime") throw this.unsupported(op, `${this.text(op)} in countByLabels`);
    const range = this.need(node, "LogRangeExpr");
    if (range.getChild("UnwrapExpr")) throw this.unsupported(range, "unwrap in countByLabels");
    if (node.getChild("Grouping")) throw this.unsupported(node, "grouping inside count_over_time");
    const plan = this.logPlan(range);
    this.preserveErrors = groups !== undefined && [...groups, ...this.referenced].includes(ERROR_LABEL);
    const series = evaluate(plan, entries).map(({ state }) => {
      const labels = outputLabels(state);
      const skip = `Use a label filter to intentionally skip this error. (e.g | __error__!="${state.error}")`;
      if (state.error && !state.preserved)
        throw new Error(`LogQL: pipeline error: '${state.error}' for series: '${seriesKey(labels)}'. ${skip}`);
      return { labels, count: 1 };
    });
    return group(series, (labels) => Object.keys(labels));
  }
}

function parseQuery(query: string): { compiler: Compiler; expr: SyntaxNode } {
  const src = query.replace(RANGE_VARIABLE, "[1m]");
  const variable = GRAFANA_VARIABLE.exec(src);
  const allowed = "only $__auto, $__interval and $__range may stay, as range durations";
  if (variable) throw new Error(`LogQL: substitute the Grafana variable ${variable[0]}… first (${allowed}): ${query}`);
  let top: SyntaxNode | undefined;
  let errorAt: number | undefined;
  logqlParser.parse(src).iterate({
    enter: (n) => {
      top ??= n.node;
      if (n.type.isError) errorAt ??= n.from;
      return undefined;
    },
  });
  const expr = top?.getChild("Expr")?.firstChild;
  const at = errorAt ?? 0;
  if (errorAt !== undefined || !expr)
    throw new Error(`LogQL: syntax error at offset ${at} near "${src.slice(at, at + 20)}" in ${query}`);
  return { compiler: new Compiler(src), expr };
}

/**
 * The entries a log query selects, with their labels after the pipeline (parsed labels, __error__). For a
 * metric query, the entries its one log range expression turns into samples (labels before grouping).
 */
export function selectLogLines(query: string, entries: LogEntry[]): LogEntry[] {
  const { compiler, expr } = parseQuery(query);
  let target = expr;
  if (expr.name === "MetricExpr") {
    const ranges = descendants(expr, "LogRangeExpr");
    const [range, ...more] = ranges;
    if (!range || more.length > 0)
      throw new Error(`LogQL: selectLogLines needs one log range expression, found ${ranges.length}: ${query}`);
    target = range;
  }
  const selected = evaluate(compiler.logPlan(target), entries);
  return selected.map(({ entry, state }) => ({ ...entry, labels: outputLabels(state) }));
}

/**
 * Evaluates `count_over_time`, optionally inside `sum [by (labels)]` and `topk(k, …)`, over all entries as one
 * window: one series per label set, largest count first (ties by labels).
 */
export function countByLabels(query: string, entries: LogEntry[]): SeriesCount[] {
  const { compiler, expr } = parseQuery(query);
  if (expr.name !== "MetricExpr")
    throw new Error(`LogQL: countByLabels needs a metric query such as sum by (…) (count_over_time(…)); got ${query}`);
  return compiler.count(expr, undefined, entries).sort(largestFirst);
}
