import http from "node:http";
import type { AddressInfo } from "node:net";

/** What an OTLP sink has received so far. */
export interface SinkCounts {
  requests: number;
  bytes: number;
}

export interface OtlpSink {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  counts: SinkCounts;
  close(): Promise<void>;
}

/** One export request as received, for a caller that looks inside (the load test counts spans). */
export interface ReceivedExport {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A local OTLP/HTTP receiver that accepts every export (traces, metrics, logs; protobuf or JSON),
 * reads the body and throws it away (after `onExport`, when given): the services pay the real export
 * cost, nothing is stored.
 * An empty 200 answer is a valid, fully successful Export*ServiceResponse in both encodings.
 */
export async function startOtlpSink(options: { onExport?: (export_: ReceivedExport) => void } = {}): Promise<OtlpSink> {
  const counts: SinkCounts = { requests: 0, bytes: 0 };
  const { onExport } = options;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      counts.bytes += chunk.length;
      if (onExport) chunks.push(chunk);
    });
    req.on("end", () => {
      counts.requests++;
      onExport?.({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
      const json = (req.headers["content-type"] ?? "").includes("json");
      res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" });
      res.end(json ? "{}" : undefined);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
