import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { type BuiltService, buildService, type ServiceDefinition } from "../../apps/lib/service";
import { orderService } from "../../apps/order/service";
import { productService } from "../../apps/product/service";
import { userService } from "../../apps/user/service";
import { type AppName, dependencyUrlEnv, PATHS, type ServiceName } from "../../contract";
import { freePort, type Running, serve, waitFor } from "./http";

export const ROOT = path.resolve(__dirname, "../..");

const DEFINITIONS = { order: orderService, product: productService, user: userService } as Record<
  ServiceName,
  ServiceDefinition<unknown>
>;

export interface InProcess extends Running {
  service: BuiltService;
  logs: Record<string, unknown>[];
}

/**
 * Builds a service in this process (no OpenTelemetry SDK unless the test file starts one) and
 * serves it on a free port; log lines are captured as objects.
 */
export async function startInProcess(
  name: ServiceName,
  env: Record<string, string> = {},
  port = 0,
): Promise<InProcess> {
  const logs: Record<string, unknown>[] = [];
  const service = buildService(
    DEFINITIONS[name],
    { LOG_LEVEL: "debug", ...env },
    {
      defaultMetrics: false,
      logSink: { write: (line: string) => logs.push(JSON.parse(line)) },
    },
  );
  const running = await serve(service.app, port);
  return {
    ...running,
    service,
    logs,
    close: async () => {
      service.close();
      await running.close();
    },
  };
}

export interface ServiceProcess {
  name: AppName;
  url: string;
  port: number;
  child: ChildProcess;
  /** Parsed JSON log lines written to stdout so far. */
  logs: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the compiled service (dist/) as a real process, the way the container does. */
export async function startProcess(
  name: AppName,
  env: Record<string, string> = {},
  options: { waitReady?: boolean } = {},
): Promise<ServiceProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, "dist", "apps", name, "main.js")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, LOG_LEVEL: "info", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let buffered = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) logs.push(JSON.parse(line));
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const url = `http://127.0.0.1:${port}`;
  const proc: ServiceProcess = {
    name,
    url,
    port,
    child,
    logs,
    stderr,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady ?? true) {
    await waitFor(`${name} to listen`, async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr.join("")}`);
      const res = await fetch(url + PATHS.health);
      return res.ok ? true : undefined;
    });
  }
  return proc;
}

/** The three services as processes, order wired to the other two. */
export async function startAll(env: Record<string, string> = {}): Promise<Record<ServiceName, ServiceProcess>> {
  const [user, product] = await Promise.all([startProcess("user", env), startProcess("product", env)]);
  const order = await startProcess("order", {
    ...env,
    [dependencyUrlEnv("user")]: user.url,
    [dependencyUrlEnv("product")]: product.url,
  });
  return { order, product, user };
}

export async function stopAll(processes: Partial<Record<ServiceName, ServiceProcess>>): Promise<void> {
  await Promise.all(
    Object.values(processes).map(async (p) => {
      if (!p) return;
      const timer = setTimeout(() => p.child.kill("SIGKILL"), 15_000);
      await p.stop();
      clearTimeout(timer);
    }),
  );
}
