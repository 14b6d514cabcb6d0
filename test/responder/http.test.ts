import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { parseEnv } from "../../apps/lib/config";
import { createLogger } from "../../apps/lib/logger";
import { ServiceMetrics } from "../../apps/lib/metrics";
import { type BuiltService, buildService } from "../../apps/lib/service";
import { startTelemetry, type Telemetry } from "../../apps/lib/telemetry";
import { guardrailsOf, responderEnvSchema } from "../../apps/responder/config";
import { Responder, type ResponderParts } from "../../apps/responder/responder";
import { createResponderService } from "../../apps/responder/service";
import type {
  ActionResult,
  Alert,
  Decision,
  EffectWatcher,
  Executor,
  PlatformStatus,
} from "../../apps/responder/types";
import { RESPONDER_ENV as E, PATHS, RESPONDER_PATHS, type ResponderMode } from "../../contract";
import { playbookOf } from "../../infra/alerting/playbook";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { call, type Running, serve, waitFor } from "../support/http";

const TOKEN = "alertmanager-to-responder-token-0123456789";
const WRONG = "someone-elses-token-0123456789abcdef";
const config = loadStackConfig("dev");
const APPS = namespaces(config).apps;
const PLAYBOOK = playbookOf(ruleGroupsFor(config, namespaces(config)));

type Plan = Extract<Decision, { kind: "plan" }>;

/** Fakes of the parts that reach outside: they record every call and answer what the test says. */
class Fakes implements ResponderParts {
  readonly executions: { plan: Plan; mode: ResponderMode; alert: Alert }[] = [];
  readonly holdAsked: number[] = [];
  readonly watched: string[] = [];
  reverts = 0;
  hold: string | undefined = undefined;
  result: (mode: ResponderMode) => ActionResult | Promise<ActionResult> = (mode) => ({
    outcome: mode === "act" ? "acted" : "dry_run",
    detail: mode === "act" ? "restarted deployment/order" : "would restart deployment/order",
    attempts: 1,
  });

  readonly executor: Executor = {
    execute: async (plan, mode, alert) => {
      this.executions.push({ plan, mode, alert });
      return this.result(mode);
    },
    revertExpired: async () => {
      this.reverts++;
      return [];
    },
  };
  readonly status: PlatformStatus = {
    holdReason: async () => {
      this.holdAsked.push(Date.now());
      return this.hold;
    },
    alertState: async () => ({ firing: false }),
  };
  readonly watcher: EffectWatcher = {
    watch: async ({ target }) => {
      this.watched.push(target.deployment);
      return "effective";
    },
  };
}

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
beforeAll(() => {
  telemetry = startTelemetry("responder", {}, { spanProcessors: [new SimpleSpanProcessor({ exporter })] });
});
afterAll(() => telemetry.shutdown(1_000));

interface RunningResponder extends Running {
  fakes: Fakes;
  service: BuiltService;
  logs: Record<string, any>[];
  decisions(): Record<string, any>[];
  post(body: unknown, headers?: Record<string, string>): ReturnType<typeof call>;
}

const running: RunningResponder[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  exporter.reset();
});

/** The variables the deployer sets (the Prometheus URL is never called: the fakes answer for it). */
const baseEnv = (mode: ResponderMode) => ({
  [E.token]: TOKEN,
  [E.mode]: mode,
  [E.namespace]: APPS,
  [E.playbook]: JSON.stringify(PLAYBOOK),
  [E.holdQuery]: 'ALERTS{alertstate="firing"}',
  [E.prometheusUrl]: "http://127.0.0.1:9/",
  LOG_LEVEL: "debug",
});

async function startResponder(mode: ResponderMode = "act", fakes = new Fakes()): Promise<RunningResponder> {
  const logs: Record<string, any>[] = [];
  const env = {
    [E.token]: TOKEN,
    [E.mode]: mode,
    [E.namespace]: APPS,
    [E.playbook]: JSON.stringify(PLAYBOOK),
    [E.holdQuery]: 'ALERTS{alertstate="firing"}',
    [E.prometheusUrl]: "http://127.0.0.1:9/",
    LOG_LEVEL: "debug",
  };
  const service = buildService(
    createResponderService(() => fakes),
    env,
    {
      defaultMetrics: false,
      logSink: { write: (line: string) => logs.push(JSON.parse(line)) },
    },
  );
  const server = await serve(service.app);
  const responder: RunningResponder = {
    ...server,
    fakes,
    service,
    logs,
    decisions: () => logs.filter((l) => l.message === "decision"),
    post: (body, headers = { authorization: `Bearer ${TOKEN}` }) =>
      call(server.url + RESPONDER_PATHS.alerts, { method: "POST", body, headers }),
    close: async () => {
      service.close();
      await server.close();
    },
  };
  running.push(responder);
  await waitFor("the responder to be ready", async () =>
    (await call(server.url + PATHS.ready)).status === 200 ? true : undefined,
  );
  return responder;
}

const alert = (alertname: string, labels: Record<string, string>, fingerprint: string): Alert => ({
  status: "firing",
  labels: { alertname, namespace: APPS, ...labels },
  annotations: { summary: `${alertname} fires` },
  startsAt: "2025-06-03T09:41:07.512345678Z",
  endsAt: "0001-01-01T00:00:00Z",
  generatorURL: "http://prometheus:9090/graph?g0.expr=up",
  fingerprint,
});
const crashLoop = (service: string, fingerprint: string) =>
  alert("ServicePodCrashLooping", { service, response: "restart", severity: "warning" }, fingerprint);
const availabilityBurn = alert(
  "SLOFastBurn",
  { service: "user", slo: "availability", severity: "page" },
  "77aa77aa77aa77aa",
);

const notification = (alerts: Alert[]) => ({
  version: "4",
  groupKey: '{}/{response=~"restart|raise-max-replicas"}:{alertname="ServicePodCrashLooping"}',
  truncatedAlerts: 0,
  status: "firing",
  receiver: "responder",
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: "http://alertmanager:9093",
  alerts,
});
const TWO_RESTARTS = notification([crashLoop("order", "a1a1a1a1a1a1a1a1"), crashLoop("product", "b2b2b2b2b2b2b2b2")]);

const metricLine = async (url: string, name: string, labels: Record<string, string>) => {
  const text = (await call(url + PATHS.metrics)).body as string;
  return text
    .split("\n")
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
};

describe("POST /alerts: authentication and validation come before anything is done", () => {
  test("no token: 401 with a Bearer challenge; nothing decided, the executor never called", async () => {
    const r = await startResponder();
    const answer = await r.post(TWO_RESTARTS, {});
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="responder"');
    expect(r.fakes.executions).toHaveLength(0);
    expect(r.decisions()).toHaveLength(0);
  });

  test("a wrong token: 401 (not 403) with error=invalid_token; nothing decided, the executor never called", async () => {
    const r = await startResponder();
    const answer = await r.post(TWO_RESTARTS, { authorization: `Bearer ${WRONG}` });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="responder", error="invalid_token"');
    expect(answer.body).toEqual({ error: "invalid bearer token" });
    expect(r.fakes.executions).toHaveLength(0);
    expect(r.decisions()).toHaveLength(0);
  });

  test("a malformed notification: 400 naming the field; nothing decided, the executor never called", async () => {
    const r = await startResponder();
    const body = notification([{ ...crashLoop("order", "a1a1a1a1a1a1a1a1"), startsAt: "soon" }]);
    const answer = await r.post(body);
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual([{ field: "alerts.0.startsAt", message: "must be an RFC 3339 date-time" }]);
    expect(r.fakes.executions).toHaveLength(0);
    expect(r.decisions()).toHaveLength(0);
  });

  test("a body that is not JSON: 415; nothing decided", async () => {
    const r = await startResponder();
    const answer = await call(r.url + RESPONDER_PATHS.alerts, {
      method: "POST",
      body: "alertname=ServicePodCrashLooping",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "text/plain" },
    });
    expect(answer.status).toBe(415);
    expect(r.decisions()).toHaveLength(0);
  });

  test("a notification over the services' 16kb is accepted (the route allows 1mb); over 1mb is 413 naming 1mb", async () => {
    const r = await startResponder("dry-run");
    const many = Array.from({ length: 80 }, (_, i) => ({
      ...availabilityBurn,
      fingerprint: `f${i.toString(16).padStart(15, "0")}`,
      annotations: { description: "x".repeat(200) },
    }));
    const big = notification(many);
    expect(JSON.stringify(big).length).toBeGreaterThan(16 * 1024);
    const accepted = await r.post(big);
    expect(accepted.status).toBe(202);
    expect(accepted.body.decisions).toHaveLength(80);
    const tooBig = notification([{ ...availabilityBurn, annotations: { description: "x".repeat(1_100_000) } }]);
    const refused = await r.post(tooBig);
    expect(refused).toMatchObject({ status: 413, body: { error: "request body larger than 1mb" } });
  });
});

describe("POST /alerts: decisions", () => {
  test("a valid notification: 202 with one decision per alert, the executor called once per plan", async () => {
    const r = await startResponder("act");
    const answer = await r.post(notification([...TWO_RESTARTS.alerts, availabilityBurn]));
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      decisions: [
        { alertname: "ServicePodCrashLooping", fingerprint: "a1a1a1a1a1a1a1a1", action: "restart", outcome: "planned" },
        { alertname: "ServicePodCrashLooping", fingerprint: "b2b2b2b2b2b2b2b2", action: "restart", outcome: "planned" },
        {
          alertname: "SLOFastBurn",
          fingerprint: "77aa77aa77aa77aa",
          action: "none",
          outcome: "no_playbook",
          reason: "the alert has no response label",
        },
      ],
    });
    await waitFor("both actions", async () => (r.decisions().length === 3 ? true : undefined));
    expect(r.fakes.executions.map((e) => [e.plan.target.deployment, e.mode])).toEqual([
      ["order", "act"],
      ["product", "act"],
    ]);
  });

  test("a repeated notification of the same firings: outcome duplicate, no second call to the executor", async () => {
    const r = await startResponder("act");
    await r.post(TWO_RESTARTS);
    await waitFor("both actions", async () => (r.decisions().length === 2 ? true : undefined));
    const again = await r.post(TWO_RESTARTS);
    expect(again.status).toBe(202);
    expect(again.body.decisions.map((d: { outcome: string }) => d.outcome)).toEqual(["duplicate", "duplicate"]);
    expect(r.fakes.executions).toHaveLength(2);
  });

  test("the same notification arriving while its actions still run is a duplicate too", async () => {
    const fakes = new Fakes();
    let finish: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    fakes.result = async () => {
      await gate;
      return { outcome: "acted", detail: "restarted", attempts: 1 };
    };
    const r = await startResponder("act", fakes);
    await r.post(TWO_RESTARTS);
    const again = await r.post(TWO_RESTARTS);
    finish();
    expect(again.body.decisions.map((d: { outcome: string }) => d.outcome)).toEqual(["duplicate", "duplicate"]);
    await waitFor("both actions", async () => (r.decisions().length === 4 ? true : undefined));
    expect(fakes.executions).toHaveLength(2);
  });

  test("dry-run: the executor is called with mode dry-run; outcome dry_run is logged and counted in /metrics", async () => {
    const r = await startResponder("dry-run");
    await r.post(notification([crashLoop("order", "a1a1a1a1a1a1a1a1")]));
    await waitFor("the dry run", async () => (r.decisions().length === 1 ? true : undefined));
    expect(r.fakes.executions.map((e) => e.mode)).toEqual(["dry-run"]);
    expect(r.decisions()[0]).toMatchObject({
      outcome: "dry_run",
      mode: "dry-run",
      detail: "would restart deployment/order",
    });
    const line = await metricLine(r.url, "responder_decisions_total", {
      alertname: "ServicePodCrashLooping",
      action: "restart",
      outcome: "dry_run",
    });
    expect(line).toMatch(/ 1$/);
    expect(r.fakes.watched).toEqual([]); // nothing changed, nothing to judge
  });

  test("an alert outside the playbook is counted under alertname other: label values never come from free text", async () => {
    const r = await startResponder("act");
    await r.post(
      notification([alert("Made-Up Alert 42", { service: "order", response: "restart" }, "d4d4d4d4d4d4d4d4")]),
    );
    const line = await metricLine(r.url, "responder_decisions_total", { outcome: "no_playbook" });
    expect(line).toContain('alertname="other"');
    expect(r.decisions()[0]).toMatchObject({ alertname: "Made-Up Alert 42", outcome: "no_playbook" });
  });

  test("mode off: every alert is decided off, logged and counted; the executor acts on none (it still reverts its own expired raises)", async () => {
    const r = await startResponder("off");
    const answer = await r.post(TWO_RESTARTS);
    expect(answer.body.decisions.map((d: { outcome: string }) => d.outcome)).toEqual(["off", "off"]);
    expect(r.decisions().map((d) => d.outcome)).toEqual(["off", "off"]);
    expect(r.fakes.executions).toHaveLength(0);
    expect(r.fakes.reverts).toBe(1);
    expect(r.logs.some((l) => l.message === "responder started in mode off: it decides nothing")).toBe(true);
  });

  test("a hold is asked for once per notification, and holds every action of it", async () => {
    const fakes = new Fakes();
    fakes.hold = "PrometheusRuleFailures firing";
    const r = await startResponder("act", fakes);
    const answer = await r.post(TWO_RESTARTS);
    expect(answer.body.decisions).toEqual([
      expect.objectContaining({ outcome: "held", reason: "held: PrometheusRuleFailures firing" }),
      expect.objectContaining({ outcome: "held", reason: "held: PrometheusRuleFailures firing" }),
    ]);
    expect(fakes.holdAsked).toHaveLength(1);
    expect(fakes.executions).toHaveLength(0);
  });

  test("the hold is not asked for when no alert of the notification gets that far", async () => {
    const r = await startResponder("act");
    await r.post(notification([availabilityBurn, { ...crashLoop("order", "a1a1a1a1a1a1a1a1"), status: "resolved" }]));
    expect(r.fakes.holdAsked).toHaveLength(0);
  });

  test("a hold check that throws holds (fail safe), and the process goes on answering", async () => {
    const fakes = new Fakes();
    fakes.status.holdReason = async () => {
      throw new Error("connect ECONNREFUSED");
    };
    const r = await startResponder("act", fakes);
    const answer = await r.post(TWO_RESTARTS);
    expect(answer.body.decisions[0]).toMatchObject({
      outcome: "held",
      reason: "held: cannot check platform health: connect ECONNREFUSED",
    });
    expect(fakes.executions).toHaveLength(0);
    expect((await call(r.url + PATHS.health)).status).toBe(200);
  });

  test("an executor that throws: the decision is failed (logged at error, counted), its span ERROR, the process fine", async () => {
    const fakes = new Fakes();
    fakes.result = () => {
      throw new Error("socket hang up");
    };
    const r = await startResponder("act", fakes);
    await r.post(notification([crashLoop("order", "a1a1a1a1a1a1a1a1")]));
    await waitFor("the failure", async () => (r.decisions().length === 1 ? true : undefined));
    expect(r.decisions()[0]).toMatchObject({
      level: "error",
      outcome: "failed",
      detail: "executor error: socket hang up",
      attempts: 0,
    });
    expect(await metricLine(r.url, "responder_decisions_total", { outcome: "failed" })).toMatch(/ 1$/);
    const span = exporter.getFinishedSpans().find((s) => s.name === "responder restart");
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: "executor error: socket hang up" });
    expect((await r.post(notification([crashLoop("user", "c3c3c3c3c3c3c3c3")]))).status).toBe(202);
  });

  test("an acted plan: a span 'responder <action>' with alert, service and outcome; the effect judged and counted", async () => {
    const r = await startResponder("act");
    await r.post(notification([crashLoop("order", "a1a1a1a1a1a1a1a1")]));
    await waitFor("the effect", async () => (r.logs.some((l) => l.message === "action effect") ? true : undefined));
    const span = exporter.getFinishedSpans().find((s) => s.name === "responder restart");
    expect(span?.attributes).toMatchObject({
      "responder.alert": "ServicePodCrashLooping",
      "responder.service": "order",
      "responder.outcome": "acted",
    });
    expect(span?.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(r.fakes.watched).toEqual(["order"]);
    const effect = await metricLine(r.url, "responder_action_effective_total", {
      action: "restart",
      outcome: "effective",
    });
    expect(effect).toMatch(/ 1$/);
    const duration = await metricLine(r.url, "responder_action_duration_seconds_count", {
      action: "restart",
      outcome: "acted",
    });
    expect(duration).toMatch(/ 1$/);
  });

  test("expired raises are reverted once at start", async () => {
    const r = await startResponder("act");
    expect(r.fakes.reverts).toBe(1);
  });
});

describe("the audit log", () => {
  test("one line per decision with the alert, target, action, mode and outcome; the token nowhere in the logs", async () => {
    const r = await startResponder("act");
    await r.post(TWO_RESTARTS, { authorization: `Bearer ${WRONG}` });
    await r.post(notification([...TWO_RESTARTS.alerts, availabilityBurn]));
    await waitFor("three decisions", async () => (r.decisions().length === 3 ? true : undefined));
    const byFingerprint = Object.fromEntries(r.decisions().map((d) => [d.fingerprint, d]));
    expect(byFingerprint.a1a1a1a1a1a1a1a1).toMatchObject({
      level: "warn",
      message: "decision",
      service_name: "responder",
      alertname: "ServicePodCrashLooping",
      fingerprint: "a1a1a1a1a1a1a1a1",
      starts_at: "2025-06-03T09:41:07.512345678Z",
      service: "order",
      target: `${APPS}/order`,
      action: "restart",
      mode: "act",
      outcome: "acted",
      detail: "restarted deployment/order",
      attempts: 1,
    });
    expect(byFingerprint["77aa77aa77aa77aa"]).toMatchObject({
      level: "info",
      alertname: "SLOFastBurn",
      service: "user",
      action: "none",
      mode: "act",
      outcome: "no_playbook",
      reason: "the alert has no response label",
    });
    const everything = JSON.stringify(r.logs);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(WRONG);
  });
});

describe("health, readiness and metrics", () => {
  test("/healthz, /readyz and /metrics answer; readiness reports the started check", async () => {
    const r = await startResponder("dry-run");
    expect(await call(r.url + PATHS.health)).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await call(r.url + PATHS.ready)).toMatchObject({ status: 200, body: { checks: { started: true } } });
    const metrics = await call(r.url + PATHS.metrics);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain("# TYPE responder_decisions_total counter");
    expect(metrics.body).toContain("# TYPE responder_action_duration_seconds histogram");
  });

  test("parts that fail to build: not ready, and /alerts answers 503 so Alertmanager retries", async () => {
    const logs: Record<string, any>[] = [];
    const service = buildService(
      createResponderService(() => {
        throw new Error("no service account token");
      }),
      baseEnv("act"),
      { defaultMetrics: false, logSink: { write: (line: string) => logs.push(JSON.parse(line)) } },
    );
    const server = await serve(service.app);
    try {
      expect(await call(server.url + PATHS.ready)).toMatchObject({ status: 503, body: { checks: { started: false } } });
      const answer = await call(server.url + RESPONDER_PATHS.alerts, {
        method: "POST",
        body: TWO_RESTARTS,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(answer.status).toBe(503);
      expect(logs.find((l) => l.message === "responder failed to start")).toMatchObject({
        error: "no service account token",
      });
    } finally {
      service.close();
      await server.close();
    }
  });
});

describe("reverting expired raises", () => {
  afterEach(() => jest.useRealTimers());

  test("every interval after the one at start, each revert logged, and no more after close", async () => {
    jest.useFakeTimers();
    const fakes = new Fakes();
    const target = { namespace: APPS, service: "order" as const, deployment: "order" };
    fakes.executor.revertExpired = async () => {
      fakes.reverts++;
      return [{ target, detail: "maxReplicas 12 → 10 (raise expired)" }];
    };
    const lines: string[] = [];
    const { logger, flush } = createLogger({
      service: "responder",
      level: "info",
      sink: { write: (l) => lines.push(l) },
    });
    const responder = new Responder({
      guardrails: guardrailsOf(parseEnv(responderEnvSchema, baseEnv("act"))),
      parts: fakes,
      logger,
      metrics: new ServiceMetrics("responder", { defaultMetrics: false }),
      revertEveryMs: 60_000,
    });
    responder.start();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(fakes.reverts).toBe(3);
    responder.close();
    await jest.advanceTimersByTimeAsync(600_000);
    expect(fakes.reverts).toBe(3);
    flush();
    const reverted = lines.map((l) => JSON.parse(l)).filter((l) => l.message === "raise reverted");
    expect(reverted).toHaveLength(3);
    expect(reverted[0]).toMatchObject({ target: `${APPS}/order`, detail: "maxReplicas 12 → 10 (raise expired)" });
  });
});
