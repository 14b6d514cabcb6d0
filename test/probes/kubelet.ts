import http from "node:http";

/** A container's HTTP probe as the Deployment states it (the fields the kubelet reads). */
export interface ProbeSpec {
  httpGet?: { path?: string; port?: string | number };
  timeoutSeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}

/** An HTTP probe with Kubernetes' defaults filled in, in milliseconds. */
export interface KubeletProbe {
  path: string;
  timeoutMs: number;
  periodMs: number;
  failureThreshold: number;
}

/** Kubernetes' defaults (core/v1 Probe): timeoutSeconds 1, periodSeconds 10, failureThreshold 3, path "/". */
export function kubeletProbe(spec: ProbeSpec | undefined, what: string): KubeletProbe {
  if (!spec?.httpGet) throw new Error(`${what}: not an httpGet probe`);
  return {
    path: spec.httpGet.path ?? "/",
    timeoutMs: (spec.timeoutSeconds ?? 1) * 1000,
    periodMs: (spec.periodSeconds ?? 10) * 1000,
    failureThreshold: spec.failureThreshold ?? 3,
  };
}

export interface ProbeResult {
  ok: boolean;
  status?: number;
  /** Why there was no status: "timeout" or the connection error. */
  error?: string;
  ms: number;
}

/**
 * One probe as the kubelet makes it: a GET on a fresh connection, success when a status from 200 to 399 arrives
 * within the timeout.
 */
export function runHttpProbe(baseUrl: string, probe: KubeletProbe): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    // the whole exchange within the timeout, as the kubelet's client deadline (not an idle timeout)
    const deadline = setTimeout(() => {
      req.destroy();
      resolve({ ok: false, error: "timeout", ms: elapsed() });
    }, probe.timeoutMs);
    const done = (result: ProbeResult) => {
      clearTimeout(deadline);
      resolve(result);
    };
    const req = http.get(`${baseUrl}${probe.path}`, { agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      done({ ok: status >= 200 && status < 400, status, ms: elapsed() });
    });
    req.on("error", (err) => done({ ok: false, error: err.message, ms: elapsed() }));
  });
}
