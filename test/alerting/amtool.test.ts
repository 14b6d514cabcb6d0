import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { ALERT_LABELS, RESPONSE_ACTIONS } from "../../contract";
import { alertmanagerConfig, RECEIVERS } from "../../infra/alerting/alertmanager";
import { RESPONDER_ALERT_NAMES } from "../../infra/alerting/responder-rules";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { ALERT_NAMES, type Rule } from "../../infra/alerting/rules";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { PROBE_JOBS } from "../../infra/probes/probes";
import { run, toolAvailable } from "../support/tools";

const describeTool = toolAvailable("amtool") ? describe : describe.skip;

const WITH_WEBHOOKS = {
  pagingUrl: "https://pager.example.com/hooks/page",
  ticketUrl: "https://tickets.example.com/hooks/ticket",
  heartbeatUrl: "https://heartbeat.example.com/ping",
  bearerToken: "webhook-token-0123456789",
};

describeTool("Alertmanager config with the real amtool", () => {
  let dir: string;
  const files: Record<string, string> = {};
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "amtool-"));
    for (const [name, receivers] of Object.entries({ webhooks: WITH_WEBHOOKS, none: {} })) {
      files[name] = path.join(dir, `${name}.yaml`);
      writeFileSync(files[name], stringify(alertmanagerConfig(receivers)));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(["webhooks", "none"])("amtool check-config passes (%s configured)", (name) => {
    const result = run("amtool", ["check-config", files[name] as string]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  test("without webhook URLs every receiver still exists (no-op), so no route is broken", () => {
    const config = alertmanagerConfig({}) as { receivers: { name: string; webhook_configs?: unknown[] }[] };
    expect(config.receivers.map((r) => r.name)).toEqual(["null", "paging", "ticket", "heartbeat", "responder"]);
    expect(config.receivers.every((r) => r.webhook_configs === undefined)).toBe(true);
  });

  test("webhooks send resolved alerts with the bearer token", () => {
    const config = alertmanagerConfig(WITH_WEBHOOKS) as { receivers: { name: string; webhook_configs?: any[] }[] };
    const paging = config.receivers.find((r) => r.name === RECEIVERS.paging)?.webhook_configs?.[0];
    expect(paging).toMatchObject({
      url: WITH_WEBHOOKS.pagingUrl,
      send_resolved: true,
      http_config: { authorization: { type: "Bearer", credentials: WITH_WEBHOOKS.bearerToken } },
    });
  });

  /**
   * amtool routes an alert with these labels to exactly `receivers`, in order (it lists every receiver
   * matched on the way, the `continue` route's included, and verifies the whole list).
   */
  const expectRoutedTo = (receivers: string[], labels: string[]) => {
    const result = run("amtool", [
      "config",
      "routes",
      "test",
      `--config.file=${files.webhooks}`,
      `--verify.receivers=${receivers.join(",")}`,
      ...labels,
    ]);
    expect(result.output.split("\n").map((l) => l.trim())).toContain(receivers.join(","));
    expect(result.status).toBe(0);
  };

  test.each([
    [[RECEIVERS.paging], ["severity=page", `alertname=${ALERT_NAMES.fastBurn}`, "service=order", "slo=availability"]],
    [[RECEIVERS.paging], ["severity=critical", `alertname=${ALERT_NAMES.targetDown}`, "service=user"]],
    [[RECEIVERS.ticket], ["severity=warning", `alertname=${ALERT_NAMES.highLatency}`, "service=product"]],
    [[RECEIVERS.heartbeat], [`alertname=${ALERT_NAMES.watchdog}`, "severity=none"]],
    [[RECEIVERS.none], ["alertname=SomethingElse", "severity=info"]],
    [
      [RECEIVERS.responder, RECEIVERS.ticket],
      [
        "severity=ticket",
        `alertname=${ALERT_NAMES.slowBurn}`,
        `${ALERT_LABELS.response}=${RESPONSE_ACTIONS.raiseMaxReplicas}`,
      ],
    ],
  ])("amtool config routes test: %j get %j", (receivers, labels) => {
    expectRoutedTo(receivers, labels);
  });

  // Alerts with the labels their rules really carry (prod): a declared response reaches the responder AND
  // the human receiver its severity picks; without one, only the human receiver.
  const prod = loadStackConfig("prod");
  const rules = ruleGroupsFor(prod, namespaces(prod)).flatMap((g) => g.rules);
  const labelsOf = (alert: string, match: (r: Rule) => boolean = () => true) => {
    const rule = rules.find((r) => r.alert === alert && match(r));
    if (!rule) throw new Error(`no rule ${alert} matching`);
    // label_replace gives most alerts their service at evaluation: stand in for it where the rule has none
    const labels = { service: "product", ...rule.labels };
    return [`alertname=${alert}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  };
  const slo = (kind: string) => (r: Rule) => r.labels?.slo === kind;
  const probeJob = (job: string) => (r: Rule) => r.expr.includes(`job=~"${job}"`);
  test.each([
    ["ServicePodCrashLooping", [RECEIVERS.responder, RECEIVERS.ticket], labelsOf(ALERT_NAMES.crashLooping)],
    [
      "SLOFastBurn{slo=latency}",
      [RECEIVERS.responder, RECEIVERS.paging],
      labelsOf(ALERT_NAMES.fastBurn, slo("latency")),
    ],
    ["SLOFastBurn{slo=availability}", [RECEIVERS.paging], labelsOf(ALERT_NAMES.fastBurn, slo("availability"))],
    [
      "SLOSlowBurn{slo=latency}",
      [RECEIVERS.responder, RECEIVERS.ticket],
      labelsOf(ALERT_NAMES.slowBurn, slo("latency")),
    ],
    [
      "ServiceProbeFailing{job=probe-readiness}",
      [RECEIVERS.responder, RECEIVERS.paging],
      labelsOf(ALERT_NAMES.probeFailing, probeJob(PROBE_JOBS.readiness)),
    ],
    [
      "ServiceProbeFailing{job=probe-e2e}",
      [RECEIVERS.paging],
      labelsOf(ALERT_NAMES.probeFailing, probeJob(PROBE_JOBS.endToEnd)),
    ],
    ["ServiceProbeSlow", [RECEIVERS.ticket], labelsOf(ALERT_NAMES.probeSlow)],
    ["Watchdog", [RECEIVERS.heartbeat], labelsOf(ALERT_NAMES.watchdog)],
    ["ResponderActionsFailing", [RECEIVERS.ticket], labelsOf(RESPONDER_ALERT_NAMES.actionsFailing)],
    ["ResponderDown", [RECEIVERS.ticket], labelsOf(RESPONDER_ALERT_NAMES.down)],
  ])("amtool config routes test with the rule's own labels: %s goes to %j", (_alert, receivers, labels) => {
    expectRoutedTo(receivers, labels);
  });

  test("an alert with a response does not go to its human receiver alone (the check sees the responder)", () => {
    const result = run("amtool", [
      "config",
      "routes",
      "test",
      `--config.file=${files.webhooks}`,
      `--verify.receivers=${RECEIVERS.ticket}`,
      ...labelsOf(ALERT_NAMES.crashLooping),
    ]);
    expect(result.status).not.toBe(0);
  });

  test("a wrong expected receiver makes amtool fail (the check can fail)", () => {
    const result = run("amtool", [
      "config",
      "routes",
      "test",
      `--config.file=${files.webhooks}`,
      "--verify.receivers=ticket",
      "severity=page",
    ]);
    expect(result.status).not.toBe(0);
  });
});
