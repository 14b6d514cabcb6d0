/**
 * Where the load goes: the three services started on loopback (loopback.ts), or a running deployment
 * given by URL. Either way keep-alive pools to every service reached directly (requests and scrapes).
 */
import type { Pool } from "undici";
import { PATHS, SERVICE_NAMES, type ServiceName } from "../../contract";
import { keepAlivePool } from "../bench/cluster";
import type { SpanLedger } from "./spans";

const HEALTH_TIMEOUT_MS = 5_000;

export interface Target {
  urls: Partial<Record<ServiceName, string>> & { order: string };
  pools: Partial<Record<ServiceName, Pool>> & { order: Pool };
  /** Loopback only: the services' spans, per stage. */
  spans?: SpanLedger;
  /** Stderr of the services started here (for a failure message). */
  stderrTail(): string;
  stop(): Promise<void>;
}

/** A deployment reached by URL (e.g. through kubectl port-forward); each must answer /healthz. */
export async function connectTarget(urls: { order: string; product?: string; user?: string }): Promise<Target> {
  const entries = SERVICE_NAMES.flatMap((name) => (urls[name] ? [[name, urls[name] as string] as const] : []));
  const pools = Object.fromEntries(entries.map(([name, url]) => [name, keepAlivePool(url)])) as Target["pools"];
  const stop = async () => {
    await Promise.all(Object.values(pools).map((p) => p.close().catch(() => undefined)));
  };
  try {
    for (const [name, url] of entries) {
      const res = await (pools[name] as Pool)
        .request({ method: "GET", path: PATHS.health, signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })
        .catch((err: Error) => {
          throw new Error(`${name} at ${url} did not answer ${PATHS.health}: ${err.message}`);
        });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`${name} at ${url} answered ${PATHS.health} with ${res.statusCode}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, pools, stderrTail: () => "", stop };
}
