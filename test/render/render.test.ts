import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import {
  dependencyEnabled,
  inReleaseNamespace,
  parseManifests,
  RenderError,
  renderChart,
} from "../../infra/render/render";

describe("parseManifests (strict parsing of helm template output)", () => {
  test("objects come with the template they were rendered from", () => {
    const text = "---\n# Source: demo/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
    expect(parseManifests(text, "demo")).toEqual([
      {
        object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } },
        origin: "demo",
        template: "demo/templates/cm.yaml",
      },
    ]);
  });

  test("a duplicate key (the last one silently winning in a lax parser) fails, naming the key and template", () => {
    const text = [
      "---",
      "# Source: demo/templates/deploy.yaml",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata:",
      "  name: d",
      "  labels:",
      "    app.kubernetes.io/name: demo",
      "    app.kubernetes.io/name: logging",
    ].join("\n");
    expect(() => parseManifests(text, "demo")).toThrow(RenderError);
    expect(() => parseManifests(text, "demo")).toThrow(
      /demo\/templates\/deploy.yaml: duplicate key "app.kubernetes.io\/name: logging"/,
    );
  });

  test("empty documents (disabled templates) are skipped; a document that is not an object fails", () => {
    expect(parseManifests("---\n# Source: x\n---\n", "demo")).toEqual([]);
    expect(() => parseManifests("---\nkind: ConfigMap\n", "demo")).toThrow(/not a Kubernetes object/);
  });
});

describe("render helpers", () => {
  test("dependencyEnabled follows Helm: first condition path that is a boolean decides, none means enabled", () => {
    expect(dependencyEnabled("grafana.enabled", { grafana: { enabled: false } })).toBe(false);
    expect(dependencyEnabled("a.enabled,b.enabled", { b: { enabled: false } })).toBe(false);
    expect(dependencyEnabled("a.enabled", {})).toBe(true);
    expect(dependencyEnabled(undefined, {})).toBe(true);
  });

  test("namespaced objects without a namespace land in the release namespace; cluster-scoped ones stay without", () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } };
    const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "r" } };
    expect(inReleaseNamespace(cm, "ns").metadata.namespace).toBe("ns");
    expect(inReleaseNamespace(role, "ns").metadata.namespace).toBeUndefined();
    expect(inReleaseNamespace({ ...cm, metadata: { name: "c", namespace: "other" } }, "ns").metadata.namespace).toBe(
      "other",
    );
  });
});

describe("renderChart (real Helm on a chart folder)", () => {
  let sources: string;
  const chart = (name: string, files: Record<string, string>) => {
    for (const [file, text] of Object.entries(files)) {
      const target = path.join(sources, name, file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, text);
    }
  };
  beforeAll(() => {
    process.env.RENDER_CACHE = "off";
    sources = mkdtempSync(path.join(os.tmpdir(), "render-test-"));
    chart("demo-1.0.0", {
      "Chart.yaml": stringify({
        apiVersion: "v2",
        name: "demo",
        version: "1.0.0",
        dependencies: [
          { name: "sub", version: "1.0.0", condition: "sub.enabled" },
          { name: "off", version: "1.0.0", condition: "off.enabled" },
        ],
      }),
      "values.yaml": stringify({ greeting: "hello", sub: { enabled: true }, off: { enabled: false } }),
      "templates/cm.yaml": [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: {{ .Release.Name }}-cm",
        "  labels:",
        "    app.kubernetes.io/name: demo",
        "    {{- with .Values.extraLabels }}{{ toYaml . | nindent 4 }}{{ end }}",
        "data:",
        "  greeting: {{ .Values.greeting | quote }}",
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}",
        "",
      ].join("\n"),
      "templates/hook.yaml": [
        "apiVersion: v1",
        "kind: Secret",
        "metadata:",
        "  name: made-by-a-hook",
        "  annotations:",
        '    "helm.sh/hook": pre-install',
        "",
      ].join("\n"),
    });
  });
  afterAll(() => {
    delete process.env.RENDER_CACHE;
    rmSync(sources, { recursive: true, force: true });
  });
  const spec = (values: Record<string, unknown>) => ({
    release: "rel",
    namespace: "ns",
    chart: "demo",
    version: "1.0.0",
    values,
  });

  test("release name, namespace, values and Kubernetes version reach the templates; hooks are not rendered", async () => {
    const out = await renderChart(spec({ greeting: "hi" }), sources);
    expect(out.objects.map((o) => o.object.metadata.name)).toEqual(["rel-cm"]);
    const cm = out.objects[0]?.object as unknown as { data: Record<string, string>; metadata: { namespace?: string } };
    expect(cm.data.greeting).toBe("hi");
    expect(cm.data.kube).toMatch(/^v1\.33\./);
    expect(cm.metadata.namespace).toBe("ns");
  });

  test("an enabled sub-chart whose sources are absent is rendered without and reported; a disabled one is not", async () => {
    const out = await renderChart(spec({}), sources);
    expect(out.missingSubcharts).toEqual(["sub"]);
    const off = await renderChart(spec({ sub: { enabled: false } }), sources);
    expect(off.missingSubcharts).toEqual([]);
  });

  test("values that collide with the chart's own labels fail the render with the duplicate key named", async () => {
    await expect(renderChart(spec({ extraLabels: { "app.kubernetes.io/name": "x" } }), sources)).rejects.toThrow(
      /duplicate key "app.kubernetes.io\/name: x"/,
    );
  });

  test("a chart version with no sources is an error naming chart, version and folder", async () => {
    await expect(renderChart({ ...spec({}), version: "9.9.9" }, sources)).rejects.toThrow(
      /no sources for chart demo 9.9.9/,
    );
  });
});
