import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { Pool } from "undici";
import { dependencyUrlEnv, PATHS, type ServiceName } from "../../contract";
import { freePort, waitFor } from "../demo/net";
import { type OtlpSink, startOtlpSink } from "./sink";
import type { Variant } from "./variants";

const STDERR_TAIL_BYTES = 4_096;

/** Every service process started and not yet exited, so none can outlive the bench. */
const running = new Set<ChildProcess>();

export interface ServiceProcess {
  name: ServiceName;
  url: string;
  child: ChildProcess;
  pid: number;
  /** Bytes the service wrote to stdout (its JSON logs), read and thrown away. */
  logBytes(): number;
  stderrTail(): string;
}

/** One variant's three services, the sink they export to and keep-alive connection pools to them. */
export interface VariantCluster {
  variant: Variant;
  services: Record<ServiceName, ServiceProcess>;
  sink: OtlpSink;
  pools: { order: Pool; product: Pool };
  /** Ids of recently created orders, for GET /orders/:id. */
  createdOrders: string[];
  pids(): number[];
  logBytes(): number;
  stop(): Promise<void>;
}

const DIST_APPS = path.resolve(__dirname, "..");

/** Starts one compiled service (dist/apps/<name>/main.js) on `port`; stdout is counted and dropped. */
export function startService(name: ServiceName, env: Record<string, string>, port: number): ServiceProcess {
  const child = spawn(process.execPath, [path.join(DIST_APPS, name, "main.js")], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let logBytes = 0;
  let stderr = "";
  // Drained as fast as it comes, like a container runtime reading stdout: logging costs what it costs.
  child.stdout?.on("data", (chunk: Buffer) => {
    logBytes += chunk.length;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
  });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  running.add(child);
  child.once("exit", () => running.delete(child));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    pid: child.pid,
    logBytes: () => logBytes,
    stderrTail: () => stderr,
  };
}

export async function waitHealthy(service: ServiceProcess, label: string): Promise<void> {
  await waitFor(
    `${label}/${service.name} to answer ${PATHS.health}`,
    async () => {
      if (service.child.exitCode !== null || service.child.signalCode !== null) {
        throw new Error(
          `exited (${service.child.exitCode ?? service.child.signalCode}): ${service.stderrTail().trim()}`,
        );
      }
      return (await fetch(service.url + PATHS.health, { signal: AbortSignal.timeout(1_000) })).ok ? true : undefined;
    },
    30_000,
  );
}

/** SIGTERM (a graceful shutdown flushes spans), SIGKILL after 5 s. */
export async function stopService(service: ServiceProcess): Promise<void> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
  child.kill("SIGTERM");
  await exited;
  clearTimeout(kill);
}

export function keepAlivePool(url: string): Pool {
  // Keep-alive across slices: the variant is idle while the others take their turn.
  return new Pool(url, {
    connections: 64,
    pipelining: 1,
    keepAliveTimeout: 120_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
}

/**
 * Starts user and product, then order wired to them, with the variant's telemetry switches (and
 * `extraEnv` per service, e.g. NODE_OPTIONS for a CPU profile of one of them).
 */
export async function startCluster(
  variant: Variant,
  extraEnv: Partial<Record<ServiceName, Record<string, string>>> = {},
): Promise<VariantCluster> {
  const sink = await startOtlpSink();
  const env = {
    ...variant.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    DEPLOYMENT_ENVIRONMENT: "bench",
  };
  const [userPort, productPort, orderPort] = [await freePort(), await freePort(), await freePort()];
  const started: ServiceProcess[] = [];
  try {
    const user = startService("user", { ...env, ...extraEnv.user }, userPort);
    started.push(user);
    const product = startService("product", { ...env, ...extraEnv.product }, productPort);
    started.push(product);
    const order = startService(
      "order",
      { ...env, [dependencyUrlEnv("user")]: user.url, [dependencyUrlEnv("product")]: product.url, ...extraEnv.order },
      orderPort,
    );
    started.push(order);
    await Promise.all(started.map((s) => waitHealthy(s, variant.name)));
    const services = { order, product, user };
    const pools = { order: keepAlivePool(order.url), product: keepAlivePool(product.url) };
    return {
      variant,
      services,
      sink,
      pools,
      createdOrders: [],
      pids: () => started.map((s) => s.pid),
      logBytes: () => started.reduce((sum, s) => sum + s.logBytes(), 0),
      async stop() {
        await Promise.all([pools.order.close(), pools.product.close()].map((p) => p.catch(() => undefined)));
        await Promise.all(started.map(stopService));
        await sink.close();
      },
    };
  } catch (err) {
    await Promise.all(started.map(stopService));
    await sink.close();
    throw err;
  }
}

/** Last resort when the bench itself is going down: no service process may outlive it. */
export function killAllServices(): void {
  for (const child of running) child.kill("SIGKILL");
}
