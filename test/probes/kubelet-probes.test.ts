import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { dependencyUrlEnv, SERVICE_NAMES, type ServiceName } from "../../contract";
import { ofType, runStack } from "../infra/support";
import { call, waitFor } from "../support/http";
import { type ServiceProcess, startAll, startProcess, stopAll } from "../support/services";
import { type KubeletProbe, kubeletProbe, type ProbeSpec, runHttpProbe } from "./kubelet";

/** The three probes of each service's container, as the dev stack's Deployments state them. */
type Probes = Record<"liveness" | "readiness" | "startup", KubeletProbe>;
const probes = {} as Record<ServiceName, Probes>;

beforeAll(async () => {
  const { resources } = await runStack("dev");
  for (const d of ofType(resources, "kubernetes:apps/v1:Deployment")) {
    const name = d.inputs.metadata.name as ServiceName;
    if (!SERVICE_NAMES.includes(name)) continue;
    const c = d.inputs.spec.template.spec.containers[0] as Record<string, ProbeSpec>;
    probes[name] = {
      liveness: kubeletProbe(c.livenessProbe, `${name} livenessProbe`),
      readiness: kubeletProbe(c.readinessProbe, `${name} readinessProbe`),
      startup: kubeletProbe(c.startupProbe, `${name} startupProbe`),
    };
  }
}, 60_000);

describe("Kubernetes' probe defaults, as the helper fills them in", () => {
  test("timeoutSeconds 1, periodSeconds 10, failureThreshold 3, path /; only httpGet probes", () => {
    expect(kubeletProbe({ httpGet: {} }, "p")).toEqual({
      path: "/",
      timeoutMs: 1000,
      periodMs: 10_000,
      failureThreshold: 3,
    });
    expect(() => kubeletProbe({}, "the probe")).toThrow("the probe: not an httpGet probe");
  });
});

describe("the Deployments' probes", () => {
  test("liveness and startup ask /healthz (no dependencies), readiness asks /readyz, for every service", () => {
    for (const service of SERVICE_NAMES) {
      const p = probes[service];
      expect([service, p.liveness.path, p.startup.path, p.readiness.path]).toEqual([
        service,
        "/healthz",
        "/healthz",
        "/readyz",
      ]);
      // a process must miss several probes in a row before the kubelet restarts it
      expect(p.liveness.failureThreshold).toBeGreaterThanOrEqual(3);
    }
  });
});

/** The loop-blocking preload (test/probes/support) in a real service process. */
const BLOCKER = path.join(__dirname, "support", "block-event-loop.js");

describe("a blocked event loop fails liveness (so the kubelet restarts the process)", () => {
  test.each(SERVICE_NAMES)(
    "%s: no answer to the liveness probe within its timeoutSeconds while the loop is blocked; answers again once it is free",
    async (service) => {
      const liveness = probes[service].liveness;
      const dir = mkdtempSync(path.join(os.tmpdir(), "probe-block-"));
      const release = path.join(dir, "release");
      const env: Record<string, string> = {
        NODE_OPTIONS: `--require ${BLOCKER}`,
        BLOCK_EVENT_LOOP_RELEASE: release,
        OTEL_SDK_DISABLED: "true",
        LOG_LEVEL: "warn",
        // order only validates its dependencies' URLs at start; nothing is called here
        [dependencyUrlEnv("user")]: "http://127.0.0.1:9",
        [dependencyUrlEnv("product")]: "http://127.0.0.1:9",
      };
      const proc = await startProcess(service, env);
      try {
        expect(await runHttpProbe(proc.url, liveness)).toMatchObject({ ok: true, status: 200 });
        proc.child.kill("SIGUSR2");
        await waitFor("the loop to be blocked", async () =>
          proc.stderr.join("").includes("event loop blocked") ? true : undefined,
        );
        const blocked = await runHttpProbe(proc.url, liveness);
        expect(blocked).toMatchObject({ ok: false, error: "timeout" });
        expect(blocked.ms).toBeGreaterThanOrEqual(liveness.timeoutMs - 50);
        writeFileSync(release, ""); // the block ends when the test says so, however slow the machine is
        await waitFor("the loop to be free", async () =>
          proc.stderr.join("").includes("event loop free") ? true : undefined,
        );
        expect(await runHttpProbe(proc.url, liveness)).toMatchObject({ ok: true, status: 200 });
        expect(proc.child.exitCode).toBeNull(); // the process itself never died: only the kubelet would restart it
      } finally {
        writeFileSync(release, "");
        await proc.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("a dependency outage fails readiness only", () => {
  let services: Record<ServiceName, ServiceProcess>;
  beforeAll(async () => {
    services = await startAll({ OTEL_SDK_DISABLED: "true", LOG_LEVEL: "warn" });
  });
  afterAll(() => stopAll(services ?? {}));

  /** `times` probes in a row, as the kubelet makes them before it acts (failureThreshold). */
  const inARow = (url: string, probe: KubeletProbe, times = probe.failureThreshold) =>
    Promise.all(Array.from({ length: times }, () => runHttpProbe(url, probe)));

  test("order with product down: readiness fails (from the first call that finds product unreachable) while liveness passes; back when product is", async () => {
    const { order, product } = services;
    const { liveness, readiness } = probes.order;
    await product.stop();
    // readiness does not poll dependencies that answered: order learns of the outage from its first call
    expect(await runHttpProbe(order.url, readiness)).toMatchObject({ ok: true });
    const answer = await call(`${order.url}/orders`, {
      body: { userId: "u-1001", items: [{ productId: "p-1001", quantity: 1 }] },
    });
    expect(answer).toMatchObject({ status: 503, body: { dependency: "product" } });

    const ready = await inARow(order.url, readiness);
    expect(ready.map((r) => r.status)).toEqual(Array(readiness.failureThreshold).fill(503)); // unready: out of the Service
    expect(ready.every((r) => r.ms < readiness.timeoutMs)).toBe(true);
    const live = await inARow(order.url, liveness);
    expect(live.map((r) => r.status)).toEqual(Array(liveness.failureThreshold).fill(200)); // never restarted for it
    expect((await call(`${order.url}/readyz`)).body).toMatchObject({ checks: { product: false, user: true } });

    services.product = await startProcess("product", { PORT: String(product.port), OTEL_SDK_DISABLED: "true" });
    expect(await runHttpProbe(order.url, readiness)).toMatchObject({ ok: true, status: 200 });
  });
});
