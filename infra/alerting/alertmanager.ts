import { ALERT_LABELS, RESPONSE_ACTION_VALUES } from "../../contract";
import { SLO_LABEL } from "./names";
import { ALERT_NAMES, ALERT_SERVICE_LABEL } from "./rules";

/** Webhook targets; any of them may be absent (the receiver then exists but sends nothing). */
export interface AlertReceivers {
  pagingUrl?: string;
  ticketUrl?: string;
  heartbeatUrl?: string;
  /** Bearer token sent to every webhook. */
  bearerToken?: string;
  /** The alert responder: alerts that declare a response go to it as well as to the humans. */
  responder?: ResponderReceiver;
}

export interface ResponderReceiver {
  url: string;
  /** The responder's bearer token, inline (local runs) … */
  token?: string;
  /** … or a file Alertmanager reads it from (the token Secret mounted into its pods). */
  tokenFile?: string;
}

interface Timing {
  group_wait: string;
  group_interval: string;
  repeat_interval: string;
}

/**
 * Pages go out fast and repeat while unresolved; tickets batch for minutes and repeat daily; the
 * heartbeat repeats every minute so a dead-man's switch notices silence within minutes.
 */
export const DEFAULT_TIMINGS: Record<"page" | "ticket" | "heartbeat", Timing> = {
  page: { group_wait: "30s", group_interval: "5m", repeat_interval: "4h" },
  ticket: { group_wait: "5m", group_interval: "30m", repeat_interval: "24h" },
  heartbeat: { group_wait: "0s", group_interval: "1m", repeat_interval: "1m" },
};

/**
 * The responder hears of an alert soon after it fires, in its own notification per alert; repeats are
 * harmless (one action per firing) but show it that the alert still fires.
 */
export const RESPONDER_TIMING: Timing = { group_wait: "10s", group_interval: "1m", repeat_interval: "1h" };

export const RECEIVERS = {
  none: "null",
  paging: "paging",
  ticket: "ticket",
  heartbeat: "heartbeat",
  responder: "responder",
} as const;

/** Route matcher of the alerts that declare an automatic response. */
export const RESPONSE_MATCHER = `${ALERT_LABELS.response} =~ "${RESPONSE_ACTION_VALUES.join("|")}"`;

function receiver(name: string, url: string | undefined, token: string | undefined) {
  if (!url) return { name };
  return {
    name,
    webhook_configs: [
      {
        url,
        send_resolved: true,
        max_alerts: 50,
        ...(token ? { http_config: { authorization: { type: "Bearer", credentials: token } } } : {}),
      },
    ],
  };
}

function responderReceiver(responder: ResponderReceiver | undefined) {
  if (!responder) return { name: RECEIVERS.responder };
  const authorization = responder.tokenFile
    ? { type: "Bearer", credentials_file: responder.tokenFile }
    : { type: "Bearer", credentials: responder.token };
  return {
    name: RECEIVERS.responder,
    webhook_configs: [
      // every alert of the notification: the responder decides on each (max_alerts 0 = no limit)
      { url: responder.url, send_resolved: true, max_alerts: 0, http_config: { authorization } },
    ],
  };
}

/**
 * The whole Alertmanager configuration: routes by severity, receivers, inhibitions. Alerts that declare
 * an automatic response go to the responder first and then (`continue`) down the same routes as every
 * other alert: automation never hides a page.
 */
export function alertmanagerConfig(
  receivers: AlertReceivers,
  timings: typeof DEFAULT_TIMINGS & { responder?: Timing } = DEFAULT_TIMINGS,
): Record<string, unknown> {
  const { bearerToken: token } = receivers;
  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: RECEIVERS.none,
      group_by: ["alertname", ALERT_SERVICE_LABEL, "environment"],
      ...DEFAULT_TIMINGS.ticket,
      routes: [
        {
          matchers: [RESPONSE_MATCHER],
          receiver: RECEIVERS.responder,
          // one notification per alert and target: each is decided and audited on its own
          group_by: ["alertname", ALERT_LABELS.namespace, ALERT_SERVICE_LABEL, "job"],
          ...(timings.responder ?? RESPONDER_TIMING),
          continue: true,
        },
        { matchers: [`alertname = "${ALERT_NAMES.watchdog}"`], receiver: RECEIVERS.heartbeat, ...timings.heartbeat },
        { matchers: ['severity =~ "page|critical"'], receiver: RECEIVERS.paging, ...timings.page },
        { matchers: ['severity =~ "ticket|warning"'], receiver: RECEIVERS.ticket, ...timings.ticket },
      ],
    },
    receivers: [
      { name: RECEIVERS.none },
      receiver(RECEIVERS.paging, receivers.pagingUrl, token),
      receiver(RECEIVERS.ticket, receivers.ticketUrl, token),
      receiver(RECEIVERS.heartbeat, receivers.heartbeatUrl, token),
      responderReceiver(receivers.responder),
    ],
    inhibit_rules: [
      // A page already covers the same SLO's ticket (both fire at a 20x burn). SLO pages only: equal on absent
      // labels matches, so a page without an slo (the budget page) would silence every ticket without one.
      {
        source_matchers: ['severity = "page"', `${SLO_LABEL} =~ ".+"`],
        target_matchers: ['severity = "ticket"'],
        equal: [ALERT_SERVICE_LABEL, SLO_LABEL],
      },
      // The critical alert of a service covers its warnings; service alerts only (equal on absent labels matches all).
      {
        source_matchers: ['severity = "critical"', `${ALERT_SERVICE_LABEL} =~ ".+"`],
        target_matchers: ['severity = "warning"'],
        equal: [ALERT_SERVICE_LABEL],
      },
      // A service that cannot be scraped makes its SLO and latency alerts meaningless.
      {
        source_matchers: [`alertname = "${ALERT_NAMES.targetDown}"`],
        target_matchers: [`alertname =~ "${ALERT_NAMES.fastBurn}|${ALERT_NAMES.slowBurn}|${ALERT_NAMES.highLatency}"`],
        equal: [ALERT_SERVICE_LABEL],
      },
    ],
  };
}
