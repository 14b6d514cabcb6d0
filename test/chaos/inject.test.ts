/**
 * The fault injectors: the exact fault API requests, a pod kill of a real (dummy) process by the pid in the
 * pids file, and the Chaos Mesh objects created and deleted through @kubernetes/client-node against a small
 * stand-in of the Kubernetes API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { connectChaosMesh, pluralOf } from "../../apps/chaos/chaos-mesh-api";
import { describeFaultSettings, FaultApi, faultSettingsFor } from "../../apps/chaos/fault-api";
import { clusterInjector, localInjector, readPids } from "../../apps/chaos/inject";
import { NO_FAULTS } from "../../apps/lib/faults";
import type { ServiceName } from "../../contract";
import { CATALOGUE } from "../../infra/chaos/catalogue";
import { chaosObjects } from "../../infra/chaos/chaos-mesh";
import type { Experiment } from "../../infra/chaos/experiments";
import { stackPlan } from "../../infra/chaos/plan";
import { loadStackConfig } from "../../infra/config/stack-file";
import { startFakePlatform } from "./fakes";

const TOKEN = "admin-token-for-tests-0123456789";
const NS = "obs-dev-apps";
/** The catalogue as a warm dev stack plans it (SLO-burn experiments get their planned fault lengths). */
const PLANNED = stackPlan(loadStackConfig("dev"), CATALOGUE);
const experiment = (name: string) => PLANNED.find((e) => e.name === name) as Experiment;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function platform() {
  const p = await startFakePlatform({ token: TOKEN, sli: () => 0, alerts: () => [] });
  cleanups.push(() => p.close());
  return p;
}

describe("the services' fault API", () => {
  test.each([
    ["product-errors", "product", { errorRate: 0.5, errorStatus: 500 }],
    ["user-latency", "user", { latencyMs: 1500, latencyJitterMs: 100 }],
    ["order-checkout-outage", "order", { outageRoutes: ["/orders"] }],
  ])(
    "%s: PUT /admin/faults on %s with exactly %j and the bearer token, then a PUT of every setting off",
    async (name, service, body) => {
      const p = await platform();
      const injector = localInjector({ faultApi: new FaultApi(p.services, TOKEN), pidsFile: "" });
      await injector.inject(experiment(name));
      expect(p.faults[service as ServiceName]).toEqual({ ...NO_FAULTS, ...body });
      await injector.remove(experiment(name));
      const calls = p.faultRequests(service as ServiceName);
      expect(calls.map((r) => [r.method, JSON.parse(r.body), r.contentType, r.authorization])).toEqual([
        ["PUT", body, "application/json", `Bearer ${TOKEN}`],
        ["PUT", NO_FAULTS, "application/json", `Bearer ${TOKEN}`],
      ]);
      expect(p.faults[service as ServiceName]).toEqual(NO_FAULTS);
    },
  );

  test("faults that are not the fault API's have no settings body: an error naming the kinds it takes", () => {
    expect(() => faultSettingsFor({ kind: "pod-kill" })).toThrow(
      "the pod-kill fault does not go through the fault API (kinds: http-errors, http-latency, route-outage)",
    );
  });

  test("settings left on are described field by field; all off is undefined", () => {
    expect(describeFaultSettings(NO_FAULTS)).toBeUndefined();
    expect(
      describeFaultSettings({ ...NO_FAULTS, latencyMs: 200, latencyJitterMs: 20, outageRoutes: ["/a"], unready: true }),
    ).toBe("latencyMs 200 ± 20, outageRoutes /a, unready");
  });

  test("a wrong token is refused with a message that names the service, not the token", async () => {
    const p = await platform();
    const api = new FaultApi(p.services, "the-wrong-token-0123456789");
    const err = (await api.read("product").catch((e: unknown) => e)) as Error;
    expect(err.message).toBe("product refused the admin token (403): pass the token the services run with");
    expect(err.message).not.toContain("the-wrong-token");
  });

  test("no token at all: the call is not made and the message says where the token comes from", async () => {
    const p = await platform();
    await expect(new FaultApi(p.services, undefined).read("user")).rejects.toThrow(
      "user's fault API needs the admin token: --admin-token or ADMIN_TOKEN (the demo prints it)",
    );
    expect(p.requests).toEqual([]);
  });

  test("a service without a URL: the error says which --services entry is missing", async () => {
    await expect(new FaultApi({}, TOKEN).read("order")).rejects.toThrow(
      "no URL for order: pass --services order=<url>",
    );
  });

  test("readiness is /readyz answering 2xx; 503 and no answer are not ready", async () => {
    const p = await platform();
    const api = new FaultApi({ ...p.services, user: "http://127.0.0.1:9" }, TOKEN);
    p.ready.order = false;
    expect([await api.ready("product"), await api.ready("order"), await api.ready("user")]).toEqual([
      true,
      false,
      false,
    ]);
  });
});

describe("a local pod kill", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "chaos-pids-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  });

  /** A process that looks like `node …/<service>/main.js` and just waits. */
  async function dummy(service: string): Promise<ChildProcess & { exited: Promise<NodeJS.Signals | null> }> {
    const script = path.join(dir, service, "main.js");
    mkdirSync(path.dirname(script), { recursive: true });
    writeFileSync(script, "setInterval(() => {}, 1000);\n");
    const child = spawn(process.execPath, [script], { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("exit", (_code, signal) => resolve(signal)),
    );
    cleanups.push(() => void (child.exitCode === null && child.signalCode === null && child.kill("SIGKILL")));
    await new Promise((resolve) => child.once("spawn", resolve));
    return Object.assign(child, { exited });
  }

  const pidsFile = () => path.join(dir, "pids.json");
  const writePids = (pids: Record<string, number | undefined>) => writeFileSync(pidsFile(), JSON.stringify(pids));

  test("inject SIGKILLs the pid the pids file names; maintain kills the process its supervisor started again", async () => {
    const first = await dummy("product");
    writePids({ order: 1234567, product: first.pid });
    const p = await platform();
    const injector = localInjector({ faultApi: new FaultApi(p.services, TOKEN), pidsFile: pidsFile() });
    const killed = experiment("product-killed");

    expect(await injector.inject(killed)).toBe(
      `killed product (pid ${first.pid}); it is killed again whenever it comes back until the fault ends`,
    );
    expect(await first.exited).toBe("SIGKILL");

    expect(await injector.maintain(killed)).toBeUndefined(); // still down: nothing to do
    const restarted = await dummy("product");
    writePids({ product: restarted.pid });
    expect(await injector.maintain(killed)).toBe(
      `killed product again (pid ${restarted.pid}, restarted by its supervisor)`,
    );
    expect(await restarted.exited).toBe("SIGKILL");
    expect(await injector.remove(killed)).toBe("stopped killing product; its supervisor starts it again");
  });

  test("a stale pids file naming another program's process: refused, and that process lives", async () => {
    const other = await dummy("not-a-service");
    writePids({ product: other.pid });
    const injector = localInjector({ faultApi: new FaultApi({}, undefined), pidsFile: pidsFile() });
    await expect(injector.inject(experiment("product-killed"))).rejects.toThrow(
      `pid ${other.pid} of product in ${pidsFile()} runs something else: the pids file is stale`,
    );
    expect(other.exitCode === null && other.signalCode === null).toBe(true);
  });

  test("no pids file: the error says the demo's supervisor writes it", () => {
    expect(() => readPids(path.join(dir, "missing.json"))).toThrow(
      /cannot read the pids file .*missing\.json \(ENOENT\): is npm run demo running\? Its supervisor writes it/,
    );
  });

  test("a pid that is not a process id is an error naming the service and the value", () => {
    writeFileSync(pidsFile(), JSON.stringify({ product: "12a" }));
    expect(() => readPids(pidsFile())).toThrow(
      `the pids file ${pidsFile()}: product must be a process id (an integer above 1), got "12a"`,
    );
  });
});

/** A Kubernetes API stand-in for chaos-mesh.org custom objects in one namespace; records every request. */
async function fakeChaosApi(token: string) {
  const objects = new Map<string, unknown>();
  const requests: { method: string; path: string; authorization?: string; body?: unknown }[] = [];
  /** Objects that stay for this many GETs after their DELETE (a finalizer at work). */
  let lingerGets = 0;
  const deleted = new Map<string, number>();
  let refuseWith: number | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text ? JSON.parse(text) : undefined;
      const url = new URL(req.url ?? "/", "http://fake");
      requests.push({ method: req.method ?? "", path: url.pathname, authorization: req.headers.authorization, body });
      const status = (code: number, reason: string, message: string) =>
        res
          .writeHead(code, { "content-type": "application/json" })
          .end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason, message, code }));
      if (req.headers.authorization !== `Bearer ${token}`) return status(401, "Unauthorized", "Unauthorized");
      if (refuseWith) return status(refuseWith, "Forbidden", 'podchaos.chaos-mesh.org is forbidden: User "tester"');
      const match = /^\/apis\/chaos-mesh\.org\/v1alpha1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(
        url.pathname,
      );
      if (!match) return status(404, "NotFound", "no such path");
      const [, ns, plural, name] = match;
      const key = `${ns}/${plural}/${name ?? body?.metadata?.name}`;
      const ok = (code: number, value: unknown) =>
        res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(value));
      if (req.method === "POST") {
        if (objects.has(key)) return status(409, "AlreadyExists", `${name} already exists`);
        objects.set(key, body);
        return ok(201, body);
      }
      if (req.method === "GET") {
        const left = deleted.get(key);
        if (left !== undefined && left > 0) {
          deleted.set(key, left - 1);
          return ok(200, objects.get(key) ?? {});
        }
        if (left !== undefined) objects.delete(key);
        return objects.has(key) ? ok(200, objects.get(key)) : status(404, "NotFound", `${name} not found`);
      }
      if (req.method === "DELETE") {
        if (!objects.has(key)) return status(404, "NotFound", `${name} not found`);
        if (lingerGets > 0) deleted.set(key, lingerGets);
        else objects.delete(key);
        return ok(200, { kind: "Status", status: "Success" });
      }
      return status(405, "MethodNotAllowed", "no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    linger: (gets: number) => {
      lingerGets = gets;
    },
    refuse: (code: number) => {
      refuseWith = code;
    },
  };
}

describe("Chaos Mesh objects through the Kubernetes API", () => {
  const API_TOKEN = "kube-token-1";
  const BASE = `/apis/chaos-mesh.org/v1alpha1/namespaces/${NS}`;
  const objectsOf = (e: Experiment) => chaosObjects(e, NS, { team: "platform" });

  /** A kubeconfig whose current context points nowhere: only the named context reaches the stand-in. */
  async function connected(context = "kind-chaos", deleteTimeoutMs = 2_000) {
    const api = await fakeChaosApi(API_TOKEN);
    const dir = mkdtempSync(path.join(tmpdir(), "chaos-kube-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const kubeconfig = path.join(dir, "config");
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "fake", cluster: { server: api.url, "insecure-skip-tls-verify": true } },
          { name: "nowhere", cluster: { server: "http://127.0.0.1:9", "insecure-skip-tls-verify": true } },
        ],
        users: [{ name: "tester", user: { token: API_TOKEN } }],
        contexts: [
          { name: "kind-chaos", context: { cluster: "fake", user: "tester" } },
          { name: "elsewhere", context: { cluster: "nowhere", user: "tester" } },
        ],
        "current-context": "elsewhere",
      }),
    );
    const chaosMesh = await connectChaosMesh({ context, kubeconfig });
    const injector = clusterInjector({
      api: chaosMesh,
      objects: objectsOf,
      faultApi: new FaultApi({}, undefined),
      sleep: async () => {},
      deleteTimeoutMs,
    });
    return { api, injector, kubeconfig };
  }

  test("inject POSTs the experiment's PodChaos to its CRD's collection with the context's credentials", async () => {
    const { api, injector } = await connected();
    const killed = experiment("product-killed");
    expect(await injector.inject(killed)).toBe(`created PodChaos ${NS}/product-killed`);
    expect(api.requests).toEqual([
      { method: "POST", path: `${BASE}/podchaos`, authorization: `Bearer ${API_TOKEN}`, body: objectsOf(killed)[0] },
    ]);
  });

  test("remove DELETEs the object and waits until it is gone (a finalizer keeps it for two reads)", async () => {
    const { api, injector } = await connected();
    const killed = experiment("product-killed");
    await injector.inject(killed);
    api.linger(2);
    expect(await injector.remove(killed)).toBe(`deleted PodChaos ${NS}/product-killed`);
    expect(api.requests.slice(1).map((r) => `${r.method} ${r.path}`)).toEqual([
      `DELETE ${BASE}/podchaos/product-killed`,
      `GET ${BASE}/podchaos/product-killed`,
      `GET ${BASE}/podchaos/product-killed`,
      `GET ${BASE}/podchaos/product-killed`,
    ]);
    expect(api.objects.size).toBe(0);
    // idempotent: the runner's finally may call it again
    expect(await injector.remove(killed)).toBe(`deleted PodChaos ${NS}/product-killed`);
  });

  test("an object that never goes away: remove fails saying so (the runner reports it as not removed)", async () => {
    const { api, injector } = await connected("kind-chaos", 200);
    const killed = experiment("product-killed");
    await injector.inject(killed);
    api.linger(1_000_000);
    await expect(injector.remove(killed)).rejects.toThrow(
      `PodChaos ${NS}/product-killed is still there after its deletion (finalizers?)`,
    );
  });

  test("a stale object with the experiment's name is found, deleted and named; none: nothing to say", async () => {
    const { api, injector } = await connected();
    const delay = experiment("order-to-product-delay");
    expect(await injector.removeStale(delay)).toEqual([]);
    api.objects.set(`${NS}/networkchaos/order-to-product-delay`, objectsOf(delay)[0]);
    expect(await injector.activeFault(delay)).toBe(`NetworkChaos ${NS}/order-to-product-delay exists`);
    expect(await injector.removeStale(delay)).toEqual([
      `deleted NetworkChaos ${NS}/order-to-product-delay, left by an earlier run`,
    ]);
    expect(await injector.activeFault(delay)).toBeUndefined();
  });

  test("the API refusing (RBAC): the error names the object, the status and the API's message", async () => {
    const { api, injector } = await connected();
    api.refuse(403);
    await expect(injector.inject(experiment("user-cpu-stress"))).rejects.toThrow(
      `Kubernetes API: creating StressChaos ${NS}/user-cpu-stress failed (403): podchaos.chaos-mesh.org is forbidden: User "tester"`,
    );
  });

  test("HTTP-level faults in a cluster go through the fault API, never the Kubernetes API", async () => {
    const { api, kubeconfig } = await connected();
    const p = await platform();
    const injector = clusterInjector({
      api: await connectChaosMesh({ context: "kind-chaos", kubeconfig }),
      objects: objectsOf,
      faultApi: new FaultApi(p.services, TOKEN),
    });
    await injector.inject(experiment("product-errors"));
    expect(p.faults.product.errorRate).toBe(0.5);
    expect(api.requests).toEqual([]);
  });

  test("an unknown kube context: the error lists the contexts there are", async () => {
    await expect(connected("prod-cluster")).rejects.toThrow(
      '--target: no kube context "prod-cluster"; the contexts are: kind-chaos, elsewhere, or local',
    );
  });

  test.each([
    ["PodChaos", "podchaos"],
    ["NetworkChaos", "networkchaos"],
    ["StressChaos", "stresschaos"],
    ["Schedule", "schedules"],
  ])("the CRD plural of %s is %s", (kind, plural) => {
    expect(pluralOf(kind)).toBe(plural);
  });
});
