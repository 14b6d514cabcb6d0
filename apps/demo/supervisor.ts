import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";

export interface SupervisedProcess {
  name: string;
  /** Script run with this Node binary. */
  script: string;
  env: NodeJS.ProcessEnv;
  /** Where its stdout (JSON log lines) goes; appended across restarts. */
  logFile: string;
}

/**
 * Runs the demo's processes as the kubelet runs containers: one that dies is started again after a short
 * backoff (doubling, capped), so a chaos experiment that kills a service sees it come back. The pids of the
 * running processes are kept in `pidsFile` for the chaos runner.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private readonly restarts = new Map<string, number>();
  private stopping = false;

  constructor(
    private readonly pidsFile: string,
    private readonly onRestart: (name: string, code: number | null, signal: string | null, delayMs: number) => void,
  ) {}

  start(spec: SupervisedProcess): ChildProcess {
    const child = spawn(process.execPath, [spec.script], { env: spec.env, stdio: ["ignore", "pipe", "inherit"] });
    child.stdout?.pipe(createWriteStream(spec.logFile, { flags: "a" }));
    this.children.set(spec.name, child);
    this.writePids();
    child.once("exit", (code, signal) => {
      if (this.stopping) return;
      const count = (this.restarts.get(spec.name) ?? 0) + 1;
      this.restarts.set(spec.name, count);
      const delayMs = Math.min(1_000 * 2 ** (count - 1), 30_000);
      this.onRestart(spec.name, code, signal, delayMs);
      setTimeout(() => {
        if (!this.stopping) this.start(spec);
      }, delayMs).unref();
    });
    return child;
  }

  get(name: string): ChildProcess | undefined {
    return this.children.get(name);
  }

  /** SIGTERM to every process, SIGKILL after 15 s; no restarts from now on. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
            child.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
  }

  private writePids(): void {
    const pids = Object.fromEntries([...this.children].map(([name, child]) => [name, child.pid]));
    writeFileSync(this.pidsFile, `${JSON.stringify(pids, null, 2)}\n`);
  }
}
