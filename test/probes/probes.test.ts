import { LABELS, PATHS, SERVICE_NAMES } from "../../contract";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces, PLATFORM_SERVICES, SERVICE_PORT } from "../../infra/platform/naming";
import { PROBE_MODULES } from "../../infra/probes/modules";
import { END_TO_END_READS, ORDER_PROBE_ID, PROBE_JOBS, probeObjects } from "../../infra/probes/probes";

const config = loadStackConfig("prod");
const ns = namespaces(config);
const labels = { team: "platform" };
const probes = probeObjects({ probes: config.probes, namespaces: ns, labels });
const byName = (name: string) => probes.find((p) => p.metadata.name === name);

describe("the generated Probe objects", () => {
  test("one readiness probe per service: GET /readyz through its Service with http_2xx", () => {
    for (const service of SERVICE_NAMES) {
      const probe = byName(`${service}-readiness`);
      expect(probe?.spec).toMatchObject({
        jobName: PROBE_JOBS.readiness,
        module: PROBE_MODULES.ready,
        targets: {
          staticConfig: {
            static: [`http://${service}.${ns.apps}.svc.cluster.local:${SERVICE_PORT}${PATHS.ready}`],
            labels: { [LABELS.service]: service },
          },
        },
      });
    }
  });

  test("end-to-end: product's GET /products as a JSON read, order's lookup of an id no order has as the route's JSON 404", () => {
    expect(Object.keys(END_TO_END_READS).sort()).toEqual(["order", "product"]);
    expect(byName("product-e2e")?.spec).toMatchObject({
      jobName: PROBE_JOBS.endToEnd,
      module: PROBE_MODULES.jsonRead,
      targets: { staticConfig: { static: [`http://product.${ns.apps}.svc.cluster.local:80/products`] } },
    });
    expect(byName("order-e2e")?.spec).toMatchObject({
      jobName: PROBE_JOBS.endToEnd,
      module: PROBE_MODULES.jsonNotFound,
      targets: { staticConfig: { static: [`http://order.${ns.apps}.svc.cluster.local:80/orders/${ORDER_PROBE_ID}`] } },
    });
    expect(ORDER_PROBE_ID).not.toMatch(/^o-/); // order ids are o-<uuid>: the lookup never finds one
  });

  test("all in the apps namespace with the given labels, probing through the exporter's Service every interval", () => {
    expect(probes).toHaveLength(SERVICE_NAMES.length + Object.keys(END_TO_END_READS).length);
    const prober = PLATFORM_SERVICES.blackboxExporter;
    for (const probe of probes) {
      expect(probe.metadata).toMatchObject({ namespace: ns.apps, labels });
      expect(probe.spec).toMatchObject({
        interval: config.probes.interval,
        scrapeTimeout: config.probes.interval,
        prober: { url: `${prober.name}.${ns.platform}.svc.cluster.local:${prober.port}`, path: "/probe" },
      });
    }
    expect(new Set(probes.map((p) => p.metadata.name)).size).toBe(probes.length);
  });

  test("other endpoints (local runs) change only the addresses: paths, modules, jobs and labels stay", () => {
    const local = probeObjects({
      probes: config.probes,
      namespaces: ns,
      labels,
      endpoints: { serviceUrl: (s) => `http://127.0.0.1:${SERVICE_NAMES.indexOf(s) + 4000}`, prober: "127.0.0.1:9999" },
    });
    expect(local.map((p) => [p.metadata.name, p.spec.jobName, p.spec.module])).toEqual(
      probes.map((p) => [p.metadata.name, p.spec.jobName, p.spec.module]),
    );
    expect(byName("product-e2e")?.spec.targets?.staticConfig?.static?.[0]).toMatch(/\/products$/);
    expect(local.find((p) => p.metadata.name === "product-e2e")?.spec.targets?.staticConfig?.static).toEqual([
      "http://127.0.0.1:4001/products",
    ]);
    expect(new Set(local.map((p) => p.spec.prober?.url))).toEqual(new Set(["127.0.0.1:9999"]));
  });

  test("a config whose interval the modules may outlast is refused, naming the field", () => {
    expect(() => probeObjects({ probes: { ...config.probes, interval: "3s" }, namespaces: ns, labels })).toThrow(
      /probes\.interval: must be longer than 3\.5s/,
    );
  });
});
