import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { freePort, waitFor } from "./net";

/**
 * `npm run bench:telemetry`: what the services' telemetry costs. Runs product as a process twice —
 * tracing off (OTEL_SDK_DISABLED) and on (every request sampled, exported to a local OTLP sink) — under
 * the same fixed request rate (autocannon corrects coordinated omission), and prints the server CPU per
 * request (from its own process_cpu_seconds_total) and latency percentiles. Metrics and logs are on in
 * both runs. Loopback only; bounded in time.
 */

interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
const autocannon = require("autocannon") as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const RATE = Number(process.env.BENCH_RATE ?? 400);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);

async function otlpSink(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/x-protobuf" }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

async function cpuSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^process_cpu_seconds_total\{[^}]*\} (\S+)$/m.exec(text)?.[1]);
}

async function measure(label: string, env: Record<string, string>) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [path.resolve(__dirname, "..", "product", "main.js")], {
    env: { PATH: process.env.PATH, PORT: String(port), LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    await waitFor("product", async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined));
    const target = `${url}/products/p-1001`;
    await autocannon({ url: target, connections: 8, duration: 3, overallRate: RATE }); // warm-up (JIT)
    const before = await cpuSeconds(url);
    const result = await autocannon({ url: target, connections: 8, duration: SECONDS, overallRate: RATE });
    const cpu = (await cpuSeconds(url)) - before;
    return {
      label,
      requests: result.requests.total,
      cpuPerRequestUs: (cpu / result.requests.total) * 1e6,
      p50: result.latency.p50,
      p99: result.latency.p99,
      failed: result.non2xx + result.errors,
    };
  } finally {
    child.kill("SIGKILL");
  }
}

async function main() {
  const sink = await otlpSink();
  try {
    const off = await measure("tracing off", { OTEL_SDK_DISABLED: "true" });
    const on = await measure("tracing on (100% sampled)", {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_TRACES_SAMPLER: "always_on",
    });
    const sampled = await measure("tracing on (10% sampled)", {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.1",
    });
    console.log(`GET /products/:id at ${RATE} req/s for ${SECONDS} s (node ${process.version})`);
    console.log("setup                       requests  CPU/request  p50 ms  p99 ms  failed");
    for (const r of [off, on, sampled]) {
      console.log(
        `${r.label.padEnd(27)} ${String(r.requests).padStart(8)}  ${r.cpuPerRequestUs.toFixed(0).padStart(8)} µs  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${r.failed}`,
      );
    }
    const overhead = ((on.cpuPerRequestUs - off.cpuPerRequestUs) / off.cpuPerRequestUs) * 100;
    console.log(
      `tracing adds ${(on.cpuPerRequestUs - off.cpuPerRequestUs).toFixed(0)} µs CPU per request (${overhead.toFixed(1)}%)`,
    );
  } finally {
    sink.close();
  }
}

void main();
