import { isDeepStrictEqual } from "node:util";
import { CHARTS, GRAFANA_SUBCHART } from "../../infra/charts/pins";
import {
  chartDefaultsDir,
  coalesceValues,
  FREE_FORM,
  loadChartDefaults,
  schemaProblems,
  unknownValuePaths,
} from "../../infra/charts/values-check";
import { leafPaths, staticValues } from "../../infra/charts/values-files";
import { chart, runStack, type Stack } from "./support";

const dir = chartDefaultsDir();
const required = process.env.REQUIRE_CHART_DEFAULTS === "1";
if (!dir)
  console.warn(
    "chart defaults folder not found: the chart-values checks are SKIPPED (set REQUIRE_CHART_DEFAULTS=1 to fail)",
  );
const describeWithDefaults = dir ? describe : required ? describe : describe.skip;

const RELEASE_OF = {
  kubePrometheusStack: "kps",
  loki: "loki",
  alloy: "alloy",
  jaeger: "jaeger",
  opensearch: "opensearch",
  otelCollector: "otel-collector",
  blackboxExporter: "blackbox-exporter",
  chaosMesh: "chaos-mesh",
  pushgateway: "pushgateway",
} as const;

/** The charts a stack deploys: Chaos Mesh and the Pushgateway only where chaos is enabled (not prod). */
const chartsOf = (stack: Stack) =>
  (Object.keys(CHARTS) as (keyof typeof CHARTS)[]).filter(
    (key) =>
      (stack !== "prod" || (key !== "chaosMesh" && key !== "pushgateway")) &&
      // OpenSearch: only where scale is distributed (prod)
      (stack === "prod" || key !== "opensearch"),
  );

describeWithDefaults("final chart values against each pinned chart's published defaults and schema", () => {
  test("the chart defaults folder is present", () => {
    expect(dir).toBeDefined();
  });

  describe.each(["dev", "staging", "prod"] as Stack[])("%s", (stack) => {
    let resources: Awaited<ReturnType<typeof runStack>>["resources"];
    beforeAll(async () => {
      resources = (await runStack(stack)).resources;
    });

    test.each(chartsOf(stack))("%s: every key path exists in the chart (or is a documented free-form map)", (key) => {
      const pin = CHARTS[key];
      const values = chart(resources, RELEASE_OF[key]).inputs.values;
      expect(chart(resources, RELEASE_OF[key]).inputs).toMatchObject({
        chart: pin.chart,
        version: pin.version,
        repositoryOpts: { repo: pin.repo },
      });
      const defaults = loadChartDefaults(dir as string, pin.chart, pin.version);
      const subcharts =
        key === "kubePrometheusStack"
          ? { grafana: loadChartDefaults(dir as string, GRAFANA_SUBCHART.chart, GRAFANA_SUBCHART.version).values }
          : undefined;
      expect(unknownValuePaths(values, defaults.values, { freeForm: FREE_FORM[pin.chart], subcharts })).toEqual([]);
      expect(schemaProblems(coalesceValues(defaults.values, values), defaults.schema)).toEqual([]);
    });
  });
});

describe("charts-values files and per-environment code never state the same value", () => {
  test.each(["dev", "prod"] as Stack[])(
    "%s: no leaf is set both in charts-values/ and by the program",
    async (stack) => {
      const { resources } = await runStack(stack);
      for (const key of chartsOf(stack)) {
        const fileLeaves = new Set(leafPaths(staticValues(key)));
        const finalValues = chart(resources, RELEASE_OF[key]).inputs.values;
        // a leaf whose final value differs from the file's was overridden by code
        const overridden = [...fileLeaves].filter((p) => {
          const get = (v: unknown) =>
            p.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], v);
          // deep equality, not JSON text: the engine hands lists of maps back with their keys sorted
          return !isDeepStrictEqual(get(finalValues), get(staticValues(key)));
        });
        expect([key, overridden]).toEqual([key, []]);
      }
    },
  );
});
