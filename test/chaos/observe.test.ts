/**
 * What the runner reads from Prometheus and Alertmanager: the SLI queries (valid PromQL, the SLO's selector) and
 * an alert's state among Alertmanager's answer. What it pushes: push.test.ts.
 */
import { alertStateOf, scalarOf, sliQueries } from "../../apps/chaos/observe";
import { INFRA_PATHS, LABELS } from "../../contract";
import { apiRequests } from "../../infra/alerting/slos";
import type { AlertExpectation } from "../../infra/chaos/experiments";
import { promqlParser } from "../../infra/queries/lezer";
import { amAlert } from "./fakes";

const NS = "obs-dev-apps";

/** Lezer marks a syntax error with an error node; the parser itself never throws. */
function syntaxErrors(query: string): number {
  let errors = 0;
  promqlParser.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError) errors++;
      return undefined;
    },
  });
  return errors;
}

describe("the SLI queries", () => {
  const q = sliQueries("order", NS, "1m", 0.5);

  test.each(Object.entries(q))("%s is valid PromQL", (_name, query) => {
    expect(syntaxErrors(query)).toBe(0);
  });

  test("the syntax check catches a broken query (so the checks above can fail)", () => {
    expect(syntaxErrors("sum(rate(http_server_request_duration_seconds_count[1m])")).toBeGreaterThan(0);
  });

  test("they count the SLO's requests: the service's API routes in its namespace, not probes or scrapes", () => {
    const selector = apiRequests({ service: "order", namespace: NS });
    for (const query of Object.values(q)) expect(query).toContain(selector.slice(0, -1));
    expect(selector).toContain(`${LABELS.route}!~"${INFRA_PATHS.join("|")}"`);
  });

  test("the error ratio is 5xx over all, with `or vector(0)` so no 5xx series at all reads as 0, not as no data", () => {
    expect(q.errorRatio).toContain(`${LABELS.status}=~"5.."`);
    expect(q.errorRatio).toMatch(/^\(sum\(rate\(.*\[1m\]\)\) or vector\(0\)\) \/ sum\(rate\(/);
  });

  test("the slow share uses the latency threshold's bucket", () => {
    expect(q.slowRatio).toContain('le="0.5"');
  });

  test("an empty answer and NaN (no traffic in the window) are undefined; a number is itself", () => {
    expect(scalarOf([])).toBeUndefined();
    expect(scalarOf([{ labels: {}, value: Number.NaN }])).toBeUndefined();
    expect(scalarOf([{ labels: {}, value: 0.25 }])).toBe(0.25);
  });
});

describe("an alert's state in Alertmanager's answer", () => {
  const page: AlertExpectation = { alertname: "SLOFastBurn", labels: { service: "order", slo: "availability" } };
  const labels = { alertname: "SLOFastBurn", service: "order", slo: "availability", severity: "page" };

  test("firing and delivered is active; inhibited or silenced is suppressed; not listed is absent", () => {
    expect(alertStateOf(page, [amAlert(labels, "active")], NS)).toBe("active");
    expect(alertStateOf(page, [amAlert(labels, "suppressed")], NS)).toBe("suppressed");
    expect(alertStateOf(page, [], NS)).toBe("absent");
  });

  test("not yet processed by Alertmanager has reached nobody: suppressed, not active", () => {
    expect(alertStateOf(page, [amAlert(labels, "unprocessed")], NS)).toBe("suppressed");
  });

  test("every label of the expectation must match: the latency SLO's page is not the availability one", () => {
    expect(alertStateOf(page, [amAlert({ ...labels, slo: "latency" }, "active")], NS)).toBe("absent");
  });

  test("an expectation without slo matches either SLO, and one active among several makes it active", () => {
    const any: AlertExpectation = { alertname: "SLOFastBurn", labels: { service: "order" } };
    const alerts = [amAlert({ ...labels, slo: "latency" }, "suppressed"), amAlert(labels, "active")];
    expect(alertStateOf(any, alerts, NS)).toBe("active");
  });

  test("the same alert of another environment's namespace does not count; one without a namespace does", () => {
    expect(alertStateOf(page, [amAlert({ ...labels, namespace: "obs-prod-apps" }, "active")], NS)).toBe("absent");
    expect(alertStateOf(page, [amAlert({ ...labels, namespace: NS }, "active")], NS)).toBe("active");
  });
});
