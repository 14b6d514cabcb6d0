import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { LABELS } from "../../contract";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { PROBE_JOBS, type ProbeObject, probeObjects } from "../../infra/probes/probes";
import { probeScrapeConfig } from "../../infra/probes/scrape-config";
import { run, toolAvailable } from "../support/tools";

const config = loadStackConfig("dev");
const ns = namespaces(config);
const probes = probeObjects({ probes: config.probes, namespaces: ns, labels: {} });
const productE2e = probes.find((p) => p.metadata.name === "product-e2e") as ProbeObject;

describe("a Probe as the Prometheus operator turns it into a scrape config", () => {
  const scrape = probeScrapeConfig(productE2e);

  test("job probe/<namespace>/<name>, the prober's /probe path, the module as a parameter, the Probe's interval and timeout", () => {
    expect(scrape).toMatchObject({
      job_name: `probe/${ns.apps}/product-e2e`,
      honor_timestamps: true,
      metrics_path: "/probe",
      scheme: "http",
      params: { module: [productE2e.spec.module] },
      scrape_interval: config.probes.interval,
      scrape_timeout: config.probes.interval,
    });
  });

  test("the target keeps its static labels and gets the Probe's namespace", () => {
    expect(scrape.static_configs).toEqual([
      {
        targets: productE2e.spec.targets?.staticConfig?.static,
        labels: { namespace: ns.apps, [LABELS.service]: "product" },
      },
    ]);
  });

  test("relabelings in the operator's order: job from jobName, the target as ?target= and instance, the address the prober's", () => {
    expect(scrape.relabel_configs).toEqual([
      { source_labels: ["job"], target_label: "__tmp_prometheus_job_name" },
      { target_label: "job", replacement: PROBE_JOBS.endToEnd },
      { source_labels: ["__address__"], target_label: "__param_target" },
      { source_labels: ["__param_target"], target_label: "instance" },
      { target_label: "__address__", replacement: productE2e.spec.prober?.url },
    ]);
  });

  test("a static labels' namespace wins over the Probe's, and its relabelings follow the prober's, in Prometheus' spelling", () => {
    const custom: ProbeObject = {
      ...productE2e,
      spec: {
        ...productE2e.spec,
        targets: {
          staticConfig: {
            static: ["http://x/"],
            labels: { namespace: "elsewhere" },
            relabelingConfigs: [{ sourceLabels: ["instance"], targetLabel: "site", regex: "http://(.*)/" }],
          },
        },
      },
    };
    const out = probeScrapeConfig(custom);
    expect(out.static_configs).toEqual([{ targets: ["http://x/"], labels: { namespace: "elsewhere" } }]);
    expect((out.relabel_configs as unknown[]).at(-1)).toEqual({
      source_labels: ["instance"],
      target_label: "site",
      regex: "http://(.*)/",
    });
  });

  test.each([
    ["ingress targets", { targets: { ingress: {} } }, "spec.targets.ingress is not supported here"],
    [
      "no static target",
      { targets: { staticConfig: { static: [] } } },
      "spec.targets.staticConfig.static lists no target",
    ],
    ["credentials", { basicAuth: {} }, "spec.basicAuth not supported here"],
  ])("refuses %s with an error naming the Probe and the field", (_what, spec, message) => {
    const probe = { ...productE2e, spec: { ...productE2e.spec, ...spec } } as ProbeObject;
    expect(() => probeScrapeConfig(probe)).toThrow(`Probe ${ns.apps}/product-e2e: ${message}`);
  });
});

const describeTool = toolAvailable("promtool") ? describe : describe.skip;

describeTool("the scrape configs of every stack's Probes with the real promtool", () => {
  test.each(["dev", "staging", "prod"])("%s: promtool check config accepts them", (stack) => {
    const stackConfig = loadStackConfig(stack);
    const scrapeConfigs = probeObjects({
      probes: stackConfig.probes,
      namespaces: namespaces(stackConfig),
      labels: {},
    }).map(probeScrapeConfig);
    const dir = mkdtempSync(path.join(os.tmpdir(), "probe-scrape-"));
    try {
      const file = path.join(dir, "prometheus.yaml");
      writeFileSync(file, stringify({ scrape_configs: scrapeConfigs }));
      const result = run("promtool", ["check", "config", "--syntax-only", file]);
      expect(result.output).toContain("SUCCESS");
      expect(result.status).toBe(0);
      // the check can fail: a timeout above the interval is refused
      writeFileSync(file, stringify({ scrape_configs: [{ ...scrapeConfigs[0], scrape_timeout: "10m" }] }));
      expect(run("promtool", ["check", "config", "--syntax-only", file]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
