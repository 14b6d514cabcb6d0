import { killAllServices } from "./cluster";

/** A progress printer for stderr: each line prefixed with the seconds since the tool started. */
export function progressPrinter(): (line: string) => void {
  const t0 = performance.now();
  return (line) => process.stderr.write(`[${((performance.now() - t0) / 1_000).toFixed(1).padStart(6)} s] ${line}\n`);
}

/** No service process a tool started may outlive it, however it ends (exit, Ctrl-C, SIGTERM). */
export function stopServicesOnExit(progress: (line: string) => void): void {
  process.once("exit", killAllServices);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      killAllServices();
      process.exit(130);
    });
  }
}
