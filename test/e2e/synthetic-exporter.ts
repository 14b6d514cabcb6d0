import http from "node:http";
import type { AddressInfo } from "node:net";
import type { RuleGroup } from "../../infra/alerting/rules";
import { promqlMetricNames } from "../../infra/dashboards/query-check";
import { anchoredRegex } from "../../infra/preflight/checks/scraping/jobs";
import { promqlParser, type SyntaxNode } from "../../infra/queries/lezer";
import { selectorsOf } from "../dashboards/built";

/*
 * Series a live test needs but the local harness cannot produce (kube-state-metrics, cAdvisor, the kubelet,
 * Loki's or a newer Prometheus' size metrics), derived from the queries themselves and served in the text
 * exposition format to the real Prometheus. Nothing is listed by hand: each vector selector becomes series
 * that satisfy its matchers, with one consistent label set per workload so joins match.
 */

export interface Matcher {
  label: string;
  op: string;
  value: string;
}
export interface Selector {
  /** The selector as written, without a range: `name{...}`. */
  text: string;
  name: string | undefined;
  matchers: Matcher[];
}
export type Labels = Record<string, string>;

/** A synthetic workload: its name (what its Deployment, HPA and container are called) and its series' labels. */
export interface Workload {
  name: string;
  labels: Labels;
}

/** Whether a label value (absent = "") satisfies a matcher, as Prometheus anchors regexes. */
export function satisfies(m: Matcher, value: string | undefined): boolean {
  const v = value ?? "";
  if (m.op === "=") return v === m.value;
  if (m.op === "!=") return v !== m.value;
  const regex = anchoredRegex(m.value);
  if (!regex) throw new Error(`${m.label}${m.op}"${m.value}": the regex does not compile in JavaScript`);
  return m.op === "=~" ? regex.test(v) : !regex.test(v);
}

/**
 * A string an RE2 regex matches in full: the first alternative of each alternation, each quantified atom as
 * few times as allowed, a character class's first member, `.` as "a". Verified against the anchored regex;
 * undefined when this derivation does not match (constructs it does not model).
 */
export function exampleMatch(regex: string): string | undefined {
  let i = 0;
  const classMember = (): string => {
    const start = i;
    if (regex[i] === "^") i += 1;
    if (regex[i] === "]") i += 1; // a leading "]" is a member
    while (i < regex.length && regex[i] !== "]") i += regex[i] === "\\" ? 2 : 1;
    const accepts = anchoredRegex(`[${regex.slice(start, i++)}]`);
    return [..."a0x-_.Z9"].find((c) => accepts?.test(c)) ?? "";
  };
  const atom = (): string => {
    const c = regex[i++] as string;
    if (c === "(") {
      // (?:...) and named groups read as plain groups
      if (regex.startsWith("?:", i)) i += 2;
      else if (regex[i] === "?") i = regex.indexOf(">", i) + 1;
      const inner = alternation();
      i += 1; // ")"
      return inner;
    }
    if (c === "[") return classMember();
    if (c === ".") return "a";
    if (c === "^" || c === "$") return "";
    if (c === "\\") {
      const e = regex[i++] as string;
      return { d: "0", w: "a", s: " " }[e] ?? e;
    }
    return c;
  };
  const sequence = (): string => {
    let out = "";
    while (i < regex.length && regex[i] !== "|" && regex[i] !== ")") {
      const piece = atom();
      const q = regex[i];
      let times = 1;
      if (q === "*" || q === "?" || q === "+") {
        times = q === "+" ? 1 : 0;
        i += 1;
      } else if (q === "{") {
        const close = regex.indexOf("}", i);
        times = Number(regex.slice(i + 1, close).split(",")[0]);
        i = close + 1;
      }
      if (regex[i] === "?") i += 1; // lazy
      out += piece.repeat(times);
    }
    return out;
  };
  const alternation = (): string => {
    const first = sequence();
    while (regex[i] === "|") {
      i += 1;
      sequence();
    }
    return first;
  };
  const example = alternation();
  return anchoredRegex(regex)?.test(example) ? example : undefined;
}

function selectorOf(node: SyntaxNode, expr: string): Selector {
  const text = expr.slice(node.from, node.to);
  const [parsed] = selectorsOf({ datasource: "prometheus", expr: text });
  return { text, name: promqlMetricNames(text)[0], matchers: (parsed?.matchers ?? []).filter((m) => m.label) };
}

/**
 * The vector selectors of a PromQL expression, grouped by the binary operators that match their series by
 * labels (every operator between two vectors but `or`): a group's series must share labels for the
 * expression to return data. The right side of `unless` is left out: series there would empty the result.
 */
export function joinedSelectors(expr: string): Selector[][] {
  const nodes: SyntaxNode[] = [];
  const joins: [number[], number[]][] = [];
  const excluded = new Set<number>();
  const within = (n: SyntaxNode) => nodes.flatMap((s, k) => (s.from >= n.from && s.to <= n.to ? [k] : []));
  const binaries: SyntaxNode[] = [];
  promqlParser.parse(expr).iterate({
    enter: ({ name, node }) => {
      if (name === "VectorSelector") nodes.push(node);
      if (name === "BinaryExpr") binaries.push(node);
      return name === "VectorSelector" ? false : undefined;
    },
  });
  for (const b of binaries) {
    const left = b.firstChild as SyntaxNode;
    const op = left.nextSibling as SyntaxNode;
    let right = op;
    while (right.nextSibling) right = right.nextSibling;
    if (op.name === "Unless") for (const k of within(right)) excluded.add(k);
    if (op.name !== "Or" && op.name !== "Unless") joins.push([within(left), within(right)]);
  }
  // union-find over selector indices
  const parent = nodes.map((_, k) => k);
  const root = (k: number): number => (parent[k] === k ? k : root(parent[k] as number));
  for (const [l, r] of joins) {
    const all = [...l, ...r];
    if (l.length > 0 && r.length > 0) for (const k of all) parent[root(k)] = root(all[0] as number);
  }
  const groups = new Map<number, Selector[]>();
  nodes.forEach((n, k) => {
    if (excluded.has(k)) return;
    groups.set(root(k), [...(groups.get(root(k)) ?? []), selectorOf(n, expr)]);
  });
  return [...groups.values()];
}

/** The expressions and, transitively, the expressions of the recording rules they read. */
export function withRuleInputs(exprs: string[], rules: RuleGroup[]): string[] {
  const all = rules.flatMap((g) => g.rules);
  const out = [...exprs];
  const seen = new Set<string>();
  for (let k = 0; k < out.length; k++) {
    for (const name of promqlMetricNames(out[k] as string)) {
      if (seen.has(name)) continue;
      seen.add(name);
      out.push(...all.filter((r) => r.record === name).map((r) => r.expr));
    }
  }
  return out;
}

/**
 * Names a scrape must not stand in for: recording rules' (a colon, by Prometheus' naming convention) and the
 * series Prometheus writes itself (per-target `up` and `scrape_*`, alerts' `ALERTS*`). `external` names
 * records another rule set writes (kube-prometheus-stack's own), not under test: synthesised like any input.
 */
export const notSynthesisable = (name: string | undefined, external?: ReadonlySet<string>) =>
  name === undefined ||
  (name.includes(":") && !external?.has(name)) ||
  /^(up|scrape_.*|ALERTS(_FOR_STATE)?)$/.test(name);

/**
 * The selectors to synthesise: those in a join group where some selector has no series yet (`present` asks
 * Prometheus), the group's present ones included so the join has partners with the same labels.
 */
export async function selectorsToSynthesise(
  exprs: string[],
  present: (selector: string) => Promise<boolean>,
  external?: ReadonlySet<string>,
): Promise<Selector[]> {
  const groups = exprs.flatMap(joinedSelectors);
  const known = new Map<string, boolean>();
  for (const s of groups.flat()) if (!known.has(s.text)) known.set(s.text, await present(s.text));
  const chosen = new Map<string, Selector>();
  for (const group of groups) {
    if (group.every((s) => known.get(s.text))) continue;
    for (const s of group) if (!notSynthesisable(s.name, external)) chosen.set(s.text, s);
  }
  return [...chosen.values()];
}

/**
 * A label's value under a matcher: the workload's own if it satisfies it; for a negative matcher, no label
 * if that does; on a label the workload lacks, its name if that does (`service_name!=""` on a service's
 * series); else, for a positive matcher, the matcher's value or an example of its regex. undefined: no label;
 * null: nothing derived.
 */
function valueFor(m: Matcher, current: string | undefined, name: string): string | undefined | null {
  if (current !== undefined && satisfies(m, current)) return current;
  const negative = m.op === "!=" || m.op === "!~";
  if (negative && satisfies(m, undefined)) return undefined;
  if (current === undefined && satisfies(m, name)) return name;
  if (negative) return null;
  const value = m.op === "=" ? m.value : exampleMatch(m.value);
  if (value === undefined) return null;
  return value === "" ? undefined : value;
}

/**
 * The series of one selector: one per workload that agrees with its matchers (a label the workloads lack
 * counts when the matcher accepts some workload's name: objects are named after their service), else one per
 * workload with the matchers' values overriding. Throws when no label value can satisfy a matcher.
 */
export function seriesFor(selector: Selector, workloads: Workload[]): Labels[] {
  const { name, matchers } = selector;
  if (name === undefined) throw new Error(`${selector.text}: no metric name`);
  const named = (m: Matcher) => workloads.some((w) => w.labels[m.label] === undefined && satisfies(m, w.name));
  const agrees = (w: Workload) =>
    matchers.every((m) =>
      w.labels[m.label] !== undefined ? satisfies(m, w.labels[m.label]) : !named(m) || satisfies(m, w.name),
    );
  const chosen = workloads.filter(agrees);
  return (chosen.length > 0 ? chosen : workloads).map((w) => {
    const labels: Labels = { ...w.labels };
    for (const m of matchers.filter((m) => m.label !== "__name__")) {
      const value = valueFor(m, labels[m.label], w.name);
      if (value === null) throw new Error(`${selector.text}: no value derived for ${m.label}${m.op}"${m.value}"`);
      if (value === undefined) delete labels[m.label];
      else labels[m.label] = value;
    }
    const unmet = matchers.filter((m) => m.label !== "__name__" && !satisfies(m, labels[m.label]));
    if (unmet.length > 0) throw new Error(`${selector.text}: matchers left unmet: ${JSON.stringify(unmet)}`);
    return { __name__: name, ...labels };
  });
}

const MIB = 2 ** 20;
const GIB = 2 ** 30;

/**
 * A plausible value at `t` seconds into the synthetic history: counters (`_total`) grow steadily, replicas
 * are 2 of at most 5, requests and limits are 250m/1 CPU and 256/512 MiB, volumes hold 10 GiB, and other
 * byte sizes grow slowly (a store filling up, so the fill predictions have a slope).
 */
export function valueAt(labels: Labels, t: number): number {
  const name = labels.__name__ as string;
  const cpu = labels.resource === "cpu";
  if (name.endsWith("_seconds_total")) return 0.1 * t;
  if (name.endsWith("_bytes_total")) return 4096 * t;
  if (name.endsWith("_total")) return 5 * t;
  if (name.endsWith("max_replicas")) return 5;
  if (name.includes("replicas")) return 2;
  if (name.endsWith("_requests")) return cpu ? 0.25 : 256 * MIB;
  if (name.endsWith("_limits")) return cpu ? 1 : 512 * MIB;
  if (name.endsWith("capacity_bytes")) return 10 * GIB;
  if (name.endsWith("_bytes")) return 100 * MIB + 1024 * t;
  return 1;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** The series in the text exposition format at one timestamp (ms), with `# TYPE` per metric. */
export function exposition(series: Labels[], timestampMs: number, t: number): string {
  const byName = new Map<string, Labels[]>();
  for (const s of series) byName.set(s.__name__ as string, [...(byName.get(s.__name__ as string) ?? []), s]);
  return [...byName.entries()]
    .flatMap(([name, list]) => [
      `# TYPE ${name} ${name.endsWith("_total") ? "counter" : "gauge"}`,
      ...list.map((s) => {
        const labels = Object.entries(s)
          .filter(([k]) => k !== "__name__")
          .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
          .join(",");
        return `${name}{${labels}} ${valueAt(s, t)} ${timestampMs}`;
      }),
    ])
    .join("\n")
    .concat("\n");
}

export interface SyntheticExporter {
  /** The scrape job: `honor_labels`, so the synthesised `job` and `instance` stay. */
  scrapeConfig: Record<string, unknown>;
  /**
   * Serves these series from now on, first replaying `historySeconds` of their past in `stepSeconds` steps,
   * one step per scrape, as samples with explicit timestamps (Prometheus takes samples up to an hour older
   * than its newest), then at each scrape's time.
   */
  serve(series: Labels[], historySeconds: number, stepSeconds: number): void;
  /** Whether the replay has reached the present. */
  caughtUp(): boolean;
  stop(): Promise<void>;
}

/** A tiny exporter on a loopback port serving synthetic series. */
export async function startSyntheticExporter(jobName: string): Promise<SyntheticExporter> {
  let series: Labels[] = [];
  let historyStart = Date.now();
  let cursor = Number.POSITIVE_INFINITY;
  let stepMs = 0;
  const server = http.createServer((_req, res) => {
    const now = Date.now();
    const at = Math.min(cursor, now);
    cursor = at + stepMs;
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(exposition(series, at, (at - historyStart) / 1000));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    scrapeConfig: { job_name: jobName, honor_labels: true, static_configs: [{ targets: [address] }] },
    serve(next, historySeconds, stepSeconds) {
      if (!(stepSeconds > 0)) throw new Error("the history needs a positive step");
      series = next;
      historyStart = Date.now() - historySeconds * 1000;
      cursor = historyStart;
      stepMs = stepSeconds * 1000;
    },
    caughtUp: () => cursor > Date.now(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
