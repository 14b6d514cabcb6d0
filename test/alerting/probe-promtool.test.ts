import { ALERT_LABELS, RESPONSE_ACTIONS } from "../../contract";
import { probeRuleGroup } from "../../infra/alerting/probe-rules";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { durationSeconds } from "../../infra/preflight/checks/rendered-config/units";
import { PROBE_JOBS } from "../../infra/probes/probes";
import { toolAvailable } from "../support/tools";
import { type AlertCase, promtoolRules } from "./harness";

const describeTool = toolAvailable("promtool") ? describe : describe.skip;

// prod: a probe failing for 3m pages; an end-to-end read averaging over 0.5 s for 10m tickets.
const config = loadStackConfig("prod");
const ns = namespaces(config);
const group = probeRuleGroup(config.probes, ns);
const a = ALERT_NAMES;
const minutes = (d: string) => (durationSeconds(d, "prometheus") as number) / 60;
const failingFor = minutes(config.probes.failingFor);
const slowFor = minutes(config.probes.slowFor);
const threshold = config.probes.latencyThresholdSeconds;

type Kind = keyof typeof PROBE_JOBS;
/** The labels a probe series gets from its Probe object (static labels, namespace, job, instance). */
const target = (service: string, kind: Kind, namespace = ns.apps) => ({
  namespace,
  job: PROBE_JOBS[kind],
  instance: `http://${service}.${namespace}.svc.cluster.local:80/${kind}`,
  service_name: service,
});
const series = (metric: string, labels: Record<string, string>, values: string) => ({
  series: `${metric}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`,
  values,
});
const success = (service: string, kind: Kind, values: string, namespace?: string) =>
  series("probe_success", target(service, kind, namespace), values);
const duration = (service: string, values: string) =>
  series("probe_duration_seconds", target(service, "endToEnd"), values);
/** A failing readiness probe declares the restart response; the end-to-end and slow-probe alerts none. */
const alert = (service: string, kind: Kind, severity: string, response?: string) => ({
  exp_labels: {
    ...target(service, kind),
    service,
    severity,
    ...(response ? { [ALERT_LABELS.response]: response } : {}),
  },
});

const scenario = (name: string, input_series: object[], alert_rule_test: AlertCase[]) => ({
  name,
  interval: "1m",
  input_series,
  alert_rule_test,
});

const scenarios = [
  scenario(
    `product's end-to-end read failing from minute 2: quiet for ${failingFor}m, then it pages naming product; order's probes stay quiet`,
    [
      success("product", "endToEnd", "1 1 0x30"),
      success("order", "endToEnd", "1x32"),
      success("order", "readiness", "1x32"),
    ],
    [
      { eval_time: `${2 + failingFor - 1}m`, alertname: a.probeFailing, exp_alerts: [] },
      {
        eval_time: `${2 + failingFor + 1}m`,
        alertname: a.probeFailing,
        exp_alerts: [alert("product", "endToEnd", "page")],
      },
    ],
  ),
  scenario(
    "no ready pod behind user's Service: its readiness probe fails and pages the same way, with the restart response",
    [success("user", "readiness", "0x30")],
    [
      {
        eval_time: `${failingFor + 2}m`,
        alertname: a.probeFailing,
        exp_alerts: [alert("user", "readiness", "page", RESPONSE_ACTIONS.restart)],
      },
    ],
  ),
  scenario(
    `a probe that fails ${failingFor - 1} minutes at a time, with a success in between, never pages`,
    [success("product", "endToEnd", `1 ${Array.from({ length: 6 }, () => `0x${failingFor - 2} 1`).join(" ")}`)],
    [
      { eval_time: `${failingFor + 1}m`, alertname: a.probeFailing, exp_alerts: [] },
      { eval_time: `${3 * failingFor}m`, alertname: a.probeFailing, exp_alerts: [] },
    ],
  ),
  scenario(
    "another environment's failing probe (same Prometheus) does not page this one",
    [success("product", "endToEnd", "0x30", "other-apps")],
    [{ eval_time: `${failingFor + 5}m`, alertname: a.probeFailing, exp_alerts: [] }],
  ),
  scenario(
    `product's end-to-end read at ${threshold * 2}s for ${slowFor}m tickets; order at ${threshold / 2}s does not`,
    [duration("product", `${threshold * 2}x40`), duration("order", `${threshold / 2}x40`)],
    [
      { eval_time: `${slowFor - 2}m`, alertname: a.probeSlow, exp_alerts: [] },
      { eval_time: `${slowFor + 2}m`, alertname: a.probeSlow, exp_alerts: [alert("product", "endToEnd", "ticket")] },
    ],
  ),
  scenario(
    "a slow readiness probe is no user read: it does not ticket",
    [series("probe_duration_seconds", target("user", "readiness"), `${threshold * 4}x40`)],
    [{ eval_time: `${slowFor + 5}m`, alertname: a.probeSlow, exp_alerts: [] }],
  ),
];

describeTool("probe alerts with the real promtool", () => {
  const promtool = promtoolRules("probes", [group]);

  test("promtool check rules accepts the group: ServiceProbeFailing per probe job, and ServiceProbeSlow", () => {
    const result = promtool.check();
    expect(result.output).toContain("SUCCESS: 3 rules found");
    expect(result.status).toBe(0);
  });

  test.each(scenarios.map((s) => [s.name, s] as const))("promtool test rules: %s", (_name, s) => {
    const result = promtool.test(s);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  test("a wrong expectation fails promtool (the scenarios can fail)", () => {
    const wrong = scenario(
      "expects no page although product has failed for long",
      [success("product", "endToEnd", "0x30")],
      [{ eval_time: `${failingFor + 5}m`, alertname: a.probeFailing, exp_alerts: [] }],
    );
    expect(promtool.test(wrong).status).not.toBe(0);
  });
});
