import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { PART_OF } from "../../infra/platform/labels";
import { asKubernetesObject } from "../../infra/preflight/collect";
import { validateKubernetesObject } from "../../infra/preflight/k8s-schemas";
import { preflight } from "../../infra/preflight/main";
import { runStack, type Stack } from "./support";

const STACKS: Stack[] = ["dev", "staging", "prod"];
const REQUIRED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
  "environment",
  "team",
];

describe.each(STACKS)("stack %s under the mock runtime", (stack) => {
  let result: Awaited<ReturnType<typeof runStack>>;
  beforeAll(async () => {
    result = await runStack(stack);
  });

  test("every Kubernetes object passes its upstream schema", async () => {
    // Chaos Mesh's Schedules have no npm model: test/infra/chaos.test.ts checks them against the chart's CRDs
    const objects = result.resources
      .map(asKubernetesObject)
      .filter((o) => o !== undefined)
      .filter((o) => !String(o.apiVersion).startsWith("chaos-mesh.org/"));
    expect(objects.length).toBeGreaterThanOrEqual(20);
    const problems: string[] = [];
    for (const object of objects) {
      const verdict = await validateKubernetesObject(object as never);
      if (verdict.status !== "valid") problems.push(`${object.kind}: ${JSON.stringify(verdict)}`);
    }
    expect(problems).toEqual([]);
  });

  test("every Kubernetes object carries the common labels of this environment", () => {
    for (const object of result.resources.map(asKubernetesObject).filter((o) => o !== undefined)) {
      const labels = (object.metadata as { labels?: Record<string, string> }).labels ?? {};
      for (const key of REQUIRED_LABELS)
        expect([object.kind, key, labels[key]]).toEqual([object.kind, key, expect.any(String)]);
      expect(labels.environment).toBe(stack);
      expect(labels["app.kubernetes.io/part-of"]).toBe(PART_OF);
    }
  });

  test("every chart gets the common labels through its own label values", () => {
    const charts = result.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");
    // Chaos Mesh and the Pushgateway only where chaos is enabled (dev, staging); prod (distributed) adds the
    // collector gateway and OpenSearch
    expect(charts).toHaveLength(8);
    if (stack === "prod")
      expect(charts.map((c) => c.inputs.name)).toEqual(expect.arrayContaining(["otel-gateway", "opensearch"]));
    for (const c of charts) {
      const v = c.inputs.values;
      const labels =
        v.commonLabels ?? v.additionalLabels ?? v.controller?.podLabels ?? v.customLabels ?? v.podLabels ?? v.labels;
      expect([c.inputs.name, labels?.environment, labels?.team]).toEqual([c.inputs.name, stack, "platform"]);
    }
  });

  test("resource names are unique (Pulumi's mocks do not check URNs)", () => {
    const keys = result.resources.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const objects = result.resources
      .map(asKubernetesObject)
      .filter((o) => o !== undefined)
      .map(
        (o) => `${o.kind}/${(o.metadata as { namespace?: string }).namespace}/${(o.metadata as { name: string }).name}`,
      );
    expect(new Set(objects).size).toBe(objects.length);
  });

  test("outputs: in-cluster URLs, port-forward commands, Grafana password", () => {
    const { urls, portForward, grafanaAdminPassword } = result.outputs as Record<string, Record<string, string>>;
    expect(Object.keys(urls ?? {})).toEqual(
      expect.arrayContaining(["grafana", "prometheus", "alertmanager", "jaeger"]),
    );
    expect(portForward?.grafana).toMatch(
      new RegExp(`^kubectl -n obs-${stack}-platform port-forward svc/kps-grafana 3000:80$`),
    );
    expect(grafanaAdminPassword).toEqual(expect.any(String));
  });
});

describe("preflight (the function behind npm run preflight)", () => {
  test("writes the rendered objects and every chart's values, and exits 0", async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), "preflight-"));
    try {
      let report: Awaited<ReturnType<typeof preflight>> | undefined;
      await jest.isolateModulesAsync(async () => {
        report = await preflight("staging", out);
      });
      expect(report?.errors).toEqual([]);
      const docs = parseAllDocuments(readFileSync(path.join(out, "resources.yaml"), "utf8")).map((d) => d.toJS());
      expect(docs.map((d) => d.kind)).toEqual(
        expect.arrayContaining(["Deployment", "ServiceMonitor", "NetworkPolicy"]),
      );
      const loki = parseAllDocuments(readFileSync(path.join(out, "charts", "loki.yaml"), "utf8"))[0]?.toJS();
      expect(loki).toMatchObject({ chart: "loki", version: "18.11.0", repository: expect.stringMatching(/^https:/) });
      expect(loki.values.loki.limits_config.retention_period).toBe("336h");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
