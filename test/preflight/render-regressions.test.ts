import { repoRoot } from "../../infra/charts/values-files";
import { loadStackConfig } from "../../infra/config/stack-file";
import { runChecks } from "../../infra/preflight/checks";
import { providedObjects } from "../../infra/preflight/checks/objects";
import { asKubernetesObject, HELM_CHART_TYPE } from "../../infra/preflight/collect";
import { chartSpecOf, renderedResource } from "../../infra/preflight/main";
import { type ChartSpec, chartSourcesDir, type RenderedObject, renderChart } from "../../infra/render/render";
import { evaluatePolicies, loadPolicyConfig } from "../../policies/harness";
import { runStack } from "../infra/support";

// The defects the first real render found, re-created on the real pinned charts: each must be caught.
const sources = chartSourcesDir(repoRoot());
const required = process.env.REQUIRE_CHART_SOURCES === "1";
const withSources = sources || required ? test : test.skip;

let specs: Record<string, ChartSpec> = {};
let program: RenderedObject[] = [];
beforeAll(async () => {
  const { resources } = await runStack("dev");
  specs = Object.fromEntries(
    resources.filter((r) => r.type === HELM_CHART_TYPE).map((r) => [r.inputs.name, chartSpecOf(r)]),
  );
  program = resources.flatMap((r) => {
    const object = asKubernetesObject(r);
    return object ? [{ object, origin: "program" } as RenderedObject] : [];
  });
});

const config = () => loadStackConfig("dev");
const withValues = (release: string, edit: (values: Record<string, any>) => void): ChartSpec => {
  const spec = structuredClone(specs[release] as ChartSpec);
  edit(spec.values as Record<string, any>);
  return spec;
};
const render = (spec: ChartSpec) => {
  if (!sources)
    throw new Error("REQUIRE_CHART_SOURCES=1 but no chart sources: set CHART_SOURCES_DIR or provide ../shared/charts");
  return renderChart(spec, sources);
};
async function findings(...changed: ChartSpec[]) {
  const releases = Object.keys(specs);
  const charts = await Promise.all(
    releases.map((r) => render(changed.find((c) => c.release === r) ?? (specs[r] as ChartSpec))),
  );
  const objects = [
    ...program,
    ...charts.flatMap((c) => c.objects),
    ...providedObjects("obs-dev-platform", "kps-kubelet"),
  ];
  const partial = charts.some((c) => c.missingSubcharts.length > 0);
  return runChecks(objects, { config: config(), partial }).map((f) => `${f.check}: ${f.object}: ${f.message}`);
}

describe("the render catches what the mocks never saw (real pinned charts)", () => {
  withSources("the platform as configured renders and checks clean (baseline for the cases below)", async () => {
    expect(await findings()).toEqual([]);
  });

  withSources(
    "the chart's own app.kubernetes.io/name passed again in Loki's commonLabels: duplicate key, render fails",
    async () => {
      const spec = withValues("loki", (v) => {
        v.commonLabels["app.kubernetes.io/name"] = "logging";
      });
      await expect(render(spec)).rejects.toThrow(
        /loki: loki\/templates\/.*duplicate key "app.kubernetes.io\/name: logging"/,
      );
    },
  );

  withSources(
    "the operator's TLS listener back on: its Deployment mounts a Secret only a Helm hook creates",
    async () => {
      const spec = withValues("kps", (v) => {
        v.prometheusOperator.tls.enabled = true;
        v.prometheusOperator.admissionWebhooks.enabled = true;
      });
      expect(await findings(spec)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^references: Deployment obs-dev-platform\/kps-operator .*Secret obs-dev-platform\/kps-admission, which nothing creates/,
          ),
        ]),
      );
    },
  );

  withSources("Alloy's ServiceMonitor off again: the component-scraped check names Alloy", async () => {
    const spec = withValues("alloy", (v) => {
      v.serviceMonitor.enabled = false;
    });
    expect((await findings(spec)).filter((f) => f.startsWith("component-scraped"))).toEqual([
      expect.stringMatching(/alloy/i),
    ]);
  });

  withSources("Loki with a volume in dev (not persistent): the rendered-config check names the claim", async () => {
    const spec = withValues("loki", (v) => {
      v.singleBinary.persistence.enabled = true;
    });
    expect((await findings(spec)).filter((f) => f.startsWith("rendered-config"))).toEqual([
      expect.stringMatching(/StatefulSet obs-dev-platform\/loki .*volumeClaimTemplate/),
    ]);
  });

  withSources(
    "the policy pack judges chart-made objects as a preview does: a chart container without resources fails",
    async () => {
      const spec = withValues("otel-collector", (v) => {
        delete v.resources;
      });
      const chart = await render(spec);
      const violations = await evaluatePolicies(
        chart.objects.map((r) => renderedResource(r, "platform-dev-tracing-collector")),
        loadPolicyConfig("dev"),
      );
      expect(
        violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.resource}: ${v.message}`),
      ).toEqual([
        expect.stringMatching(
          /^container-resources-and-probes: kubernetes:apps\/v1:Deployment::platform-dev-tracing-collector:obs-dev-platform\/otel-collector: container opentelemetry-collector: no resource requests/,
        ),
        expect.stringMatching(/no memory limit/),
      ]);
    },
  );
});
