import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { localPorts } from "../../contract";
import { freePort, waitFor } from "../support/http";
import { ROOT } from "../support/services";
import { toolAvailable } from "../support/tools";

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

describe("npm run demo", () => {
  test("starts the three services with load (orders placed, some refused) and the responder in dry-run, starts a killed service again (pids.json kept current), and Ctrl-C stops everything cleanly", async () => {
    const base = (await freePort()) - 3; // a free neighbourhood is likely; the demo fails loudly if not
    const ports = localPorts(base);
    const logDir = mkdtempSync(path.join(os.tmpdir(), "demo-logs-"));
    const [promPort, amPort, blackboxPort, responderPort, pushgatewayPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const withMonitoring = toolAvailable("prometheus") && toolAvailable("prometheus-alertmanager");
    const demo = spawn(process.execPath, [path.join(ROOT, "dist/apps/demo/main.js")], {
      env: {
        PATH: process.env.PATH,
        DEMO_BASE_PORT: String(base),
        DEMO_RATE: "50",
        DEMO_LOG_DIR: logDir,
        DEMO_PROMETHEUS_PORT: String(promPort),
        DEMO_ALERTMANAGER_PORT: String(amPort),
        DEMO_BLACKBOX_PORT: String(blackboxPort),
        DEMO_RESPONDER_PORT: String(responderPort),
        DEMO_PUSHGATEWAY_PORT: String(pushgatewayPort),
        OTEL_SDK_DISABLED: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    demo.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    demo.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));
    try {
      await waitFor("the demo banner", async () => (out.includes("Demo services are up") ? true : undefined));
      expect(out).toContain(`http://127.0.0.1:${ports.order}`);
      const order = `http://127.0.0.1:${ports.order}`;
      const product = `http://127.0.0.1:${ports.product}`;
      // placed orders, refused invalid ones, and plain reads: the mix every dashboard panel needs
      await waitFor("orders placed and invalid requests refused", async () => {
        const text = await scrape(order);
        const placed = /^orders_created_total\{service_name="order"\} [1-9]/m.test(text);
        const refused = /http_route="\/orders",http_response_status_code="400"\} [1-9]/.test(text);
        return placed && refused ? true : undefined;
      });
      expect(await scrape(product)).toMatch(/http_route="\/products",http_response_status_code="200"\} [1-9]/);
      const prometheus = `http://127.0.0.1:${promPort}`;
      if (withMonitoring) {
        expect(out).toContain(`Prometheus:   ${prometheus}`);
        expect(out).toContain(`Alertmanager: http://127.0.0.1:${amPort}`);
        const rules = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as { data: { groups: unknown[] } };
        expect(rules.data.groups.length).toBeGreaterThan(5);
        expect(out).toContain(`Responder:    http://127.0.0.1:${responderPort}   (dry-run`);
        expect((await fetch(`http://127.0.0.1:${responderPort}/readyz`)).status).toBe(200);
      }

      // a killed service is started again, as the kubelet would, and the pids file follows
      const pidsFile = path.join(logDir, "pids.json");
      const before = JSON.parse(readFileSync(pidsFile, "utf8")) as Record<string, number>;
      process.kill(before.product as number, "SIGKILL");
      const after = await waitFor(
        "product started again",
        async () => {
          const pids = JSON.parse(readFileSync(pidsFile, "utf8")) as Record<string, number>;
          if (pids.product === before.product) return undefined;
          return (await fetch(`${product}/healthz`)).ok ? pids : undefined;
        },
        20_000,
      );
      expect(after.order).toBe(before.order);
      expect(out).toMatch(/demo: product exited \(SIGKILL\); starting it again in 1 s/);

      demo.kill("SIGINT");
      expect(await exited).toBe(0);
      await expect(fetch(`${order}/healthz`)).rejects.toThrow();
      await expect(fetch(`${product}/healthz`)).rejects.toThrow();
      if (withMonitoring) await expect(fetch(`http://127.0.0.1:${promPort}/-/ready`)).rejects.toThrow();
    } finally {
      // a graceful stop even when an assertion failed, so no service process outlives the test
      if (demo.exitCode === null) {
        demo.kill("SIGINT");
        const timer = setTimeout(() => demo.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
