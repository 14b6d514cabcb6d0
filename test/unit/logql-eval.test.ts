import { createLogger } from "../../apps/lib/logger";
import { ACCESS_LOG_MESSAGE, LOG_FIELDS as F, type ServiceName } from "../../contract";
import { countByLabels, type LogEntry, selectLogLines } from "../../infra/queries/logql-eval";

const TRACE = {
  badGateway: "0af7651916cd43dd8448eb211c80319c",
  notFound: "1bf7651916cd43dd8448eb211c80319d",
  created: "2cf7651916cd43dd8448eb211c80319e",
  fault: "3df7651916cd43dd8448eb211c80319f",
  crash: "4ef7651916cd43dd8448eb211c8031a0",
};
const SPAN = "b7ad6b7169203331";
const NAMESPACE = "obs-dev-apps";
/** Not written by the services' logger: what Node prints on stderr when a process dies before logging. */
const CRASH_LINE = "Error: listen EADDRINUSE: address already in use :::8080";

/**
 * The services' own lines, written by apps/lib's logger (access log and winston logger) into memory,
 * plus the crash line. Each is tagged with the service whose pod wrote it.
 */
async function serviceLines(): Promise<Array<{ service: ServiceName; line: string }>> {
  const lines: Array<{ service: ServiceName; line: string }> = [];
  const loggerOf = (service: ServiceName) =>
    createLogger({ service, level: "info", sink: { write: (line: string) => lines.push({ service, line }) } });
  const order = loggerOf("order");
  const access = (status: number, method: string, route: string, traceId: string, extra = {}) =>
    order.accessLog?.({
      [F.traceId]: traceId,
      [F.spanId]: SPAN,
      [F.method]: method,
      [F.route]: route,
      [F.status]: status,
      [F.durationMs]: 12.5,
      ...extra,
    });
  access(502, "GET", "/orders/:id", TRACE.badGateway);
  access(404, "GET", "/orders/:id", TRACE.notFound);
  access(201, "POST", "/orders", TRACE.created);
  loggerOf("product").accessLog?.({
    [F.traceId]: TRACE.fault,
    [F.spanId]: SPAN,
    [F.method]: "GET",
    [F.route]: "/products/:id",
    [F.status]: 500,
    [F.durationMs]: 3,
    [F.fault]: "error",
  });
  order.logger.error("unexpected error", {
    [F.traceId]: TRACE.crash,
    [F.spanId]: SPAN,
    [F.method]: "POST",
    [F.route]: "/orders",
    error: "boom",
  });
  loggerOf("user").logger.warn("fault settings changed", {
    faults: { errorRate: 0.5, routes: ["/users"], note: null },
  });
  await new Promise((resolve) => setImmediate(resolve)); // winston hands lines to the sink asynchronously
  lines.push({ service: "order", line: `${CRASH_LINE}\n` });
  return lines;
}

/**
 * A line as it arrives in Loki: pod labels, then what Alloy's pipeline (infra/logging/alloy-config.ts) takes
 * from a JSON line — service_name and level as labels, trace_id and span_id as structured metadata. A line
 * that is not JSON gets service_name from its `app` label, as Loki's discover_service_name does by default.
 */
function asLoki({ service, line }: { service: ServiceName; line: string }): LogEntry {
  const labels: Record<string, string> = { namespace: NAMESPACE, pod: `${service}-5d9f7-abcde`, app: service };
  const structuredMetadata: Record<string, string> = {};
  let fields: Record<string, unknown> | undefined;
  try {
    fields = JSON.parse(line);
  } catch {
    labels[F.service] = service;
  }
  for (const field of [F.service, F.level]) if (typeof fields?.[field] === "string") labels[field] = fields[field];
  for (const field of [F.traceId, F.spanId])
    if (typeof fields?.[field] === "string") structuredMetadata[field] = fields[field];
  return { labels, line: line.trimEnd(), structuredMetadata };
}

let entries: LogEntry[];
beforeAll(async () => {
  entries = (await serviceLines()).map(asLoki);
});

const ALL = `{${F.service}=~"order|product|user"}`;
const traceIds = (selected: LogEntry[]) => selected.map((e) => e.structuredMetadata?.[F.traceId] ?? e.line);

describe("selectLogLines on the services' real log lines", () => {
  test('stream regex matchers are fully anchored: service_name=~"ord" selects nothing, =~"order" the order lines', () => {
    expect(selectLogLines(`{${F.service}=~"ord"}`, entries)).toEqual([]);
    const order = selectLogLines(`{${F.service}=~"order"}`, entries);
    expect(order).toHaveLength(5);
    expect(order.every((e) => e.labels[F.service] === "order")).toBe(true);
    const notOrderOrUser = `{namespace="${NAMESPACE}", ${F.service}!~"order|user"}`;
    expect(selectLogLines(notOrderOrUser, entries).map((e) => e.labels[F.service])).toEqual(["product"]);
  });

  test("Loki's rule holds: a selector whose matchers all match the empty value is rejected", () => {
    expect(() => selectLogLines(`{${F.service}=~".*"}`, entries)).toThrow(/at least one regexp or equality matcher/);
    expect(() => selectLogLines(`{${F.service}!~"order"}`, entries)).toThrow(/at least one regexp or equality matcher/);
  });

  test("line filters: |= keeps the access lines, chained != and !~ drop lines, |~ is an unanchored regex", () => {
    const accessLine = `${ALL} |= ${JSON.stringify(ACCESS_LOG_MESSAGE)}`;
    expect(traceIds(selectLogLines(accessLine, entries))).toEqual([
      TRACE.badGateway,
      TRACE.notFound,
      TRACE.created,
      TRACE.fault,
    ]);
    expect(traceIds(selectLogLines(`${accessLine} != "POST" !~ "\\"status_code\\":5"`, entries))).toEqual([
      TRACE.notFound,
    ]);
    expect(traceIds(selectLogLines(`${ALL} |~ \`status_code":5\\d\\d\``, entries))).toEqual([
      TRACE.badGateway,
      TRACE.fault,
    ]);
  });

  test("`or` in line filters: |= a or b keeps lines with either, != a or b drops lines with either", () => {
    const either = selectLogLines(`${ALL} |= "unexpected error" or "EADDRINUSE"`, entries);
    expect(traceIds(either)).toEqual([TRACE.crash, CRASH_LINE]);
    expect(
      selectLogLines(`${ALL} != "request completed" or "EADDRINUSE"`, entries).map((e) => e.labels[F.level]),
    ).toEqual(["error", "warn"]);
  });

  test("| json adds every field; names taken by stream labels or structured metadata get _extracted", () => {
    const [line] = selectLogLines(`{${F.service}="order"} |= "${TRACE.badGateway}" | json`, entries);
    expect(line?.labels).toMatchObject({
      [F.status]: "502",
      [F.durationMs]: "12.5",
      [F.route]: "/orders/:id",
      [F.message]: ACCESS_LOG_MESSAGE,
      [F.level]: "info",
      [`${F.level}_extracted`]: "info",
      [`${F.service}_extracted`]: "order",
      [F.traceId]: TRACE.badGateway,
      [`${F.traceId}_extracted`]: TRACE.badGateway,
    });
  });

  test("| json flattens nested objects with _ and skips arrays and nulls", () => {
    const [warn] = selectLogLines(`{${F.service}="user"} | json`, entries);
    expect(warn?.labels.faults_errorRate).toBe("0.5");
    expect(Object.keys(warn?.labels ?? {}).filter((k) => k.startsWith("faults"))).toEqual(["faults_errorRate"]);
  });

  test('| json a="path": named fields, a missing path gives an empty label, an object its JSON text', () => {
    const [warn] = selectLogLines(
      `{${F.service}="user"} | json rate="faults.errorRate", faults, first="faults.routes[0]", absent="x.y"`,
      entries,
    );
    expect(warn?.labels).toMatchObject({ rate: "0.5", first: "/users", absent: "" });
    expect(JSON.parse(warn?.labels.faults ?? "")).toEqual({ errorRate: 0.5, routes: ["/users"], note: null });
  });

  test('a non-JSON line (a hand-written Node crash message) gets __error__=JSONParserErr from | json; __error__="" drops it, !="" keeps only it', () => {
    const [crash] = selectLogLines(`${ALL} |= "EADDRINUSE" | json`, entries);
    expect(crash?.labels.__error__).toBe("JSONParserErr");
    expect(traceIds(selectLogLines(`${ALL} | json | __error__=""`, entries))).not.toContain(CRASH_LINE);
    expect(traceIds(selectLogLines(`${ALL} | json | __error__!=""`, entries))).toEqual([CRASH_LINE]);
  });

  test("numeric label filter: status_code >= 500 selects the 502 and the 500, not the 404 or the 201", () => {
    expect(traceIds(selectLogLines(`${ALL} | json | ${F.status} >= 500`, entries))).toEqual([
      TRACE.badGateway,
      TRACE.fault,
    ]);
  });

  test("a numeric filter on a non-number keeps the line with __error__=LabelFilterErr; a missing label drops it", () => {
    const selected = selectLogLines(`${ALL} | json | ${F.method} > 1`, entries);
    expect(selected.map((e) => e.labels.__error__)).toEqual([
      "LabelFilterErr",
      "LabelFilterErr",
      "LabelFilterErr",
      "LabelFilterErr",
      "LabelFilterErr",
    ]);
    expect(selectLogLines(`${ALL} | json | ${F.method} > 1 | __error__=""`, entries)).toEqual([]);
  });

  test('string label regex level=~"error|warn" is anchored: it selects the error and warn lines, =~"err" none', () => {
    expect(selectLogLines(`${ALL} | json | ${F.level}=~"error|warn"`, entries).map((e) => e.labels[F.level])).toEqual([
      "error",
      "warn",
    ]);
    expect(selectLogLines(`${ALL} | ${F.level}=~"err"`, entries)).toEqual([]);
  });

  test("label filter `or`, `and` and parentheses: and binds tighter than or, as in Loki's engine", () => {
    const a = `${F.status} >= 500`;
    const b = `${F.status} == 404`;
    const c = `${F.method}="POST"`;
    expect(traceIds(selectLogLines(`${ALL} | json | ${a} or ${b}`, entries))).toEqual([
      TRACE.badGateway,
      TRACE.notFound,
      TRACE.fault,
    ]);
    expect(traceIds(selectLogLines(`${ALL} | json | ${a} or ${b} and ${c}`, entries))).toEqual([
      TRACE.badGateway,
      TRACE.fault,
    ]);
    expect(selectLogLines(`${ALL} | json | (${a} or ${b}) and ${c}`, entries)).toEqual([]);
  });

  test("a label filter reads structured metadata: trace_id without a parser selects that trace's lines", () => {
    expect(traceIds(selectLogLines(`${ALL} | ${F.traceId}="${TRACE.crash}"`, entries))).toEqual([TRACE.crash]);
  });

  test("metric query: the inner pipeline of the errors panel selects the error and warn lines", () => {
    const panel = `sum by (${F.service}, ${F.level}) (count_over_time(${ALL} | json | ${F.level}=~"error|warn" [$__auto]))`;
    expect(selectLogLines(panel, entries).map((e) => e.line)).toEqual(
      entries.filter((e) => ["error", "warn"].includes(e.labels[F.level] ?? "")).map((e) => e.line),
    );
  });

  test('unwrap: lines without the label give no sample; a non-number gets SampleExtractionErr, dropped by __error__=""', () => {
    const sums = (field: string) => `sum_over_time(${ALL} | json | unwrap ${field} | __error__="" [1m])`;
    expect(traceIds(selectLogLines(sums(F.durationMs), entries))).toEqual([
      TRACE.badGateway,
      TRACE.notFound,
      TRACE.created,
      TRACE.fault,
    ]);
    expect(selectLogLines(sums(F.method), entries)).toEqual([]);
  });
});

describe("countByLabels", () => {
  test("sum by (service_name, level) (count_over_time(...)) counts the error and warn lines per group", () => {
    const panel = `sum by (${F.service}, ${F.level}) (count_over_time(${ALL} | json | ${F.level}=~"error|warn" [$__auto]))`;
    expect(countByLabels(panel, entries)).toEqual([
      { labels: { [F.service]: "order", [F.level]: "error" }, count: 1 },
      { labels: { [F.service]: "user", [F.level]: "warn" }, count: 1 },
    ]);
  });

  test("topk(1, sum by (route) ...) keeps the route with the most 4xx/5xx access lines", () => {
    const perRoute = `sum by (${F.route}) (count_over_time(${ALL} |= "${ACCESS_LOG_MESSAGE}" | json | ${F.status} >= 400 [1m]))`;
    expect(countByLabels(perRoute, entries)).toEqual([
      { labels: { [F.route]: "/orders/:id" }, count: 2 },
      { labels: { [F.route]: "/products/:id" }, count: 1 },
    ]);
    expect(countByLabels(`topk(1, ${perRoute})`, entries)).toEqual([
      { labels: { [F.route]: "/orders/:id" }, count: 2 },
    ]);
  });

  test("like Loki, a counted line with __error__ fails the query unless it filters or groups by __error__", () => {
    const count = (pipeline: string, by: string = F.service) =>
      `sum by (${by}) (count_over_time(${ALL} | json${pipeline} [1m]))`;
    expect(() => countByLabels(count(""), entries)).toThrow(/pipeline error: 'JSONParserErr'/);
    expect(countByLabels(count(` | __error__=""`), entries).map((s) => s.count)).toEqual([4, 1, 1]);
    expect(countByLabels(count("", "__error__"), entries)).toEqual([
      { labels: {}, count: 6 },
      { labels: { __error__: "JSONParserErr" }, count: 1 },
    ]);
  });
});

describe("rejections", () => {
  test.each([
    [`${ALL} | line_format "{{.message}}"`, /pipeline stage LineFormatExpr/],
    [`${ALL} | logfmt`, /pipeline stage LogfmtParser/],
    [`${ALL} | json | ${F.durationMs} > 1s`, /label filter UnitFilter/],
    [`${ALL} |= ip("10.0.0.1")`, /ip\(\) line filter/],
  ])("selectLogLines rejects %s naming the construct", (query, message) => {
    expect(() => selectLogLines(query, entries)).toThrow(message);
  });

  test.each([
    [`sum by (${F.service}) (rate(${ALL} [1m]))`, /rate in countByLabels/],
    [`sum without (${F.level}) (count_over_time(${ALL} [1m]))`, /sum without/],
    [`avg(count_over_time(${ALL} [1m]))`, /the avg aggregation/],
    [`sum(count_over_time(${ALL} | json | unwrap ${F.durationMs} [1m]))`, /unwrap in countByLabels/],
    [ALL, /needs a metric query/],
  ])("countByLabels rejects %s naming the construct", (query, message) => {
    expect(() => countByLabels(query, entries)).toThrow(message);
  });

  test("a leftover Grafana variable is named in the error; __interval as a range duration is accepted", () => {
    expect(() => selectLogLines(`{${F.service}=~"$service"}`, entries)).toThrow(/Grafana variable \$service/);
    expect(() => selectLogLines(`count_over_time(${ALL} [\${__interval}])`, entries)).not.toThrow();
  });

  test("a Go-invalid escape and a syntax error are rejected, as Loki rejects them", () => {
    expect(() => selectLogLines(`${ALL} |~ "\\d+"`, entries)).toThrow(/invalid escape \\d/);
    expect(() => selectLogLines(`${ALL} | json |`, entries)).toThrow(/syntax error/);
  });
});
