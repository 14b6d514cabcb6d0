import { PATHS, type ServiceName } from "../../contract";
import type { DEFAULT_TIMINGS, RESPONDER_TIMING } from "../../infra/alerting/alertmanager";
import type { RuleGroup } from "../../infra/alerting/rules";
import type { ProbesConfig } from "../../infra/probes/probes";

/** What the live tests share: the services' admin token, shortened timers, fault injection and load. */
export const E2E_ADMIN_TOKEN = "e2e-admin-token-0123456789";

/** The stack's probes with the waits shortened so a live test takes seconds, not minutes. */
export const fastProbes = (probes: ProbesConfig): ProbesConfig => ({ ...probes, interval: "5s", failingFor: "10s" });

/** The generated routes' timers shortened; the responder hears repeats every few seconds. */
export const FAST_ROUTES = {
  page: { group_wait: "1s", group_interval: "3s", repeat_interval: "1h" },
  ticket: { group_wait: "1s", group_interval: "3s", repeat_interval: "1h" },
  heartbeat: { group_wait: "1s", group_interval: "5s", repeat_interval: "1h" },
  responder: { group_wait: "1s", group_interval: "2s", repeat_interval: "4s" },
} satisfies typeof DEFAULT_TIMINGS & { responder: typeof RESPONDER_TIMING };

/** PUT /admin/faults of a service with the e2e admin token. */
export function setFaults(urls: Record<ServiceName, { url: string }>, service: ServiceName, body: object) {
  return fetch(`${urls[service].url}${PATHS.adminFaults}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${E2E_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Steady order traffic at `rate` per second until stop(); one request in ten is a read or a bad request. */
export function orderLoad(urls: { order: string; product: string; user: string }, rate: () => number) {
  let stopped = false;
  let n = 0;
  const post = (url: string, body: unknown) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const others = [
    () => fetch(`${urls.product}/products`),
    () => fetch(`${urls.user}/users/u-1002`),
    () => post(`${urls.order}/orders`, { userId: "u-1001", items: [] }),
    () => fetch(`${urls.product}/products/p-unknown`),
  ];
  const loop = async () => {
    while (!stopped) {
      const started = Date.now();
      n += 1;
      const call =
        n % 10 === 0
          ? (others[(n / 10) % others.length] as () => Promise<Response>)()
          : post(`${urls.order}/orders`, { userId: "u-1001", items: [{ productId: "p-1001", quantity: 1 }] });
      await call.then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 / rate() - (Date.now() - started))));
    }
  };
  const workers = Array.from({ length: 4 }, loop);
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
    },
  };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const compress = (text: string, factor: number) => {
  const seconds = Math.max(
    1,
    Math.round((Number(text.slice(0, -1)) * (UNIT_SECONDS[text.slice(-1)] as number)) / factor),
  );
  return `${seconds}s`;
};

/**
 * The rules with every range and `for` divided by `factor`, so a burn-rate alert fires and resolves in
 * seconds rather than minutes; names (ratio_rate5m) and thresholds stay as generated.
 */
export function compressWindows(groups: RuleGroup[], factor: number): RuleGroup[] {
  return groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => ({
      ...r,
      expr: r.expr.replace(/\[(\d+[smhd])\]/g, (_m, w: string) => `[${compress(w, factor)}]`),
      ...(r.for ? { for: compress(r.for, factor) } : {}),
    })),
  }));
}
