/**
 * The executor against a fake Kubernetes API server over real HTTP, through @kubernetes/client-node: the
 * exact requests each action sends, its preconditions, and what it does when the API fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deploymentObject, FakeKubeApi, hpaObject, type RecordedRequest } from "../../apps/demo/kube-api-stand-in";
import { createLogger } from "../../apps/lib/logger";
import {
  createExecutor,
  EVENT_REASONS,
  parseRaise,
  raisedCeiling,
  rfc3339Seconds,
  rolloutInProgress,
} from "../../apps/responder/actions";
import { connectKube, type Deployment, KubeError } from "../../apps/responder/kube";
import type { Alert, Decision, Executor, Guardrails, Target } from "../../apps/responder/types";
import {
  RAISE_ANNOTATION,
  RESPONDER_EVENT_SOURCE,
  RESPONSE_ACTIONS,
  RESTARTED_AT_ANNOTATION,
  type ResponderMode,
  type ResponseAction,
  SERVICE_NAME_LABEL,
} from "../../contract";
import { blackHole } from "../support/http";

const NS = "apps";
const TOKEN = "service-account-token-1";
const TARGET: Target = { namespace: NS, service: "order", deployment: "order" };
const DEPLOYMENT_PATH = `/apis/apps/v1/namespaces/${NS}/deployments/order`;
const HPA_PATH = `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/order`;
const EVENTS_PATH = `/api/v1/namespaces/${NS}/events`;
const HOUR = 3_600_000;

type Plan = Extract<Decision, { kind: "plan" }>;

interface Rig {
  api: FakeKubeApi;
  executor: Executor;
  tokenFile: string;
  /** Backoff waits the executor asked for. */
  waits: number[];
  logs: Record<string, unknown>[];
  gauge: number[];
  clock: { now: Date };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function guardrails(overrides: Partial<Guardrails> = {}): Guardrails {
  return {
    mode: "act",
    namespace: NS,
    playbook: [],
    cooldownMs: 600_000,
    maxActionsPerHour: 6,
    retries: 3,
    retryBackoffMs: 100,
    verifyWindowMs: 600_000,
    verifyIntervalMs: 30_000,
    raise: { step: 2, cap: 20, durationMs: 2 * HOUR },
    ...overrides,
  };
}

async function rig(options: { guardrails?: Partial<Guardrails>; fixedNow?: Date } = {}): Promise<Rig> {
  const api = new FakeKubeApi(NS, TOKEN);
  const url = await api.start();
  const dir = mkdtempSync(join(tmpdir(), "responder-kube-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, TOKEN);
  cleanups.push(
    () => api.stop(),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const logs: Record<string, unknown>[] = [];
  const { logger } = createLogger({
    service: "responder",
    level: "debug",
    sink: { write: (line: string) => logs.push(JSON.parse(line)) },
  });
  const waits: number[] = [];
  const gauge: number[] = [];
  const clock = { now: options.fixedNow ?? new Date() };
  const executor = await createExecutor({
    guardrails: guardrails(options.guardrails),
    kube: connectKube({ KUBERNETES_API_URL: url, KUBERNETES_TOKEN_FILE: tokenFile }),
    logger,
    temporaryRaises: { set: (value) => gauge.push(value) },
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...(options.fixedNow ? { now: () => clock.now } : {}),
  });
  return { api, executor, tokenFile, waits, logs, gauge, clock };
}

function plan(action: ResponseAction): Plan {
  return {
    kind: "plan",
    action,
    target: TARGET,
    entry: { alert: "ServicePodCrashLooping", action, description: "restart it", severity: "page", runbook: "" },
  };
}

function alert(alertname = "ServicePodCrashLooping"): Alert {
  return {
    status: "firing",
    labels: { alertname, service: "order", namespace: NS },
    annotations: {},
    startsAt: "2026-01-01T00:00:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "",
    fingerprint: "0123456789abcdef",
  };
}

const restart = (r: Rig, mode: ResponderMode = "act") =>
  r.executor.execute(plan(RESPONSE_ACTIONS.restart), mode, alert());
const raise = (r: Rig, mode: ResponderMode = "act") =>
  r.executor.execute(plan(RESPONSE_ACTIONS.raiseMaxReplicas), mode, alert("SLOFastBurn"));
/** The JSON body of a request that must have been sent. */
function bodyOf(req: RecordedRequest | undefined): any {
  if (!req) throw new Error("the request was not sent");
  return req.body;
}
const requestLine = (r: Rig) => r.api.requests.map((q) => `${q.method} ${q.path}`);
function annotationsOf(object: Record<string, unknown> | undefined): Record<string, string> {
  if (!object) throw new Error("the object is not in the fake API server");
  return (object.metadata as { annotations?: Record<string, string> }).annotations ?? {};
}

describe("restart", () => {
  test("sends exactly kubectl rollout restart's PATCH: strategic merge, only restartedAt (RFC 3339 seconds, now), the service-account token", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order", { replicas: 3 }));
    const before = Math.floor(Date.now() / 1000) * 1000;
    const result = await restart(r);
    const after = Date.now();

    expect(result.outcome).toBe("acted");
    const patches = r.api.requests.filter((q) => q.method === "PATCH");
    expect(patches).toHaveLength(1);
    const [patch] = patches;
    expect(patch?.path).toBe(DEPLOYMENT_PATH);
    expect(patch?.contentType).toBe("application/strategic-merge-patch+json");
    expect(patch?.body).toEqual({
      spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: expect.any(String) } } } },
    });
    const at = bodyOf(patch).spec.template.metadata.annotations[RESTARTED_AT_ANNOTATION] as string;
    expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(at)).toBeLessThanOrEqual(after);
    expect(r.api.requests.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // The fake applied it as the API server would: the template changed, so a new generation.
    const stored = r.api.get("deployments", "order") as any;
    expect(stored.spec.template.metadata.annotations[RESTARTED_AT_ANNOTATION]).toBe(at);
    expect(stored.metadata.generation).toBe(2);
  });

  test("reads the Deployment and lists the service's Deployments by label before it patches, then records the Event", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order"));
    const result = await restart(r);
    expect(requestLine(r)).toEqual([
      `GET ${DEPLOYMENT_PATH}`,
      `GET /apis/apps/v1/namespaces/${NS}/deployments`,
      `PATCH ${DEPLOYMENT_PATH}`,
      `POST ${EVENTS_PATH}`,
    ]);
    expect(r.api.requests[1]?.query).toEqual({ labelSelector: `${SERVICE_NAME_LABEL}=order` });
    expect(result.attempts).toBe(r.api.requests.length);
  });

  test("creates a core/v1 Event on the Deployment: involvedObject with its uid, reason, source.component, a kubelet-style name", async () => {
    const r = await rig();
    const deployment = r.api.put("deployments", deploymentObject("order"));
    await restart(r);
    const post = r.api.requests.find((q) => q.method === "POST");
    expect(post?.path).toBe(EVENTS_PATH);
    const event = bodyOf(post);
    expect(event.involvedObject).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "order",
      namespace: NS,
      uid: (deployment.metadata as { uid: string }).uid,
    });
    expect(event).toMatchObject({
      reason: EVENT_REASONS.restart,
      type: "Normal",
      count: 1,
      source: { component: RESPONDER_EVENT_SOURCE },
      reportingComponent: RESPONDER_EVENT_SOURCE,
      metadata: { namespace: NS },
    });
    expect(event.metadata.name).toMatch(/^order\.[0-9a-f]{16}$/);
    expect(event.message).toContain("ServicePodCrashLooping (0123456789abcdef)");
    expect(Number.isNaN(Date.parse(event.firstTimestamp))).toBe(false);
    expect(event.lastTimestamp).toBe(event.firstTimestamp);
    expect(r.api.list("events")).toHaveLength(1);
  });

  const preconditions: [string, (api: FakeKubeApi) => void, string, string][] = [
    [
      "a paused Deployment",
      (api) => api.put("deployments", deploymentObject("order", { paused: true })),
      "paused",
      "paused",
    ],
    [
      "its rollout not yet observed (observedGeneration < generation)",
      (api) => api.put("deployments", deploymentObject("order", { generation: 4, status: { observedGeneration: 3 } })),
      "rollout_in_progress",
      "observedGeneration 3 < generation 4",
    ],
    [
      "its rollout not yet done (updatedReplicas < spec.replicas)",
      (api) => api.put("deployments", deploymentObject("order", { replicas: 3, status: { updatedReplicas: 1 } })),
      "rollout_in_progress",
      "1 of 3 replicas updated",
    ],
    [
      "another Deployment of the service mid-rollout",
      (api) => {
        api.put("deployments", deploymentObject("order"));
        api.put(
          "deployments",
          deploymentObject("order-canary", {
            labels: { [SERVICE_NAME_LABEL]: "order" },
            generation: 2,
            status: { observedGeneration: 1 },
          }),
        );
      },
      "rollout_in_progress",
      "another Deployment of order: rollout of deployment/order-canary",
    ],
    [
      "no pods (status.replicas 0)",
      (api) => api.put("deployments", deploymentObject("order", { replicas: 0 })),
      "no_pods",
      "no pods",
    ],
    ["no Deployment (404)", () => undefined, "not_found", "deployment/order not found"],
  ];
  test.each(preconditions)("%s → its outcome, and no PATCH or POST", async (_name, seed, outcome, detail) => {
    const r = await rig();
    seed(r.api);
    const result = await restart(r);
    expect(result.outcome).toBe(outcome);
    expect(result.detail).toContain(detail);
    expect(r.api.writes()).toEqual([]);
  });

  test("a Deployment of another service mid-rollout does not hold the restart (the list is by the service's label)", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order"));
    r.api.put("deployments", deploymentObject("user", { generation: 2, status: { observedGeneration: 1 } }));
    expect((await restart(r)).outcome).toBe("acted");
  });

  test("dry-run reads (GET only), sends no PATCH or POST, and says what it would do", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order", { replicas: 3 }));
    const result = await restart(r, "dry-run");
    expect(result).toMatchObject({ outcome: "dry_run", detail: "would restart deployment/order (3 pods)" });
    expect(r.api.requests.length).toBeGreaterThan(0);
    expect(r.api.requests.every((q) => q.method === "GET")).toBe(true);
  });
});

describe("raise-max-replicas", () => {
  test("an HPA at its ceiling gets one merge PATCH: maxReplicas + step and the raise annotation (from, to, reason, alert, expires)", async () => {
    const r = await rig();
    r.api.put("horizontalpodautoscalers", hpaObject("order", { max: 10, current: 10 }));
    const before = Date.now();
    const result = await raise(r);
    const after = Date.now();

    expect(result.outcome).toBe("acted");
    const patches = r.api.requests.filter((q) => q.method === "PATCH");
    expect(patches).toHaveLength(1);
    expect(patches[0]?.path).toBe(HPA_PATH);
    expect(patches[0]?.contentType).toBe("application/merge-patch+json");
    const body = bodyOf(patches[0]);
    expect(body).toEqual({
      metadata: { annotations: { [RAISE_ANNOTATION]: expect.any(String) } },
      spec: { maxReplicas: 12 },
    });
    const record = JSON.parse(body.metadata.annotations[RAISE_ANNOTATION]);
    expect(record).toMatchObject({ field: "maxReplicas", from: 10, to: 12, alert: "0123456789abcdef" });
    expect(record.reason).toContain("SLOFastBurn");
    const expires = Date.parse(record.expires);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 2 * HOUR);
    expect(expires).toBeLessThanOrEqual(after + 2 * HOUR);
    expect(result.detail).toBe(`maxReplicas 10 → 12 until ${record.expires}`);
    expect((r.api.get("horizontalpodautoscalers", "order") as any).spec.maxReplicas).toBe(12);
  });

  test("the raise's Event is on the HPA (kind, apiVersion, uid) with reason ResponderRaise", async () => {
    const r = await rig();
    const hpa = r.api.put("horizontalpodautoscalers", hpaObject("order", { max: 10, current: 10 }));
    await raise(r);
    const event = bodyOf(r.api.requests.find((q) => q.method === "POST"));
    expect(event.involvedObject).toEqual({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      name: "order",
      namespace: NS,
      uid: (hpa.metadata as { uid: string }).uid,
    });
    expect(event.reason).toBe(EVENT_REASONS.raise);
    expect(event.message).toContain("maxReplicas 10 → 12");
  });

  test("raising an already-raised HPA keeps the original `from`, the cap is never passed, and at the cap nothing is patched", async () => {
    const r = await rig({ guardrails: { raise: { step: 2, cap: 13, durationMs: HOUR } } });
    r.api.put("horizontalpodautoscalers", hpaObject("order", { max: 10, current: 10 }));
    expect((await raise(r)).outcome).toBe("acted");

    // The HPA scaled up to its new ceiling and the burn goes on.
    (r.api.get("horizontalpodautoscalers", "order") as any).status.currentReplicas = 12;
    const second = await raise(r);
    expect(second).toMatchObject({ outcome: "acted", detail: expect.stringContaining("maxReplicas 12 → 13") });
    const hpa = r.api.get("horizontalpodautoscalers", "order");
    expect((hpa as any).spec.maxReplicas).toBe(13);
    expect(JSON.parse(annotationsOf(hpa)[RAISE_ANNOTATION] ?? "")).toMatchObject({ from: 10, to: 13 });

    (hpa as any).status.currentReplicas = 13;
    const patchesBefore = r.api.requests.filter((q) => q.method === "PATCH").length;
    const third = await raise(r);
    expect(third).toMatchObject({ outcome: "at_cap", detail: "maxReplicas 13 is at the cap 13" });
    expect(r.api.requests.filter((q) => q.method === "PATCH")).toHaveLength(patchesBefore);
  });

  test("an HPA below its ceiling → not_at_ceiling, no PATCH", async () => {
    const r = await rig();
    r.api.put("horizontalpodautoscalers", hpaObject("order", { max: 10, current: 7 }));
    const result = await raise(r);
    expect(result).toMatchObject({ outcome: "not_at_ceiling", detail: "7 of maxReplicas 10 in use" });
    expect(r.api.writes()).toEqual([]);
  });

  test("without an HPA: annotates the Deployment (field replicas) and PATCHes its /scale subresource", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order", { replicas: 2 }));
    const result = await raise(r);
    expect(result.outcome).toBe("acted");
    const writes = r.api.writes();
    expect(writes.map((q) => `${q.method} ${q.path}`)).toEqual([
      `PATCH ${DEPLOYMENT_PATH}`,
      `PATCH ${DEPLOYMENT_PATH}/scale`,
      `POST ${EVENTS_PATH}`,
    ]);
    expect(writes[0]?.contentType).toBe("application/merge-patch+json");
    const record = JSON.parse(bodyOf(writes[0]).metadata.annotations[RAISE_ANNOTATION]);
    expect(record).toMatchObject({ field: "replicas", from: 2, to: 4 });
    expect(writes[1]).toMatchObject({ contentType: "application/merge-patch+json", body: { spec: { replicas: 4 } } });
    expect((r.api.get("deployments", "order") as any).spec.replicas).toBe(4);
    expect(bodyOf(writes[2]).involvedObject.kind).toBe("Deployment");
  });

  test("neither an HPA nor a Deployment → not_found, no PATCH", async () => {
    const r = await rig();
    expect((await raise(r)).outcome).toBe("not_found");
    expect(r.api.writes()).toEqual([]);
  });

  test("dry-run reads the HPA (GET only) and says what it would raise, until when", async () => {
    const r = await rig();
    r.api.put("horizontalpodautoscalers", hpaObject("order", { max: 10, current: 10 }));
    const result = await raise(r, "dry-run");
    expect(result.outcome).toBe("dry_run");
    expect(result.detail).toMatch(/^would raise maxReplicas 10 → 12 until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(r.api.requests.every((q) => q.method === "GET")).toBe(true);
  });

  test("dry-run without an HPA reads the Deployment (GET only) and patches nothing", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order", { replicas: 2 }));
    const result = await raise(r, "dry-run");
    expect(result.detail).toContain("would raise replicas 2 → 4");
    expect(r.api.requests.every((q) => q.method === "GET")).toBe(true);
  });
});

describe("revertExpired", () => {
  const expired = (from: number, to: number, field = "maxReplicas") =>
    JSON.stringify({ field, from, to, reason: "SLOFastBurn", alert: "f", expires: "2026-01-01T00:00:00Z" });
  const now = new Date("2026-01-01T00:00:01Z");

  test("an expired HPA raise: one merge PATCH puts `from` back and removes the annotation (null); the Event says reverted", async () => {
    const r = await rig();
    r.api.put(
      "horizontalpodautoscalers",
      hpaObject("order", { max: 12, current: 12, annotations: { [RAISE_ANNOTATION]: expired(10, 12) } }),
    );
    const reverted = await r.executor.revertExpired(now);
    expect(reverted).toEqual([{ target: TARGET, detail: expect.stringContaining("maxReplicas 12 → 10") }]);
    const patch = r.api.requests.find((q) => q.method === "PATCH");
    expect(patch).toMatchObject({
      path: HPA_PATH,
      contentType: "application/merge-patch+json",
      body: { metadata: { annotations: { [RAISE_ANNOTATION]: null } }, spec: { maxReplicas: 10 } },
    });
    const hpa = r.api.get("horizontalpodautoscalers", "order");
    expect((hpa as any).spec.maxReplicas).toBe(10);
    expect(annotationsOf(hpa)).not.toHaveProperty([RAISE_ANNOTATION]);
    expect(bodyOf(r.api.requests.find((q) => q.method === "POST")).reason).toBe(EVENT_REASONS.reverted);
  });

  test("an expired raise of a Deployment without HPA: /scale back to `from`, then the annotation removed", async () => {
    const r = await rig();
    const d = deploymentObject("product", { replicas: 4 });
    (d.metadata as any).annotations = { [RAISE_ANNOTATION]: expired(2, 4, "replicas") };
    r.api.put("deployments", d);
    const reverted = await r.executor.revertExpired(now);
    expect(reverted.map((x) => x.target.service)).toEqual(["product"]);
    expect(r.api.writes().map((q) => [q.path, q.body])).toEqual([
      [`/apis/apps/v1/namespaces/${NS}/deployments/product/scale`, { spec: { replicas: 2 } }],
      [
        `/apis/apps/v1/namespaces/${NS}/deployments/product`,
        { metadata: { annotations: { [RAISE_ANNOTATION]: null } } },
      ],
      [EVENTS_PATH, expect.objectContaining({ reason: EVENT_REASONS.reverted })],
    ]);
  });

  test("a raise not yet expired is left alone and counted in force; the gauge gets the count", async () => {
    const r = await rig();
    const live = JSON.stringify({
      field: "maxReplicas",
      from: 10,
      to: 12,
      reason: "",
      alert: "f",
      expires: "2026-01-01T01:00:00Z",
    });
    r.api.put(
      "horizontalpodautoscalers",
      hpaObject("order", { max: 12, current: 12, annotations: { [RAISE_ANNOTATION]: live } }),
    );
    r.api.put(
      "horizontalpodautoscalers",
      hpaObject("user", { max: 12, current: 12, annotations: { [RAISE_ANNOTATION]: expired(10, 12) } }),
    );
    const reverted = await r.executor.revertExpired(now);
    expect(reverted.map((x) => x.target.service)).toEqual(["user"]);
    expect((r.api.get("horizontalpodautoscalers", "order") as any).spec.maxReplicas).toBe(12);
    expect(r.gauge.at(-1)).toBe(1);
  });

  test("a value changed since the raise (not `to` any more) is kept; only the annotation goes", async () => {
    const r = await rig();
    r.api.put(
      "horizontalpodautoscalers",
      hpaObject("order", { max: 15, current: 12, annotations: { [RAISE_ANNOTATION]: expired(10, 12) } }),
    );
    const [done] = await r.executor.revertExpired(now);
    expect(done?.detail).toContain("left at 15");
    const patch = r.api.requests.find((q) => q.method === "PATCH");
    expect(patch?.body).toEqual({ metadata: { annotations: { [RAISE_ANNOTATION]: null } } });
    expect((r.api.get("horizontalpodautoscalers", "order") as any).spec.maxReplicas).toBe(15);
  });

  test("a raise made by the executor is reverted once its duration is over, and not before", async () => {
    const r = await rig({ fixedNow: new Date("2026-03-01T12:00:00Z") });
    r.api.put("horizontalpodautoscalers", hpaObject("order", { max: 10, current: 10 }));
    await raise(r);
    expect(r.gauge.at(-1)).toBe(1);
    expect(await r.executor.revertExpired(new Date("2026-03-01T13:59:59Z"))).toEqual([]);
    expect(await r.executor.revertExpired(new Date("2026-03-01T14:00:00Z"))).toHaveLength(1);
    expect((r.api.get("horizontalpodautoscalers", "order") as any).spec.maxReplicas).toBe(10);
    expect(r.gauge.at(-1)).toBe(0);
  });

  test("an unreadable annotation is left alone with a warning, not reverted", async () => {
    const r = await rig();
    r.api.put(
      "horizontalpodautoscalers",
      hpaObject("order", { max: 12, current: 12, annotations: { [RAISE_ANNOTATION]: "{oops" } }),
    );
    expect(await r.executor.revertExpired(now)).toEqual([]);
    expect(r.api.writes()).toEqual([]);
    expect(r.logs.some((l) => l.message === "raise annotation left alone" && l.name === "order")).toBe(true);
  });
});

describe("API errors", () => {
  test("500 twice then 200 on the PATCH → acted; the PATCH sent 3 times after waits of backoff, 2× backoff", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order"));
    r.api.fail({ method: "PATCH", status: 500, times: 2 });
    const result = await restart(r);
    expect(result.outcome).toBe("acted");
    expect(r.api.requests.filter((q) => q.method === "PATCH")).toHaveLength(3);
    expect(r.waits).toEqual([100, 200]);
    expect(result.attempts).toBe(r.api.requests.length);
  });

  test("500 on every PATCH → failed after 1 + retries PATCHes, naming status and reason; resolves, never throws", async () => {
    const r = await rig({ guardrails: { retries: 2 } });
    r.api.put("deployments", deploymentObject("order"));
    r.api.fail({ method: "PATCH", status: 500, times: 100 });
    const result = await restart(r);
    expect(result.outcome).toBe("failed");
    expect(result.detail).toContain("restartDeployment: 500 InternalError");
    expect(r.api.requests.filter((q) => q.method === "PATCH")).toHaveLength(3);
    expect(r.waits).toEqual([100, 200]);
    expect(r.api.requests.some((q) => q.method === "POST")).toBe(false);
  });

  test.each([
    [403, "Forbidden"],
    [404, "NotFound"],
    [422, "Invalid"],
  ] as const)("%i on the PATCH is not retried: failed with %s after one PATCH", async (status, reason) => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order"));
    r.api.fail({ method: "PATCH", status, times: 100 });
    const result = await restart(r);
    expect(result).toMatchObject({ outcome: "failed", detail: expect.stringContaining(`${status} ${reason}`) });
    expect(r.api.requests.filter((q) => q.method === "PATCH")).toHaveLength(1);
    expect(r.waits).toEqual([]);
  });

  test("409 on the PATCH → the Deployment is read again and the PATCH retried, within the same budget", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order"));
    r.api.fail({ method: "PATCH", status: 409 });
    const result = await restart(r);
    expect(result.outcome).toBe("acted");
    expect(requestLine(r).filter((l) => l === `GET ${DEPLOYMENT_PATH}`)).toHaveLength(2);
    expect(r.api.requests.filter((q) => q.method === "PATCH")).toHaveLength(2);
    expect(r.waits).toEqual([100]);
  });

  test("409 on every PATCH → failed once the budget is spent (1 + retries PATCHes)", async () => {
    const r = await rig({ guardrails: { retries: 2 } });
    r.api.put("deployments", deploymentObject("order"));
    r.api.fail({ method: "PATCH", status: 409, times: 100 });
    const result = await restart(r);
    expect(result).toMatchObject({ outcome: "failed", detail: expect.stringContaining("409 Conflict") });
    expect(r.api.requests.filter((q) => q.method === "PATCH")).toHaveLength(3);
  });

  test("a dropped connection on the GET is retried (no HTTP answer is transient)", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order"));
    r.api.fail({ method: "GET", pathEndsWith: "/deployments/order", status: "drop" });
    const result = await restart(r);
    expect(result.outcome).toBe("acted");
    expect(requestLine(r).filter((l) => l === `GET ${DEPLOYMENT_PATH}`)).toHaveLength(2);
    expect(r.waits).toEqual([100]);
  });

  test("429 on the HPA PATCH is retried", async () => {
    const r = await rig();
    r.api.put("horizontalpodautoscalers", hpaObject("order", { max: 10, current: 10 }));
    r.api.fail({ method: "PATCH", status: 429 });
    expect((await raise(r)).outcome).toBe("acted");
    expect(r.api.requests.filter((q) => q.method === "PATCH")).toHaveLength(2);
  });

  test("a failing Event does not fail or undo the action: acted, the restart stays, a warning is logged", async () => {
    const r = await rig({ guardrails: { retries: 1 } });
    r.api.put("deployments", deploymentObject("order"));
    r.api.fail({ method: "POST", status: 500, times: 100 });
    const result = await restart(r);
    expect(result.outcome).toBe("acted");
    expect((r.api.get("deployments", "order") as any).spec.template.metadata.annotations).toHaveProperty([
      RESTARTED_AT_ANNOTATION,
    ]);
    expect(r.logs.some((l) => l.level === "warn" && l.message === "cannot record the Event of an action")).toBe(true);
  });

  test("a wrong token → 401 Unauthorized, not retried, failed", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order"));
    writeFileSync(r.tokenFile, "someone-elses-token");
    const result = await restart(r);
    expect(result).toMatchObject({
      outcome: "failed",
      detail: expect.stringContaining("getDeployment: 401 Unauthorized"),
    });
    expect(r.api.requests).toHaveLength(1);
  });

  test("the token file is read again for each call: a rotated token is sent as soon as it is written", async () => {
    const r = await rig();
    r.api.put("deployments", deploymentObject("order"));
    expect((await restart(r, "dry-run")).outcome).toBe("dry_run");
    r.api.token = "service-account-token-2";
    writeFileSync(r.tokenFile, "service-account-token-2\n");
    expect((await restart(r, "dry-run")).outcome).toBe("dry_run");
    expect(r.api.requests.at(-1)?.authorization).toBe("Bearer service-account-token-2");
  });
});

describe("connectKube", () => {
  test("a KUBERNETES_API_URL that is not http(s) is refused, naming the variable", () => {
    expect(() => connectKube({ KUBERNETES_API_URL: "127.0.0.1:6443" })).toThrow(
      /KUBERNETES_API_URL must be an http: or https: URL/,
    );
  });

  test("outside a cluster without KUBERNETES_API_URL, calls fail with a KubeError that says so (no crash at start)", async () => {
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      const kube = connectKube({});
      await expect(kube.getDeployment(NS, "order")).rejects.toMatchObject({
        status: 0,
        reason: "ClientError",
        message: expect.stringContaining("KUBERNETES_SERVICE_HOST is not set"),
      });
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });

  test("a call the API server never answers ends as a Timeout KubeError", async () => {
    const hole = await blackHole();
    cleanups.push(() => hole.close());
    const kube = connectKube({ KUBERNETES_API_URL: hole.url }, { timeoutMs: 50 });
    const error = await kube.listHpas(NS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect(error).toMatchObject({ operation: "listHpas", status: 0, reason: "Timeout" });
  });
});

describe("pure helpers", () => {
  const deployment = (d: Partial<Deployment>): Deployment => ({
    name: "order",
    namespace: NS,
    uid: "u",
    generation: 1,
    observedGeneration: 1,
    paused: false,
    desiredReplicas: 2,
    replicas: 2,
    updatedReplicas: 2,
    annotations: {},
    ...d,
  });

  test("rolloutInProgress: complete → undefined; generation ahead of observed or replicas not updated → the reason", () => {
    expect(rolloutInProgress(deployment({}))).toBeUndefined();
    expect(rolloutInProgress(deployment({ generation: 2 }))).toContain("observedGeneration 1 < generation 2");
    expect(rolloutInProgress(deployment({ updatedReplicas: 1 }))).toContain("1 of 2 replicas updated");
  });

  test("rfc3339Seconds drops the milliseconds and keeps UTC", () => {
    expect(rfc3339Seconds(new Date("2026-05-04T03:02:01.999Z"))).toBe("2026-05-04T03:02:01Z");
  });

  test("raisedCeiling adds the step, stops at the cap, and has nothing to give at or above the cap", () => {
    expect(raisedCeiling(10, 2, 20)).toBe(12);
    expect(raisedCeiling(19, 2, 20)).toBe(20);
    expect(raisedCeiling(20, 2, 20)).toBeUndefined();
    expect(raisedCeiling(25, 2, 20)).toBeUndefined();
  });

  test("parseRaise reads a record and refuses broken JSON, a wrong field, a missing from or an invalid expires", () => {
    const ok = { field: "maxReplicas", from: 10, to: 12, reason: "r", alert: "a", expires: "2026-01-01T00:00:00Z" };
    expect(parseRaise(JSON.stringify(ok))).toEqual(ok);
    expect(parseRaise(undefined)).toBeUndefined();
    expect(parseRaise("{nope")).toBeUndefined();
    expect(parseRaise(JSON.stringify({ ...ok, field: "minReplicas" }))).toBeUndefined();
    expect(parseRaise(JSON.stringify({ ...ok, from: undefined }))).toBeUndefined();
    expect(parseRaise(JSON.stringify({ ...ok, expires: "tomorrow" }))).toBeUndefined();
  });
});
