import { type MonitoringStack, startMonitoringStack } from "../../apps/demo/monitoring-stack";
import { ALERT_LABELS, COST_ALERTS, COST_LABELS, type ServiceName } from "../../contract";
import { alertmanagerConfig } from "../../infra/alerting/alertmanager";
import { SLO_LABEL, type SloKind } from "../../infra/alerting/names";
import { ALERT_NAMES, ALERT_SERVICE_LABEL } from "../../infra/alerting/rules";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { waitFor } from "../support/http";
import { toolAvailable } from "../support/tools";

/*
 * The inhibition rules of infra/alerting/alertmanager.ts on a real Alertmanager (with the harness' idle
 * Prometheus beside it): alerts are posted straight to POST /api/v2/alerts and their state read back from
 * GET /api/v2/alerts, where Alertmanager evaluates inhibitions when it answers. A second Alertmanager runs
 * the same generated config with the page → ticket rule as it was before the fix (source `severity = "page"`
 * only): Alertmanager treats two absent `equal` labels as equal, so a page without service and slo labels
 * (the budget page) silenced every ticket without them (the right-sizing and budget-forecast tickets).
 */

const ready = toolAvailable("prometheus") && toolAvailable("prometheus-alertmanager");
const describeLive = ready ? describe : describe.skip;

interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

interface AmAlert {
  fingerprint: string;
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
}

type Labels = Record<string, string>;

const ENVIRONMENT = "e2e";
const NS = namespaces(loadStackConfig("dev"));
const ORDER: ServiceName = "order";
const AVAILABILITY: SloKind = "availability";
const LATENCY: SloKind = "latency";

const slo = (alertname: string, severity: string, service: ServiceName, kind: SloKind): Labels => ({
  [ALERT_LABELS.alertname]: alertname,
  [ALERT_LABELS.severity]: severity,
  [ALERT_SERVICE_LABEL]: service,
  [SLO_LABEL]: kind,
  [COST_LABELS.environment]: ENVIRONMENT,
});

/** The cost alerts with the labels their rules give them (infra/alerting/cost-rules.ts): no service, no slo. */
const COST = {
  budgetPage: {
    [ALERT_LABELS.alertname]: COST_ALERTS.budgetExceeded,
    [ALERT_LABELS.severity]: "page",
    [COST_LABELS.environment]: ENVIRONMENT,
  },
  overProvisionedTicket: {
    [ALERT_LABELS.alertname]: COST_ALERTS.overProvisioned,
    [ALERT_LABELS.severity]: "ticket",
    [COST_LABELS.namespace]: NS.apps,
    [COST_LABELS.workload]: "product",
    [COST_LABELS.container]: "product",
    [COST_LABELS.resource]: "cpu",
  },
  forecastTicket: {
    [ALERT_LABELS.alertname]: COST_ALERTS.budgetForecast,
    [ALERT_LABELS.severity]: "ticket",
    [COST_LABELS.environment]: ENVIRONMENT,
  },
} satisfies Record<string, Labels>;

/** The generated page → ticket rule: the one whose source is a page and whose target is a ticket. */
const pageToTicket = (config: Record<string, unknown>): InhibitRule => {
  const rule = (config.inhibit_rules as InhibitRule[]).find(
    (r) => r.source_matchers.includes('severity = "page"') && r.target_matchers.includes('severity = "ticket"'),
  );
  if (!rule) throw new Error("no page → ticket inhibition rule in the generated config");
  return rule;
};

async function post(stack: MonitoringStack, alerts: Labels[]): Promise<void> {
  const now = Date.now();
  const res = await fetch(`${stack.alertmanagerUrl}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(
      alerts.map((labels) => ({
        labels,
        annotations: { summary: `inhibition-live: ${labels[ALERT_LABELS.alertname]}` },
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 10 * 60_000).toISOString(),
      })),
    ),
  });
  expect(res.status).toBe(200);
}

async function list(stack: MonitoringStack): Promise<AmAlert[]> {
  return (await (await fetch(`${stack.alertmanagerUrl}/api/v2/alerts`)).json()) as AmAlert[];
}

const sameLabels = (a: AmAlert, labels: Labels) =>
  Object.keys(a.labels).length === Object.keys(labels).length &&
  Object.entries(labels).every(([k, v]) => a.labels[k] === v);

/** Every alert of `wanted` as Alertmanager lists it, once all are listed and `settled` holds. */
async function settle<K extends string>(
  stack: MonitoringStack,
  what: string,
  wanted: Record<K, Labels>,
  settled: (found: Record<K, AmAlert>) => boolean,
): Promise<Record<K, AmAlert>> {
  return waitFor(
    what,
    async () => {
      const alerts = await list(stack);
      const found = {} as Record<K, AmAlert>;
      for (const [key, labels] of Object.entries(wanted) as [K, Labels][]) {
        const alert = alerts.find((a) => sameLabels(a, labels));
        if (!alert) return undefined;
        found[key] = alert;
      }
      return settled(found) ? found : undefined;
    },
    15_000,
  );
}

describeLive("live: the generated inhibition rules on a real Alertmanager", () => {
  const generated = alertmanagerConfig({});
  const old = structuredClone(generated);
  pageToTicket(old).source_matchers = ['severity = "page"'];
  let fixed: MonitoringStack;
  let before: MonitoringStack;

  beforeAll(async () => {
    const start = (config: Record<string, unknown>) =>
      startMonitoringStack({ targets: {}, namespaces: NS, rules: [], alertmanagerConfig: config });
    [fixed, before] = await Promise.all([start(generated), start(old)]);
  }, 60_000);

  afterAll(async () => {
    await fixed?.stop();
    await before?.stop();
  }, 30_000);

  test("the generated page → ticket rule needs an slo on its page; the copy standing for the old rule differs only there", () => {
    expect(pageToTicket(generated)).toEqual({
      source_matchers: ['severity = "page"', `${SLO_LABEL} =~ ".+"`],
      target_matchers: ['severity = "ticket"'],
      equal: [ALERT_SERVICE_LABEL, SLO_LABEL],
    });
    expect(old).toEqual({
      ...generated,
      inhibit_rules: (generated.inhibit_rules as InhibitRule[]).map((r) =>
        r === pageToTicket(generated) ? { ...r, source_matchers: ['severity = "page"'] } : r,
      ),
    });
  });

  test(`an ${ALERT_NAMES.fastBurn} page of order/availability inhibits the ${ALERT_NAMES.slowBurn} ticket of order/availability, not order/latency's`, async () => {
    const wanted = {
      page: slo(ALERT_NAMES.fastBurn, "page", ORDER, AVAILABILITY),
      ticket: slo(ALERT_NAMES.slowBurn, "ticket", ORDER, AVAILABILITY),
      otherSlo: slo(ALERT_NAMES.slowBurn, "ticket", ORDER, LATENCY),
    };
    await post(fixed, Object.values(wanted));
    const found = await settle(
      fixed,
      "the order/availability ticket to be inhibited",
      wanted,
      (f) => f.ticket.status.inhibitedBy.length > 0,
    );
    expect(found.ticket.status).toMatchObject({ state: "suppressed", inhibitedBy: [found.page.fingerprint] });
    expect(found.page.status).toMatchObject({ state: "active", inhibitedBy: [] });
    expect(found.otherSlo.status).toMatchObject({ state: "active", inhibitedBy: [] });
  });

  test(`a page without an slo label (${COST_ALERTS.budgetExceeded}) does not inhibit the tickets without service/slo labels (${COST_ALERTS.overProvisioned}, ${COST_ALERTS.budgetForecast})`, async () => {
    // An SLO page and ticket posted after the budget page in the same request: once the ticket shows inhibited,
    // Alertmanager's inhibitor has seen the budget page too (it takes posted alerts in order).
    const wanted = {
      ...COST,
      sentinelPage: slo(ALERT_NAMES.fastBurn, "page", "product", LATENCY),
      sentinelTicket: slo(ALERT_NAMES.slowBurn, "ticket", "product", LATENCY),
    };
    await post(fixed, Object.values(wanted));
    const found = await settle(
      fixed,
      "the sentinel SLO ticket to be inhibited",
      wanted,
      (f) => f.sentinelTicket.status.inhibitedBy.length > 0,
    );
    expect(found.sentinelTicket.status.inhibitedBy).toEqual([found.sentinelPage.fingerprint]);
    // and it stays so: a few more reads, seconds apart
    for (let i = 0; i < 3; i += 1) {
      await new Promise((r) => setTimeout(r, 1_000));
      const alerts = await list(fixed);
      for (const labels of [COST.overProvisionedTicket, COST.forecastTicket, COST.budgetPage]) {
        const alert = alerts.find((a) => sameLabels(a, labels));
        expect({ alertname: alert?.labels.alertname, status: alert?.status }).toEqual({
          alertname: labels[ALERT_LABELS.alertname],
          status: { state: "active", inhibitedBy: [], silencedBy: [] },
        });
      }
    }
  }, 30_000);

  test(`with the old rule (source severity = "page" only) the same ${COST_ALERTS.budgetExceeded} page inhibits ${COST_ALERTS.overProvisioned} and ${COST_ALERTS.budgetForecast}: the bug the slo =~ ".+" matcher fixes`, async () => {
    await post(before, Object.values(COST));
    const found = await settle(
      before,
      "the cost tickets to be inhibited by the budget page",
      COST,
      (f) => f.overProvisionedTicket.status.inhibitedBy.length > 0 && f.forecastTicket.status.inhibitedBy.length > 0,
    );
    expect(found.overProvisionedTicket.status).toMatchObject({
      state: "suppressed",
      inhibitedBy: [found.budgetPage.fingerprint],
    });
    expect(found.forecastTicket.status).toMatchObject({
      state: "suppressed",
      inhibitedBy: [found.budgetPage.fingerprint],
    });
    expect(found.budgetPage.status).toMatchObject({ state: "active", inhibitedBy: [] });
  });
});
