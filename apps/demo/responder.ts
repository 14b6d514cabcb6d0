import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PATHS, RESPONDER_ENV, RESPONDER_NAME, RESPONDER_PATHS, SERVICE_NAMES } from "../../contract";
import type { ResponderReceiver } from "../../infra/alerting/alertmanager";
import { holdQueryOf } from "../../infra/alerting/playbook";
import { ALERT_NAMES, type RuleGroup } from "../../infra/alerting/rules";
import type { StackConfig } from "../../infra/config/schema";
import type { Namespaces } from "../../infra/platform/naming";
import { guardrailEnv } from "../../infra/responder/env";
import { deploymentObject, FakeKubeApi, hpaObject } from "./kube-api-stand-in";
import { waitFor } from "./net";

export interface DemoResponder {
  url: string;
  /** What Alertmanager's responder receiver needs. */
  receiver: ResponderReceiver;
  /** The scrape job of the responder, named and labelled as its ServiceMonitor is in a cluster. */
  scrapeConfig: Record<string, unknown>;
  /** Starts the process once Prometheus is up (the hold check and the effect check query it). */
  start(prometheusUrl: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The responder of the dev stack in dry-run, next to the demo services: the stack's playbook and guardrails,
 * a local stand-in of the Kubernetes API holding the dev Deployments and HPAs (dry-run only reads them), and
 * its decisions in `<logDir>/responder.log`. The demo runs no Loki, so LokiUnhealthy is left out of the
 * hold query; every other hold applies as in a cluster.
 */
export async function demoResponder(args: {
  config: StackConfig;
  namespaces: Namespaces;
  rules: RuleGroup[];
  port: number;
  logDir: string;
}): Promise<DemoResponder> {
  const { config, namespaces: ns, port, logDir } = args;
  const serviceAccountToken = randomBytes(16).toString("hex");
  const kube = new FakeKubeApi(ns.apps, serviceAccountToken);
  for (const service of SERVICE_NAMES) {
    const { replicas, maxReplicas } = config.services[service];
    kube.put("deployments", deploymentObject(service, { replicas }));
    kube.put("horizontalpodautoscalers", hpaObject(service, { min: replicas, max: maxReplicas, current: replicas }));
  }
  const kubeUrl = await kube.start();
  const dir = mkdtempSync(path.join(os.tmpdir(), "demo-responder-"));
  writeFileSync(path.join(dir, "token"), serviceAccountToken, { mode: 0o600 });
  const token = randomBytes(24).toString("hex");
  const url = `http://127.0.0.1:${port}`;
  const withoutLoki = args.rules.map((g) => ({
    ...g,
    rules: g.rules.filter((r) => r.alert !== ALERT_NAMES.lokiUnhealthy),
  }));
  let child: ChildProcess | undefined;

  return {
    url,
    receiver: { url: `${url}${RESPONDER_PATHS.alerts}`, token },
    scrapeConfig: {
      job_name: RESPONDER_NAME,
      static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { namespace: ns.platform } }],
    },
    async start(prometheusUrl) {
      child = spawn(process.execPath, [path.resolve(__dirname, "..", RESPONDER_NAME, "main.js")], {
        env: {
          ...process.env,
          ...guardrailEnv(config, ns),
          PORT: String(port),
          [RESPONDER_ENV.mode]: "dry-run",
          [RESPONDER_ENV.token]: token,
          [RESPONDER_ENV.holdQuery]: holdQueryOf(withoutLoki, ns.apps, config.responder.holdWhenServicesBurning),
          [RESPONDER_ENV.prometheusUrl]: prometheusUrl,
          [RESPONDER_ENV.kubernetesApiUrl]: kubeUrl,
          [RESPONDER_ENV.kubernetesTokenFile]: path.join(dir, "token"),
          OTEL_SERVICE_NAME: RESPONDER_NAME,
          // the fault and log-level admin API of the services layer stays off, as in a cluster
          ADMIN_TOKEN: "",
        },
        stdio: ["ignore", "pipe", "inherit"],
      });
      child.stdout?.pipe(createWriteStream(path.join(logDir, `${RESPONDER_NAME}.log`)));
      const started = child;
      await waitFor("the responder to be ready", async () => {
        if (started.exitCode !== null) throw new Error(`the responder exited with code ${started.exitCode}`);
        return (await fetch(`${url}${PATHS.ready}`)).ok ? true : undefined;
      });
    },
    async stop() {
      const running = child;
      if (running && running.exitCode === null && running.signalCode === null) {
        await new Promise<void>((resolve) => {
          const kill = setTimeout(() => running.kill("SIGKILL"), 10_000);
          running.once("exit", () => resolve(clearTimeout(kill)));
          running.kill("SIGTERM");
        });
      }
      await kube.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
