import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import type { RuleGroup } from "../../infra/alerting/rules";
import { clusterRelabelConfig } from "../../infra/monitoring/scrape-class";
import { type Namespaces, PLATFORM_SERVICES } from "../../infra/platform/naming";
import { freePort, waitFor } from "./net";

export interface WebhookCall {
  receiver: string;
  authorization?: string;
  body: {
    status: string;
    receiver: string;
    alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  };
}

/** A webhook endpoint standing in for the pager, the ticket system and the heartbeat monitor. */
export async function startWebhookReceiver() {
  const calls: WebhookCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      calls.push({
        receiver: (req.url ?? "/").slice(1),
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Whether Debian's prometheus and prometheus-alertmanager are installed. */
export function monitoringToolsInstalled(): boolean {
  return ["prometheus", "prometheus-alertmanager"].every(
    (t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0,
  );
}

export interface MonitoringStack {
  prometheusUrl: string;
  alertmanagerUrl: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

const scrapeJob = (job: string, target: string, namespace: string) => ({
  job_name: job,
  static_configs: [{ targets: [target], labels: { namespace } }],
});

/** The cluster label of local runs (the demo, the live tests). */
export const LOCAL_CLUSTER = "local";

/** Every job gets the cluster label last, as the operator's default scrape class adds it to every target. */
function withClusterLabel(cluster: string, jobs: Record<string, unknown>[]): Record<string, unknown>[] {
  return jobs.map((job) => ({
    ...job,
    relabel_configs: [...((job.relabel_configs as unknown[] | undefined) ?? []), clusterRelabelConfig(cluster)],
  }));
}

/** SIGTERM, then SIGKILL after 5 s if the tool has not exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => resolve(clearTimeout(timer)));
  });
}

function launch(binary: string, args: string[], logs: string[]): ChildProcess {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (c) => logs.push(String(c)));
  child.stderr?.on("data", (c) => logs.push(String(c)));
  return child;
}

/**
 * A real Prometheus (1 s scrapes and evaluations, the generated rules) and a real Alertmanager (the
 * generated config) on loopback ports, in a temporary folder removed by stop().
 */
export async function startMonitoringStack(args: {
  /** Service targets by job; they get the `namespace` label the operator gives in-cluster targets. */
  targets: Record<string, string>;
  /** The environment's namespaces: the services' and (for Prometheus and Alertmanager themselves) the platform's. */
  namespaces: Namespaces;
  rules: RuleGroup[];
  alertmanagerConfig: Record<string, unknown>;
  /** Fixed ports (the demo's); free ones by default. */
  ports?: { prometheus: number; alertmanager: number };
  scrapeInterval?: string;
  environment?: string;
  /** The `cluster` label every scraped series gets, as the operator's default scrape class gives it in a cluster. */
  cluster?: string;
  /** More scrape configs, as written (e.g. the probe jobs of infra/probes/scrape-config.ts). */
  extraScrapeConfigs?: Record<string, unknown>[];
}): Promise<MonitoringStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "monitoring-"));
  const promPort = args.ports?.prometheus ?? (await freePort());
  const amPort = args.ports?.alertmanager ?? (await freePort());
  const interval = args.scrapeInterval ?? "1s";
  const logs: string[] = [];
  writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups: args.rules }));
  writeFileSync(path.join(dir, "alertmanager.yaml"), stringify(args.alertmanagerConfig));
  writeFileSync(
    path.join(dir, "prometheus.yaml"),
    stringify({
      global: {
        scrape_interval: interval,
        evaluation_interval: interval,
        external_labels: { environment: args.environment ?? "e2e" },
      },
      rule_files: [path.join(dir, "rules.yaml")],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
      scrape_configs: withClusterLabel(args.cluster ?? LOCAL_CLUSTER, [
        ...Object.entries(args.targets).map(([job, target]) => scrapeJob(job, target, args.namespaces.apps)),
        // named as the kube-prometheus-stack ServiceMonitors name their jobs, so dashboards read them alike
        scrapeJob(PLATFORM_SERVICES.prometheus.name, `127.0.0.1:${promPort}`, args.namespaces.platform),
        scrapeJob(PLATFORM_SERVICES.alertmanager.name, `127.0.0.1:${amPort}`, args.namespaces.platform),
        ...(args.extraScrapeConfigs ?? []),
      ]),
    }),
  );
  const alertmanager = launch(
    "prometheus-alertmanager",
    [
      `--config.file=${path.join(dir, "alertmanager.yaml")}`,
      `--storage.path=${path.join(dir, "am")}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      "--cluster.listen-address=",
    ],
    logs,
  );
  const prometheus = launch(
    "prometheus",
    [
      `--config.file=${path.join(dir, "prometheus.yaml")}`,
      `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      "--enable-feature=exemplar-storage",
      "--rules.alert.resend-delay=1s",
    ],
    logs,
  );
  const prometheusUrl = `http://127.0.0.1:${promPort}`;
  const alertmanagerUrl = `http://127.0.0.1:${amPort}`;
  const stop = async () => {
    for (const child of [prometheus, alertmanager]) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "Prometheus and Alertmanager to be ready",
      async () => {
        if (prometheus.exitCode !== null || alertmanager.exitCode !== null) throw new Error(logs.join(""));
        const [p, a] = await Promise.all([fetch(`${prometheusUrl}/-/ready`), fetch(`${alertmanagerUrl}/-/ready`)]);
        return p.ok && a.ok ? true : undefined;
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    prometheusUrl,
    alertmanagerUrl,
    async query(expr) {
      const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: never[] } };
      if (body.status !== "success") throw new Error(`query failed: ${expr}: ${body.error}`);
      return body.data.result;
    },
    stop,
  };
}

/** Whether Debian's prometheus-blackbox-exporter is installed. */
export function blackboxExporterInstalled(): boolean {
  return spawnSync("sh", ["-c", "command -v prometheus-blackbox-exporter"]).status === 0;
}

export interface BlackboxExporter {
  /** `host:port`, what a Probe's prober.url names. */
  address: string;
  stop(): Promise<void>;
}

/** A real blackbox exporter on a loopback port with the given configuration (its `modules`). */
export async function startBlackboxExporter(config: object, port?: number): Promise<BlackboxExporter> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "blackbox-"));
  const address = `127.0.0.1:${port ?? (await freePort())}`;
  writeFileSync(path.join(dir, "blackbox.yaml"), stringify(config));
  const logs: string[] = [];
  const child = launch(
    "prometheus-blackbox-exporter",
    [`--config.file=${path.join(dir, "blackbox.yaml")}`, `--web.listen-address=${address}`],
    logs,
  );
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("the blackbox exporter to be ready", async () => {
      if (child.exitCode !== null) throw new Error(logs.join(""));
      return (await fetch(`http://${address}/-/healthy`)).ok ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, stop };
}

/** Whether Debian's prometheus-pushgateway is installed. */
export function pushgatewayInstalled(): boolean {
  return spawnSync("sh", ["-c", "command -v prometheus-pushgateway"]).status === 0;
}

export interface Pushgateway {
  url: string;
  /** The scrape job Prometheus reads it with: `honor_labels`, so pushed `job`/`instance` labels stay. */
  scrapeConfig: Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * A real Pushgateway on a loopback port (in memory: nothing persisted), scraped as in a cluster: its own
 * job in the platform namespace, pushed labels kept.
 */
export async function startPushgateway(namespaces: Namespaces, port?: number): Promise<Pushgateway> {
  const address = `127.0.0.1:${port ?? (await freePort())}`;
  const logs: string[] = [];
  // Debian's build persists to one shared file by default: every run would read the last one's results
  const child = launch("prometheus-pushgateway", [`--web.listen-address=${address}`, "--persistence.file="], logs);
  const url = `http://${address}`;
  const stop = () => stopChild(child);
  try {
    await waitFor("the Pushgateway to be ready", async () => {
      if (child.exitCode !== null) throw new Error(logs.join(""));
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    scrapeConfig: {
      job_name: PLATFORM_SERVICES.pushgateway.name,
      honor_labels: true,
      static_configs: [{ targets: [address], labels: { namespace: namespaces.platform } }],
    },
    stop,
  };
}
