import { ACCESS_LOG_MESSAGE, INFRA_PATHS, LOG_FIELDS, PATHS } from "../../contract";
import { ALLOY_SHIPPED_LOG_BYTES_METRIC, alloyPipeline } from "../../infra/logging/alloy-config";
import { alloyBlock, alloyLokiLabels, alloyMap, alloyString } from "./alloy-text";

const config = alloyPipeline({
  namespaces: ["obs-dev-apps", "obs-dev-platform"],
  lokiPushUrl: "http://loki.obs-dev-platform.svc.cluster.local:3100/loki/api/v1/push",
  environment: "dev",
});
const processBody = alloyBlock(config, 'loki.process "json_lines"');

/**
 * What loki.process does with one line, for the stages this pipeline uses: stage.json extracts the
 * fields its expressions name (top-level keys here); stage.drop joins the values of its sources that
 * were extracted with ";" (absent ones skipped) and drops the line when the expression matches
 * (grafana/alloy internal/component/loki/process/stages/drop.go).
 */
function dropped(line: string): boolean {
  const expressions = alloyMap(alloyBlock(processBody, "stage.json"), "expressions");
  const drop = alloyBlock(processBody, "stage.drop");
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(line);
  } catch {
    // not JSON: stage.json extracts nothing and the line passes on
  }
  const extracted = Object.fromEntries(
    Object.entries(expressions)
      .filter(([, key]) => parsed[key] !== undefined)
      .map(([name, key]) => [name, String(parsed[key])]),
  );
  const joined = alloyString(drop, "source")
    .split(",")
    .filter((s) => s in extracted)
    .map((s) => extracted[s])
    .join(";");
  return new RegExp(alloyString(drop, "expression")).test(joined);
}

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    [LOG_FIELDS.timestamp]: "2026-01-01T00:00:00.000Z",
    [LOG_FIELDS.level]: "info",
    [LOG_FIELDS.message]: ACCESS_LOG_MESSAGE,
    [LOG_FIELDS.service]: "order",
    ...fields,
  });

describe("Alloy pipeline: what reaches Loki", () => {
  test.each(INFRA_PATHS.flatMap((path) => ["info", "debug"].map((level) => [path, level])))(
    "an access line for %s at %s is dropped (probe and scrape noise nobody queries)",
    (path, level) => {
      expect(dropped(line({ [LOG_FIELDS.level]: level, [LOG_FIELDS.route]: path, [LOG_FIELDS.status]: 200 }))).toBe(
        true,
      );
    },
  );

  test.each([
    ["an API access line", line({ [LOG_FIELDS.route]: "/orders/:id", [LOG_FIELDS.status]: 200 })],
    [
      "a sampled API access line",
      line({ [LOG_FIELDS.route]: "/orders", [LOG_FIELDS.sampleRate]: 0.1, [LOG_FIELDS.adjustedCount]: 10 }),
    ],
    [
      "an error on the readiness path",
      line({ [LOG_FIELDS.level]: "error", [LOG_FIELDS.message]: "unexpected error", [LOG_FIELDS.route]: PATHS.ready }),
    ],
    ["a warning on the metrics path", line({ [LOG_FIELDS.level]: "warn", [LOG_FIELDS.route]: PATHS.metrics })],
    ["a route that only starts like a probe path", line({ [LOG_FIELDS.route]: `${PATHS.health}/deep` })],
    ["a line without a route (lifecycle event)", line({ [LOG_FIELDS.message]: "listening" })],
    ["a platform component's logfmt line", 'level=info ts=2026-01-01T00:00:00Z msg="GET /readyz" path=/readyz'],
  ])("%s is kept", (_case, text) => {
    expect(dropped(text)).toBe(false);
  });

  test("the drop runs after stage.json has extracted its sources, and before labels are set", () => {
    const order = ["stage.json", "stage.drop", "stage.labels", "stage.structured_metadata"].map((s) =>
      processBody.indexOf(`${s} {`),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const extracted = Object.keys(alloyMap(alloyBlock(processBody, "stage.json"), "expressions"));
    expect(extracted).toEqual(
      expect.arrayContaining(alloyString(alloyBlock(processBody, "stage.drop"), "source").split(",")),
    );
  });

  test("after the drop and the labels, a counter adds every shipped line's bytes, under the name the cost rules read", () => {
    const stages = [...processBody.matchAll(/^ {2}(stage\.\w+) \{/gm)].map((m) => m[1]);
    expect(stages.indexOf("stage.metrics")).toBeGreaterThan(stages.indexOf("stage.labels"));
    expect(stages.indexOf("stage.metrics")).toBeGreaterThan(stages.indexOf("stage.drop"));
    const counter = alloyBlock(alloyBlock(processBody, "stage.metrics"), "metric.counter");
    expect(`${alloyString(counter, "prefix")}${alloyString(counter, "name")}`).toBe(ALLOY_SHIPPED_LOG_BYTES_METRIC);
    // Alloy accepts count_entry_bytes only with match_all and action "add"
    expect(counter).toMatch(/^\s*match_all\s*=\s*true$/m);
    expect(counter).toMatch(/^\s*count_entry_bytes\s*=\s*true$/m);
    expect(alloyString(counter, "action")).toBe("add");
  });

  test("structured metadata holds only trace_id and span_id; labels are only low-cardinality fields", () => {
    expect(Object.keys(alloyMap(alloyBlock(processBody, "stage.structured_metadata"), "values"))).toEqual([
      LOG_FIELDS.traceId,
      LOG_FIELDS.spanId,
    ]);
    expect(alloyLokiLabels(config)).toEqual(
      ["app", "container", "environment", LOG_FIELDS.level, "namespace", "pod", LOG_FIELDS.service].sort(),
    );
  });

  test("sample_rate and adjusted_count stay in the line: no label, no metadata, no stage rewrites lines", () => {
    for (const field of [LOG_FIELDS.sampleRate, LOG_FIELDS.adjustedCount, LOG_FIELDS.route]) {
      expect(alloyLokiLabels(config)).not.toContain(field);
      expect(Object.keys(alloyMap(alloyBlock(processBody, "stage.structured_metadata"), "values"))).not.toContain(
        field,
      );
    }
    for (const rewriting of ["stage.output", "stage.replace", "stage.template", "stage.pack", "stage.label_keep"])
      expect(processBody).not.toContain(rewriting);
  });
});
