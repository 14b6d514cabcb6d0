import { ConfigError, LOCAL_SERVICE_VERSION } from "../../apps/lib/config";
import { buildService } from "../../apps/lib/service";
import { productService } from "../../apps/product/service";
import { LABELS, METRICS, SERVICE_VERSION_ENV } from "../../contract";
import { type InProcess, startInProcess } from "../support/services";

/** The service_build_info samples of a /metrics answer: `{labels} value` per line. */
async function buildInfoLines(service: InProcess): Promise<string[]> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return text.split("\n").filter((line) => line.startsWith(`${METRICS.buildInfo}{`));
}

describe(`${METRICS.buildInfo}: the build each service runs`, () => {
  let services: InProcess[] = [];
  const start = async (env: Record<string, string>) => {
    const service = await startInProcess("product", env);
    services.push(service);
    return service;
  };
  afterEach(async () => {
    await Promise.all(services.map((s) => s.close()));
    services = [];
  });

  test("/metrics carries one series, value 1, labelled with the configured SERVICE_VERSION and the service", async () => {
    const lines = await buildInfoLines(await start({ [SERVICE_VERSION_ENV]: "1.4.2" }));
    expect(lines).toEqual([`${METRICS.buildInfo}{${LABELS.version}="1.4.2",${LABELS.service}="product"} 1`]);
  });

  test(`unset (a local run) or empty, the version is ${LOCAL_SERVICE_VERSION}`, async () => {
    for (const env of [{}, { [SERVICE_VERSION_ENV]: "" }] as Record<string, string>[]) {
      const lines = await buildInfoLines(await start(env));
      expect(lines).toEqual([
        `${METRICS.buildInfo}{${LABELS.version}="${LOCAL_SERVICE_VERSION}",${LABELS.service}="product"} 1`,
      ]);
    }
  });

  test("stays with METRICS_ENABLED=false, like the process and runtime metrics", async () => {
    const lines = await buildInfoLines(await start({ [SERVICE_VERSION_ENV]: "2.0.0-rc.1", METRICS_ENABLED: "false" }));
    expect(lines).toEqual([`${METRICS.buildInfo}{${LABELS.version}="2.0.0-rc.1",${LABELS.service}="product"} 1`]);
  });

  test("a version that is no image tag stops the service, naming the variable and what is allowed", () => {
    const build = () => buildService(productService, { [SERVICE_VERSION_ENV]: "1.0 beta" }, { defaultMetrics: false });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(`${SERVICE_VERSION_ENV}: must be a version or image tag`);
  });
});
