/** Closed-loop load with autocannon: N connections, each sending its next request as soon as the last is answered. */

interface AutocannonResult {
  duration: number;
  requests: { total: number };
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = require("autocannon") as Autocannon;

export interface ClosedLoopResult {
  /** Answers with a 2xx status. */
  ok: number;
  /** Every answer, whatever its status. */
  answered: number;
  errors: number;
  durationS: number;
  /** Successful requests per second. */
  rps: number;
}

/** POST /orders with the given bodies (each connection cycles through them) for `durationS` seconds. */
export async function runClosedLoop(options: {
  url: string;
  bodies: readonly string[];
  connections: number;
  durationS: number;
}): Promise<ClosedLoopResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.durationS,
    timeout: 10,
    // autocannon stops at the first sample after the duration: sample often so a slice ends on time.
    sampleInt: 100,
    requests: options.bodies.map((body) => ({
      method: "POST",
      path: "/orders",
      headers: { "content-type": "application/json" },
      body,
    })),
  });
  const durationS = result.duration > 0 ? result.duration : options.durationS;
  return {
    ok: result["2xx"],
    answered: result.requests.total,
    errors: result.non2xx + result.errors + result.timeouts,
    durationS,
    rps: result["2xx"] / durationS,
  };
}
