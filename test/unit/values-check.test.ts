import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type ChartDefaults,
  chartDefaultsDir,
  coalesceValues,
  FREE_FORM,
  loadChartDefaults,
  schemaProblems,
  unknownValuePaths,
} from "../../infra/charts/values-check";

const paths = (problems: { path: string }[]) => problems.map((p) => p.path);

describe("unknownValuePaths on hand-made defaults", () => {
  const defaults = {
    replicas: 1,
    image: { repository: "app", tag: "" },
    podAnnotations: {},
    extraArgs: [],
    ldap: null,
    config: { receivers: { otlp: {} } },
    configMap: { create: true },
  };

  test("known paths pass; unknown ones are reported with their dotted path", () => {
    expect(unknownValuePaths({ replicas: 2, image: { tag: "1.0" } }, defaults)).toEqual([]);
    expect(paths(unknownValuePaths({ replica: 2, image: { tagg: "1.0", repository: "x" } }, defaults))).toEqual([
      "replica",
      "image.tagg",
    ]);
  });

  test("an unknown map is reported once, not for every key below it", () => {
    expect(paths(unknownValuePaths({ compactor: { retention_enabled: true, x: 1 } }, defaults))).toEqual(["compactor"]);
  });

  test("below an empty {} or a null default any keys are allowed", () => {
    expect(unknownValuePaths({ podAnnotations: { a: "1", b: { c: 2 } }, ldap: { config: "x" } }, defaults)).toEqual([]);
  });

  test("lists are replaced whole, so their items are not checked", () => {
    expect(unknownValuePaths({ extraArgs: [{ anything: true }] }, defaults)).toEqual([]);
  });

  test("map, list and scalar mismatches are reported", () => {
    const problems = unknownValuePaths({ image: "app:1.0", replicas: { n: 2 }, extraArgs: { a: 1 } }, defaults);
    expect(problems).toEqual([
      { path: "image", message: "the chart's default is a map, the value is a string" },
      { path: "replicas", message: "the chart's default is a number, the value is a map" },
      { path: "extraArgs", message: "the chart's default is a list, the value is a map" },
    ]);
  });

  test("a null value (Helm: delete the default) is never a mismatch", () => {
    expect(unknownValuePaths({ image: null, replicas: null }, defaults)).toEqual([]);
  });

  test("free-form prefixes skip what is below them, on whole path segments only", () => {
    const values = { config: { receivers: { prometheus: {} }, exporters: { otlp: {} } }, configMap: { creat: true } };
    expect(paths(unknownValuePaths(values, defaults))).toEqual([
      "config.receivers.prometheus",
      "config.exporters",
      "configMap.creat",
    ]);
    expect(paths(unknownValuePaths(values, defaults, { freeForm: ["config"] }))).toEqual(["configMap.creat"]);
    // Nothing below a free-form path is checked, not even the shape of a key the defaults happen to have.
    expect(unknownValuePaths({ config: { receivers: "otlp" } }, defaults, { freeForm: ["config"] })).toEqual([]);
  });

  test("a free-form path may be absent from the defaults, but its type is still checked when present", () => {
    expect(
      unknownValuePaths({ image: { bucketNames: { chunks: "c" } } }, defaults, { freeForm: ["image.bucketNames"] }),
    ).toEqual([]);
    expect(paths(unknownValuePaths({ config: "x" }, defaults, { freeForm: ["config"] }))).toEqual(["config"]);
  });

  test("Helm's global is always allowed", () => {
    expect(unknownValuePaths({ global: { imageRegistry: "r", anything: { x: 1 } } }, defaults)).toEqual([]);
  });

  test("a sub-chart's keys are allowed under its key, with the parent's block layered on top", () => {
    const parent = { grafana: { enabled: true, sidecar: { datasources: { uid: "prometheus" } }, folder: null } };
    const grafana = { persistence: { enabled: false }, sidecar: { datasources: { searchNamespace: null } } };
    const values = {
      grafana: {
        enabled: true,
        folder: "x",
        persistence: { enabled: true },
        sidecar: { datasources: { uid: "p", searchNamespace: "ALL" } },
      },
    };
    expect(paths(unknownValuePaths(values, parent))).toEqual([
      "grafana.persistence",
      "grafana.sidecar.datasources.searchNamespace",
    ]);
    expect(unknownValuePaths(values, parent, { subcharts: { grafana } })).toEqual([]);
    const typo = { grafana: { persistance: { enabled: true } } };
    expect(paths(unknownValuePaths(typo, parent, { subcharts: { grafana } }))).toEqual(["grafana.persistance"]);
  });
});

describe("coalesceValues (Helm's coalescing)", () => {
  test("maps merge, lists and scalars replace, null deletes unless kept", () => {
    const base = { a: { b: 1, c: [1, 2] }, d: "x", e: 1 };
    expect(coalesceValues(base, { a: { c: [3] }, d: null, f: true })).toEqual({ a: { b: 1, c: [3] }, e: 1, f: true });
    expect(coalesceValues(base, { d: null }, true)).toEqual({ ...base, d: null });
    expect(base).toEqual({ a: { b: 1, c: [1, 2] }, d: "x", e: 1 });
  });
});

describe("schemaProblems", () => {
  const draft7 = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    additionalProperties: false,
    required: ["mode"],
    properties: { mode: { enum: ["a", "b"] }, image: { type: "object", properties: { tag: { type: "string" } } } },
  };

  test("no schema, no problems", () => {
    expect(schemaProblems({ anything: 1 }, undefined)).toEqual([]);
  });

  test("draft-07: every error is reported, as a dotted path and a readable message", () => {
    expect(schemaProblems({ mode: "c", image: { tag: 1 }, extra: true }, draft7)).toEqual([
      { path: "extra", message: "is not allowed by the chart's schema" },
      { path: "mode", message: 'must be equal to one of the allowed values: ["a","b"]' },
      { path: "image.tag", message: "must be string" },
    ]);
    expect(schemaProblems({ image: {} }, draft7)).toEqual([{ path: "mode", message: "is required" }]);
    expect(schemaProblems({ mode: "a", image: { tag: "1" } }, draft7)).toEqual([]);
  });

  test('an unversioned "$schema" (http://json-schema.org/schema#) is validated as draft-07', () => {
    expect(paths(schemaProblems({ mode: "c" }, { ...draft7, $schema: "http://json-schema.org/schema#" }))).toEqual([
      "mode",
    ]);
  });

  test("a draft Ajv has no meta-schema for (draft-06) is validated as draft-07 instead of failing", () => {
    const schema = { ...draft7, $schema: "http://json-schema.org/draft-06/schema#" };
    expect(paths(schemaProblems({ mode: "c" }, schema))).toEqual(["mode"]);
  });

  test("draft 2019-09 keywords are honoured when the schema declares that draft", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2019-09/schema",
      type: "object",
      properties: { a: { type: "string" } },
      unevaluatedProperties: false,
    };
    expect(paths(schemaProblems({ a: "x", b: 1 }, schema))).toEqual(["(root)"]);
    expect(schemaProblems({ a: "x" }, schema)).toEqual([]);
  });

  test("draft 2020-12 keywords are honoured when the schema declares that draft", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { args: { type: "array", prefixItems: [{ type: "string" }] } },
    };
    expect(paths(schemaProblems({ args: [1] }, schema))).toEqual(["args.0"]);
    expect(schemaProblems({ args: ["x", 1] }, schema)).toEqual([]);
  });
});

describe("chart defaults folder", () => {
  const saved = process.env.CHART_DEFAULTS_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.CHART_DEFAULTS_DIR;
    else process.env.CHART_DEFAULTS_DIR = saved;
  });

  test("CHART_DEFAULTS_DIR wins when set", () => {
    process.env.CHART_DEFAULTS_DIR = "/somewhere/charts";
    expect(chartDefaultsDir()).toBe("/somewhere/charts");
  });

  test("otherwise it is ../shared/charts beside the folder holding Pulumi.yaml, when that exists", () => {
    delete process.env.CHART_DEFAULTS_DIR;
    const expected = path.resolve(__dirname, "../../../shared/charts");
    expect(chartDefaultsDir()).toBe(existsSync(expected) ? expected : undefined);
  });

  test("loads values.yaml, and values.schema.json only where the chart ships one", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "chart-defaults-"));
    try {
      mkdirSync(path.join(dir, "a-1.0.0"));
      writeFileSync(path.join(dir, "a-1.0.0", "values.yaml"), "replicas: 1\nimage:\n  tag: ''\n");
      mkdirSync(path.join(dir, "b-2.0.0"));
      writeFileSync(path.join(dir, "b-2.0.0", "values.yaml"), "# only comments\n");
      writeFileSync(path.join(dir, "b-2.0.0", "values.schema.json"), '{"type":"object"}');
      expect(loadChartDefaults(dir, "a", "1.0.0")).toEqual({ values: { replicas: 1, image: { tag: "" } } });
      expect(loadChartDefaults(dir, "b", "2.0.0")).toEqual({ values: {}, schema: { type: "object" } });
      expect(() => loadChartDefaults(dir, "a", "9.9.9")).toThrow(/a 9\.9\.9: .*a-9\.9\.9.*values\.yaml is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The published defaults of the pinned charts live beside the checkout (../shared/charts), also in CI.
const dir = chartDefaultsDir();
if (!dir) console.warn("values-check: chart defaults folder not found; SKIPPING the pinned-chart checks");
const describeCharts = dir
  ? describe
  : process.env.REQUIRE_CHART_DEFAULTS === "1"
    ? (name: string, _fn: () => void) =>
        describe(name, () => {
          test("chart defaults folder is present", () => {
            throw new Error(
              "REQUIRE_CHART_DEFAULTS=1 but no chart defaults: set CHART_DEFAULTS_DIR or provide ../shared/charts",
            );
          });
        })
    : describe.skip;

describeCharts("values against the pinned charts' published defaults", () => {
  const PINNED = {
    "kube-prometheus-stack": "88.5.3",
    grafana: "12.11.1",
    loki: "18.11.0",
    jaeger: "4.11.1",
    "opentelemetry-collector": "0.170.0",
    alloy: "1.11.1",
  } as const;
  const charts = {} as Record<keyof typeof PINNED, ChartDefaults>;
  beforeAll(() => {
    for (const [chart, version] of Object.entries(PINNED)) {
      charts[chart as keyof typeof PINNED] = loadChartDefaults(dir as string, chart, version);
    }
  });
  // Resolves a dotted path, preferring the longest key so keys with dots (grafana.ini) resolve too.
  const get = (values: unknown, dotted: string): unknown => {
    if (typeof values !== "object" || values === null) return undefined;
    const key = Object.keys(values)
      .filter((k) => dotted === k || dotted.startsWith(`${k}.`))
      .sort((a, b) => b.length - a.length)[0];
    const child = key === undefined ? undefined : (values as Record<string, unknown>)[key];
    return key === undefined || key === dotted ? child : get(child, dotted.slice(key.length + 1));
  };

  test.each(Object.keys(PINNED))(
    "every free-form path listed for %s is a map in the defaults, or sits in one",
    (chart) => {
      const { values } = charts[chart as keyof typeof PINNED];
      const defaults =
        chart === "kube-prometheus-stack"
          ? coalesceValues(values, { grafana: coalesceValues(charts.grafana.values, values.grafana, true) })
          : values;
      for (const free of FREE_FORM[chart] ?? []) {
        const own = get(defaults, free);
        // Absent paths (documented only as comments) must at least sit in a map the chart has.
        const parent = free.includes(".") ? get(defaults, free.slice(0, free.lastIndexOf("."))) : defaults;
        const found = own === undefined ? parent : own;
        expect({ free, map: typeof found === "object" && !Array.isArray(found) }).toEqual({ free, map: true });
      }
    },
  );

  test("Loki: retention under loki: passes the key check and the schema", () => {
    const { values: defaults, schema } = charts.loki;
    const values = { loki: { compactor: { retention_enabled: true }, limits_config: { retention_period: "744h" } } };
    expect(unknownValuePaths(values, defaults, { freeForm: FREE_FORM.loki })).toEqual([]);
    expect(schemaProblems(coalesceValues(defaults, values), schema)).toEqual([]);
    // limits_config has defaults of its own, so it passes only because it is listed as free-form.
    expect(paths(unknownValuePaths(values, defaults))).toEqual(["loki.limits_config.retention_period"]);
  });

  test("Loki: compactor settings at the top level are reported (that key is the compactor workload)", () => {
    const values = { compactor: { retention_enabled: true } };
    expect(paths(unknownValuePaths(values, charts.loki.values, { freeForm: FREE_FORM.loki }))).toEqual([
      "compactor.retention_enabled",
    ]);
  });

  test("Loki: a string where the chart expects a map is reported by both checks", () => {
    const { values: defaults, schema } = charts.loki;
    const values = { loki: { storage: "s3" } };
    expect(unknownValuePaths(values, defaults, { freeForm: FREE_FORM.loki })).toEqual([
      { path: "loki.storage", message: "the chart's default is a map, the value is a string" },
    ]);
    expect(paths(schemaProblems(coalesceValues(defaults, values), schema))).toContain("loki.storage");
  });

  describe("kube-prometheus-stack", () => {
    const check = (values: unknown) =>
      unknownValuePaths(values, charts["kube-prometheus-stack"].values, {
        freeForm: FREE_FORM["kube-prometheus-stack"],
        subcharts: { grafana: charts.grafana.values },
      });

    test("a misspelled prometheusSpec key is reported; the right one is not", () => {
      expect(paths(check({ prometheus: { prometheusSpec: { retentionn: "15d" } } }))).toEqual([
        "prometheus.prometheusSpec.retentionn",
      ]);
      expect(check({ prometheus: { prometheusSpec: { retention: "15d", retentionSize: "9GB" } } })).toEqual([]);
    });

    test("grafana: keys are checked against the grafana chart under kps's own grafana block", () => {
      const values = {
        grafana: {
          // from kps's grafana block
          sidecar: {
            datasources: {
              exemplarTraceIdDestinations: { datasourceUid: "jaeger", traceIdLabelName: "trace_id" },
              // only in the grafana chart
              searchNamespace: "ALL",
            },
          },
          persistence: { enabled: true, size: "5Gi" },
          "grafana.ini": { "auth.anonymous": { enabled: true } },
        },
      };
      expect(check(values)).toEqual([]);
      // Without the sub-chart's defaults the grafana-only keys would look unknown.
      const kpsOnly = unknownValuePaths(values, charts["kube-prometheus-stack"].values, {
        freeForm: FREE_FORM["kube-prometheus-stack"],
      });
      expect(paths(kpsOnly)).toEqual(["grafana.sidecar.datasources.searchNamespace", "grafana.persistence"]);
      expect(paths(check({ grafana: { persistence: { enabledd: true } } }))).toEqual(["grafana.persistence.enabledd"]);
    });

    test("free-form maps whose default is {} accept any keys", () => {
      const defaults = charts["kube-prometheus-stack"].values;
      expect(get(defaults, "commonLabels")).toEqual({});
      expect(get(defaults, "prometheus.prometheusSpec.externalLabels")).toEqual({});
      expect(
        check({
          commonLabels: { team: "observability" },
          prometheus: { prometheusSpec: { externalLabels: { cluster: "dev" } } },
        }),
      ).toEqual([]);
    });

    test("Alertmanager's own config is free-form", () => {
      expect(check({ alertmanager: { config: { route: { group_by: ["alertname"], continue: false } } } })).toEqual([]);
    });
  });

  describe("opentelemetry-collector", () => {
    test("the schema rejects an unknown mode", () => {
      const { values: defaults, schema } = charts["opentelemetry-collector"];
      expect(schemaProblems(coalesceValues(defaults, { mode: "sidecarr" }), schema)).toEqual([
        { path: "mode", message: expect.stringMatching(/allowed values.*"deployment"/) },
      ]);
    });

    test("mode: deployment with an image repository passes both checks", () => {
      const { values: defaults, schema } = charts["opentelemetry-collector"];
      const values = {
        mode: "deployment",
        image: { repository: "otel/opentelemetry-collector-k8s" },
        config: { exporters: { otlphttp: { endpoint: "http://loki:3100/otlp" } } },
      };
      expect(schemaProblems(coalesceValues(defaults, values), schema)).toEqual([]);
      expect(unknownValuePaths(values, defaults, { freeForm: FREE_FORM["opentelemetry-collector"] })).toEqual([]);
      // The schema forbids unknown image keys too.
      expect(paths(schemaProblems(coalesceValues(defaults, { ...values, image: { repo: "x" } }), schema))).toEqual([
        "image.repo",
      ]);
    });
  });
});
