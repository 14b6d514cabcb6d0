import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../../infra/charts/values-files";
import type { PreflightReport } from "../../infra/preflight/main";
import { chartSourcesDir } from "../../infra/render/render";

// CI sets REQUIRE_CHART_SOURCES=1: without the pinned charts' sources these tests fail instead of skipping.
const sources = chartSourcesDir(repoRoot());
const required = process.env.REQUIRE_CHART_SOURCES === "1";
const withSources = sources || required ? test : test.skip;
if (!sources && !required) console.warn("chart sources absent (set CHART_SOURCES_DIR): rendering tests skipped");

async function preflightIsolated(stack: string, out: string): Promise<PreflightReport> {
  let report: PreflightReport | undefined;
  await jest.isolateModulesAsync(async () => {
    const { preflight } = require("../../infra/preflight/main") as typeof import("../../infra/preflight/main");
    report = await preflight(stack, out);
  });
  if (!report) throw new Error("preflight did not run");
  return report;
}

describe.each(["dev", "staging", "prod"])("%s: preflight with every chart rendered by real Helm", (stack) => {
  // Chaos Mesh and the Pushgateway only where chaos is enabled (dev and staging; prod refuses it by policy)
  const chaos = stack === "prod" ? [] : ["chaos-mesh", "pushgateway"];
  // prod is distributed: the collector gateway tier and OpenSearch for Jaeger
  const distributed = stack === "prod" ? ["opensearch", "otel-gateway"] : [];
  const extra = [...chaos, ...distributed];
  withSources(`renders all ${6 + extra.length} charts, writes them, and every check and policy passes`, async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), `preflight-${stack}-`));
    try {
      const report = await preflightIsolated(stack, out);
      expect(report.renderSkipped).toBeUndefined();
      expect(report.errors).toEqual([]);
      expect(report.rendered.map((c) => c.spec.release)).toEqual(
        ["alloy", "blackbox-exporter", "jaeger", "kps", "loki", "otel-collector", ...extra].sort(),
      );
      for (const chart of report.rendered) {
        const file = path.join(out, "rendered", `${chart.spec.release}.yaml`);
        expect(existsSync(file)).toBe(true);
        const docs = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS());
        expect(docs.filter((d) => d?.kind)).toHaveLength(chart.objects.length);
      }
      const kinds = report.rendered.flatMap((c) => c.objects.map((o) => o.object.kind));
      // What a real cluster gets from the charts: the operator's CRDs and resources, Loki's StatefulSet…
      expect(kinds).toEqual(
        expect.arrayContaining(["CustomResourceDefinition", "Prometheus", "Alertmanager", "StatefulSet", "Deployment"]),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
