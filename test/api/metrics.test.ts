import { ServiceMetrics } from "../../apps/lib/metrics";
import { HTTP_DURATION_BUCKETS, LABELS, METRICS, PATHS, UNMATCHED_ROUTE } from "../../contract";
import { call } from "../support/http";
import { type InProcess, startInProcess } from "../support/services";

/** Parses Prometheus text exposition into samples (name, labels, value). */
function samples(text: string) {
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
      if (!m) throw new Error(`unparseable sample: ${line}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
      );
      return { name: m[1] as string, labels: labels as Record<string, string>, value: Number(m[3]) };
    });
}

describe("/metrics exposition", () => {
  let product: InProcess;
  beforeAll(async () => {
    product = await startInProcess("product");
    await call(`${product.url}/products/p-1001`);
    await call(`${product.url}/products/p-1002`);
    await call(`${product.url}/products/p-1001/reservations`, { body: { quantity: 1 } });
    await call(`${product.url}/unknown/path/123`);
  });
  afterAll(() => product.close());

  const scrape = async (accept?: string) => {
    const res = await fetch(`${product.url}/metrics`, { headers: accept ? { accept } : {} });
    return { type: res.headers.get("content-type") ?? "", text: await res.text() };
  };

  test("serves the Prometheus text format by default", async () => {
    const { type } = await scrape();
    expect(type).toContain("text/plain");
    expect(type).toContain("version=0.0.4");
  });

  test("server histogram has the exact name, labels and OpenTelemetry buckets", async () => {
    const buckets = samples((await scrape()).text).filter((s) => s.name === `${METRICS.serverDuration}_bucket`);
    const series = buckets.filter((s) => s.labels[LABELS.route] === "/products/:id");
    expect(series.map((s) => s.labels.le)).toEqual([...HTTP_DURATION_BUCKETS.map(String), "+Inf"]);
    expect(Object.keys(series[0]?.labels ?? {}).sort()).toEqual(
      ["le", LABELS.service, LABELS.method, LABELS.route, LABELS.status].sort(),
    );
    expect(series.at(-1)?.labels).toMatchObject({
      [LABELS.service]: "product",
      [LABELS.method]: "GET",
      [LABELS.status]: "200",
    });
    expect(series.at(-1)?.value).toBe(2);
  });

  test("routes are templates, never raw paths; unmatched requests share one value", async () => {
    const routes = new Set(
      samples((await scrape()).text)
        .filter((s) => s.name === `${METRICS.serverDuration}_count`)
        .map((s) => s.labels[LABELS.route]),
    );
    expect(routes).toEqual(new Set(["/products/:id", "/products/:id/reservations", PATHS.metrics, UNMATCHED_ROUTE]));
  });

  test("every series carries service_name", async () => {
    for (const s of samples((await scrape()).text)) expect(s.labels[LABELS.service]).toBe("product");
  });

  test("OpenMetrics when asked for it, and counters keep _total in the next Prometheus scrape", async () => {
    const open = await scrape("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect(open.type).toContain("application/openmetrics-text");
    expect(open.text).toMatch(/^product_reservations_total\{outcome="reserved",service_name="product"\} 1$/m);
    expect(open.text.trimEnd().endsWith("# EOF")).toBe(true);
    const text = (await scrape()).text;
    expect(text).toMatch(/^product_reservations_total\{outcome="reserved",service_name="product"\} 1$/m);
    expect(text).not.toContain("# EOF");
  });

  test("concurrent scrapes in both formats each get their own format", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => scrape(i % 2 ? "application/openmetrics-text; version=1.0.0" : undefined)),
    );
    results.forEach((r, i) => {
      expect(r.text.includes("# EOF")).toBe(i % 2 === 1);
    });
  });
});

describe("prom-client default process and runtime metrics", () => {
  test("are exposed by a service built with them (as the processes are)", async () => {
    const metrics = new ServiceMetrics("user");
    const { body } = await metrics.render(undefined);
    expect(body).toMatch(/^process_cpu_seconds_total\{service_name="user"\} /m);
    expect(body).toMatch(/^nodejs_eventloop_lag_p99_seconds\{service_name="user"\} /m);
  });
  test("keep _total in a Prometheus-format scrape after an OpenMetrics one (the load test reads process_cpu_seconds_total)", async () => {
    const metrics = new ServiceMetrics("user");
    await metrics.render("application/openmetrics-text; version=1.0.0");
    const { body } = await metrics.render(undefined);
    for (const name of [
      "process_cpu_seconds_total",
      "process_cpu_user_seconds_total",
      "process_cpu_system_seconds_total",
    ]) {
      expect(body).toMatch(new RegExp(`^${name}\\{service_name="user"\\} `, "m"));
    }
    expect(body).not.toMatch(/^process_cpu_seconds\{/m);
  });
});
