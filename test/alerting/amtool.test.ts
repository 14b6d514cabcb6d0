import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { alertmanagerConfig, RECEIVERS } from "../../infra/alerting/alertmanager";
import { probeRuleGroup } from "../../infra/alerting/probe-rules";
import { ALERT_NAMES } from "../../infra/alerting/rules";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
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
    expect(config.receivers.map((r) => r.name)).toEqual(["null", "paging", "ticket", "heartbeat"]);
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

  /** amtool routes an alert with these labels to `receiver` (and verifies it). */
  const expectRoutedTo = (receiver: string, labels: string[]) => {
    const result = run("amtool", [
      "config",
      "routes",
      "test",
      `--config.file=${files.webhooks}`,
      `--verify.receivers=${receiver}`,
      ...labels,
    ]);
    expect(result.output.split("\n").map((l) => l.trim())).toContain(receiver);
    expect(result.status).toBe(0);
  };

  test.each([
    [RECEIVERS.paging, ["severity=page", `alertname=${ALERT_NAMES.fastBurn}`, "service=order", "slo=availability"]],
    [RECEIVERS.paging, ["severity=critical", `alertname=${ALERT_NAMES.targetDown}`, "service=user"]],
    [RECEIVERS.ticket, ["severity=ticket", `alertname=${ALERT_NAMES.slowBurn}`, "service=order", "slo=latency"]],
    [RECEIVERS.ticket, ["severity=warning", `alertname=${ALERT_NAMES.highLatency}`, "service=product"]],
    [RECEIVERS.heartbeat, [`alertname=${ALERT_NAMES.watchdog}`, "severity=none"]],
    [RECEIVERS.none, ["alertname=SomethingElse", "severity=info"]],
  ])("amtool config routes test: %s gets %j", (receiver, labels) => {
    expectRoutedTo(receiver, labels);
  });

  // The probe alerts with the labels their rules really carry: a failing probe pages, a slow one tickets.
  const prod = loadStackConfig("prod");
  const probeRules = probeRuleGroup(prod.probes, namespaces(prod)).rules;
  const labelsOf = (alert: string) => {
    const rule = probeRules.find((r) => r.alert === alert);
    return [
      `alertname=${alert}`,
      ...Object.entries(rule?.labels ?? {}).map(([k, v]) => `${k}=${v}`),
      "service=product",
    ];
  };
  test.each([
    [ALERT_NAMES.probeFailing, RECEIVERS.paging],
    [ALERT_NAMES.probeSlow, RECEIVERS.ticket],
  ])("amtool config routes test: %s goes to %s", (alert, receiver) => {
    expectRoutedTo(receiver, labelsOf(alert));
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
