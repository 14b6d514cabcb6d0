/**
 * CPU per span of the OpenTelemetry SDK as the services use it, measured in one process without HTTP
 * around it: a SERVER span continued from a traceparent with the attributes the middleware sets, and
 * a CLIENT child with its context injected into headers. Twice: spans recorded and dropped (no span
 * processor), and spans batched and exported as OTLP/protobuf to a local sink (the sink's own work —
 * reading the body — is included and small). Run as its own process: it registers the SDK globally.
 */
import { execFileSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import { startTelemetry } from "../lib/telemetry";

export interface SpanCost {
  spans: number;
  /** µs of process CPU per span, recorded and dropped. */
  recordUs: number;
  /** µs of process CPU per span, recorded, batched and exported. */
  recordAndExportUs: number;
  exportBytesPerSpan: number;
}

const SERVER_ATTRIBUTES = {
  "http.request.method": "POST",
  "url.path": "/orders",
  "url.scheme": "http",
  "server.address": "order",
  "server.port": 8080,
};
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

async function measure(pairs: number): Promise<number> {
  const tracer = trace.getTracer("span-cost");
  const once = () => {
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent: TRACEPARENT });
    const server = tracer.startSpan("POST", { kind: SpanKind.SERVER }, parent);
    server.setAttributes(SERVER_ATTRIBUTES);
    const active = trace.setSpan(parent, server);
    context.with(active, () => {
      const client = tracer.startSpan("GET", { kind: SpanKind.CLIENT }, active);
      client.setAttributes({ "http.request.method": "GET", "url.full": "http://user/users/u-1001" });
      const headers: Record<string, string> = {};
      propagation.inject(trace.setSpan(active, client), headers);
      client.setAttribute("http.response.status_code", 200);
      client.end();
    });
    server.updateName("POST /orders");
    server.setAttribute("http.route", "/orders");
    server.setAttribute("http.response.status_code", 201);
    server.end();
  };
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      once();
      if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve)); // let the exporter run
    }
  };
  await run(Math.min(5_000, pairs)); // JIT warm-up
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = process.cpuUsage();
  await run(pairs);
  return cpuSince(before);
}

const cpuSince = (before: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(before);
  return used.user + used.system;
};

async function main(): Promise<void> {
  const pairs = Number(process.argv[2] ?? 20_000);
  let bytes = 0;
  const sink = http.createServer((req, res) => {
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on("end", () => res.writeHead(200, { "content-type": "application/x-protobuf" }).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const mode = process.argv[3];
  // The SDK reads its settings from the process environment. A queue that never overflows: a dropped
  // span would be a span whose export is not paid.
  Object.assign(process.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_TRACES_SAMPLER: "parentbased_always_on",
    OTEL_BSP_MAX_QUEUE_SIZE: "100000",
  });
  const telemetry = startTelemetry("order", process.env, mode === "record" ? { spanProcessors: [] } : {});
  let cpuUs = await measure(pairs);
  if (mode !== "record") {
    // The batches still queued are part of the cost: flush them inside the measurement.
    const before = process.cpuUsage();
    await telemetry.shutdown(10_000);
    cpuUs += cpuSince(before);
  } else {
    await telemetry.shutdown(1_000);
  }
  sink.close();
  // bytes cover the warm-up spans too
  const allSpans = (pairs + Math.min(5_000, pairs)) * 2;
  process.stdout.write(`${JSON.stringify({ spans: pairs * 2, cpuUs, bytesPerSpan: bytes / allSpans })}\n`);
}

/** Runs the measurement in child processes (it registers the SDK globally), recording only and with export. */
export function measureSpanCost(pairs = 20_000): SpanCost {
  const run = (mode: "record" | "export") => {
    const out = execFileSync(process.execPath, [__filename, String(pairs), mode], {
      encoding: "utf8",
      timeout: 120_000,
    });
    return JSON.parse(out.trim().split("\n").pop() as string) as { spans: number; cpuUs: number; bytesPerSpan: number };
  };
  const record = run("record");
  const exported = run("export");
  return {
    spans: record.spans,
    recordUs: Math.round((record.cpuUs / record.spans) * 10) / 10,
    recordAndExportUs: Math.round((exported.cpuUs / exported.spans) * 10) / 10,
    exportBytesPerSpan: Math.round(exported.bytesPerSpan),
  };
}

if (require.main === module) void main();
