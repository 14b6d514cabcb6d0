import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ConfigError, intVar, numberVar, parseEnv } from "../lib/config";
import {
  dependencyUrlEnv,
  LOCAL_BASE_PORT,
  LOG_ENV,
  localPorts,
  OTLP_HTTP_PORT,
  PATHS,
  SERVICE_NAMES,
  TRACES_KEPT_PERCENTAGE_ENV,
} from "../../contract";
import { alertmanagerConfig } from "../../infra/alerting/alertmanager";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { loadStackConfig } from "../../infra/config/stack-file";
import { namespaces } from "../../infra/platform/naming";
import { blackboxConfig } from "../../infra/probes/modules";
import { PROBE_JOBS, probeObjects } from "../../infra/probes/probes";
import { probeScrapeConfig } from "../../infra/probes/scrape-config";
import { startLoad, summarize } from "./load";
import { Supervisor } from "./supervisor";
import { type DemoResponder, demoResponder } from "./responder";
import {
  type BlackboxExporter,
  blackboxExporterInstalled,
  type MonitoringStack,
  monitoringToolsInstalled,
  type Pushgateway,
  pushgatewayInstalled,
  startBlackboxExporter,
  startMonitoringStack,
  startPushgateway,
} from "./monitoring-stack";

const demoEnv = z.object({
  DEMO_BASE_PORT: intVar(1024, 65_000, LOCAL_BASE_PORT),
  /** Requests per second of the built-in load; 0 turns it off. */
  DEMO_RATE: intVar(0, 500, 10),
  /** Stop by itself after this many seconds (0: run until Ctrl-C). */
  DEMO_DURATION_S: intVar(0, 86_400, 0),
  DEMO_LOG_DIR: z.string().default(path.resolve(__dirname, "../../../out/demo")),
  /** Where Prometheus and Alertmanager listen when they are installed; MONITORING=off skips them. */
  DEMO_PROMETHEUS_PORT: intVar(1024, 65_535, 9090),
  DEMO_ALERTMANAGER_PORT: intVar(1024, 65_535, 9093),
  /** The blackbox exporter (probes of the dev stack), when installed and monitoring is on. */
  DEMO_BLACKBOX_PORT: intVar(1024, 65_535, 9115),
  /** The Pushgateway the chaos runner pushes its results to, when installed and monitoring is on. */
  DEMO_PUSHGATEWAY_PORT: intVar(1024, 65_535, 9091),
  /** The alert responder of the dev stack, in dry-run, when monitoring is on. */
  DEMO_RESPONDER_PORT: intVar(1024, 65_535, 9096),
  DEMO_MONITORING: z.enum(["auto", "off"], { error: "must be auto or off" }).default("auto"),
  /**
   * The share of traces a collector would keep (prod: 10): the services sample their access lines and
   * exemplars with the collector's rule at this share, as in a stack with logs.sampleAccessLogs.
   */
  DEMO_SAMPLING_PERCENTAGE: numberVar(0, 100, 100),
});

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url + PATHS.health)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("did not become healthy within 10 s");
}

async function main(): Promise<void> {
  let env: z.infer<typeof demoEnv>;
  try {
    env = parseEnv(demoEnv, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`demo: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const ports = localPorts(env.DEMO_BASE_PORT);
  const url = (name: keyof typeof ports) => `http://127.0.0.1:${ports[name]}`;
  const adminToken = process.env.ADMIN_TOKEN || randomBytes(16).toString("hex");
  const otlp = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || `http://127.0.0.1:${OTLP_HTTP_PORT}`;
  mkdirSync(env.DEMO_LOG_DIR, { recursive: true });

  // a service that dies is started again, as the kubelet would (chaos experiments kill them on purpose)
  const supervisor = new Supervisor(path.join(env.DEMO_LOG_DIR, "pids.json"), (name, code, signal, delayMs) =>
    process.stderr.write(
      `demo: ${name} exited (${signal ?? `code ${code}`}); starting it again in ${delayMs / 1000} s (see its log)\n`,
    ),
  );
  for (const name of ["user", "product", "order"] as const) {
    supervisor.start({
      name,
      script: path.resolve(__dirname, "..", name, "main.js"),
      logFile: path.join(env.DEMO_LOG_DIR, `${name}.log`),
      env: {
        ...process.env,
        PORT: String(ports[name]),
        ADMIN_TOKEN: adminToken,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
        DEPLOYMENT_ENVIRONMENT: process.env.DEPLOYMENT_ENVIRONMENT || "local",
        [LOG_ENV.samplingPercentage]: String(env.DEMO_SAMPLING_PERCENTAGE),
        [TRACES_KEPT_PERCENTAGE_ENV]: String(env.DEMO_SAMPLING_PERCENTAGE),
        [dependencyUrlEnv("user")]: url("user"),
        [dependencyUrlEnv("product")]: url("product"),
      },
    });
  }

  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    load?.stop();
    process.stdout.write("\nstopping the services...\n");
    await responder?.stop();
    await monitoring?.stop();
    await prober?.stop();
    await pushgateway?.stop();
    await supervisor.stopAll();
    if (load) process.stdout.write(`load: ${summarize(load.stats)}\n`);
    process.exit(code);
  };
  let load: ReturnType<typeof startLoad> | undefined;
  let monitoring: MonitoringStack | undefined;
  let prober: BlackboxExporter | undefined;
  let responder: DemoResponder | undefined;
  let pushgateway: Pushgateway | undefined;
  process.once("SIGINT", () => void stopAll(0));
  process.once("SIGTERM", () => void stopAll(0));
  try {
    await Promise.all(SERVICE_NAMES.map((name) => waitHealthy(url(name), supervisor.get(name) as ChildProcess)));
  } catch (err) {
    process.stderr.write(`demo: a service did not start: ${(err as Error).message}\n`);
    await stopAll(1);
    return;
  }

  // Prometheus and Alertmanager with the dev stack's generated rules and routes, when installed.
  let monitoringLines = [
    "Prometheus/Alertmanager: not installed (apt-get install prometheus prometheus-alertmanager).",
  ];
  if (env.DEMO_MONITORING === "auto" && monitoringToolsInstalled()) {
    const dev = loadStackConfig("dev");
    const rules = ruleGroupsFor(dev, namespaces(dev));
    try {
      // the dev stack's Probes, pointed at these processes and a local exporter with the chart's modules
      if (blackboxExporterInstalled()) prober = await startBlackboxExporter(blackboxConfig(), env.DEMO_BLACKBOX_PORT);
      if (pushgatewayInstalled()) pushgateway = await startPushgateway(namespaces(dev), env.DEMO_PUSHGATEWAY_PORT);
      const probes = prober
        ? probeObjects({
            probes: dev.probes,
            namespaces: namespaces(dev),
            labels: {},
            endpoints: { serviceUrl: url, prober: prober.address },
          })
        : [];
      responder = await demoResponder({
        config: dev,
        namespaces: namespaces(dev),
        rules,
        port: env.DEMO_RESPONDER_PORT,
        logDir: env.DEMO_LOG_DIR,
      });
      monitoring = await startMonitoringStack({
        targets: Object.fromEntries(SERVICE_NAMES.map((name) => [name, `127.0.0.1:${ports[name]}`])),
        namespaces: namespaces(dev),
        rules,
        alertmanagerConfig: alertmanagerConfig({ responder: responder.receiver }),
        ports: { prometheus: env.DEMO_PROMETHEUS_PORT, alertmanager: env.DEMO_ALERTMANAGER_PORT },
        scrapeInterval: "5s",
        environment: "local",
        extraScrapeConfigs: [
          ...probes.map(probeScrapeConfig),
          responder.scrapeConfig,
          ...(pushgateway ? [pushgateway.scrapeConfig] : []),
        ],
      });
      await responder.start(monitoring.prometheusUrl);
      monitoringLines = [
        `Prometheus:   ${monitoring.prometheusUrl}   (generated rules of the dev stack: SLOs, alerts, aggregates)`,
        `Alertmanager: ${monitoring.alertmanagerUrl}   (generated routes; no human webhooks configured)`,
        `Responder:    ${responder.url}   (dry-run: decides, logs and counts, changes nothing; decisions in ${env.DEMO_LOG_DIR}/responder.log; the Kubernetes API is a local stand-in holding the dev Deployments)`,
        prober
          ? `Blackbox:     http://${prober.address}   (the dev stack's probes: jobs ${Object.values(PROBE_JOBS).join(", ")})`
          : "Blackbox exporter: not installed (apt-get install prometheus-blackbox-exporter): no probes.",
        pushgateway
          ? `Pushgateway:  ${pushgateway.url}   (chaos game-day results: npm run chaos -- all --target local)`
          : "Pushgateway: not installed (apt-get install prometheus-pushgateway): chaos results are not kept.",
      ];
    } catch (err) {
      await responder?.stop();
      responder = undefined;
      await monitoring?.stop();
      monitoring = undefined;
      await prober?.stop();
      prober = undefined;
      await pushgateway?.stop();
      pushgateway = undefined;
      monitoringLines = [`Prometheus/Alertmanager did not start: ${(err as Error).message.split("\n")[0]}`];
    }
  } else if (env.DEMO_MONITORING === "off") {
    monitoringLines = [];
  }

  process.stdout.write(
    [
      "Demo services are up:",
      ...SERVICE_NAMES.map((name) => `  ${name.padEnd(8)} ${url(name)}   (metrics: ${url(name)}${PATHS.metrics})`),
      ...monitoringLines,
      `Logs (JSON lines): ${env.DEMO_LOG_DIR}/<service>.log` +
        (env.DEMO_SAMPLING_PERCENTAGE < 100
          ? ` (access lines and exemplars of ${env.DEMO_SAMPLING_PERCENTAGE} % of the traces, by the collector's rule; errors and slow requests always)`
          : ""),
      `Traces are exported to ${otlp} (set OTEL_EXPORTER_OTLP_ENDPOINT to point elsewhere).`,
      `Admin token for ${PATHS.adminFaults}: ${process.env.ADMIN_TOKEN ? "(from ADMIN_TOKEN)" : adminToken}`,
      "Try:",
      `  curl -s ${url("product")}/products`,
      `  curl -s -X POST ${url("order")}/orders -H 'content-type: application/json' \\`,
      `       -d '{"userId":"u-1001","items":[{"productId":"p-1001","quantity":1}]}'`,
      `  curl -s -X PUT ${url("product")}${PATHS.adminFaults} -H "authorization: Bearer ${process.env.ADMIN_TOKEN ? "$ADMIN_TOKEN" : adminToken}" \\`,
      `       -H 'content-type: application/json' -d '{"errorRate":0.5}'`,
      "  (or -d '{\"unready\":true}': the readiness probe fails, ServiceProbeFailing fires and the responder's dry-run restart shows in its log)",
      env.DEMO_RATE > 0
        ? `Load generator: ${env.DEMO_RATE} requests/s. Ctrl-C stops everything.`
        : "Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );

  if (env.DEMO_RATE > 0) {
    load = startLoad({ order: url("order"), product: url("product"), user: url("user") }, env.DEMO_RATE);
    const report = setInterval(
      () => process.stdout.write(`load: ${summarize(load?.stats ?? { sent: 0, byStatus: new Map(), failed: 0 })}\n`),
      10_000,
    );
    report.unref();
  }
  if (env.DEMO_DURATION_S > 0) setTimeout(() => void stopAll(0), env.DEMO_DURATION_S * 1000);
}

void main();
