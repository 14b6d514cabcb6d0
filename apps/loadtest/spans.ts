/**
 * Spans the services export, counted per stage by their start times. The services export OTLP/HTTP
 * protobuf, as deployed (so the bytes per span are the collector's real intake); counting needs only
 * the start time of each span, read with a minimal protobuf field walker. JSON exports are read too.
 */
import { gunzipSync } from "node:zlib";
import type { ReceivedExport } from "../bench/sink";
import type { SpanVolume } from "./result";

type Visit = (field: number, wireType: number, start: number, end: number) => void;

function varint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let shift = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const byte = buf[i] as number;
    value += (byte & 0x7f) * shift;
    if (byte < 0x80) return [value, i + 1];
    shift *= 128;
  }
  throw new Error("truncated varint");
}

/** Calls `visit` for each field of the message in buf[start, end). */
function fields(buf: Buffer, start: number, end: number, visit: Visit): void {
  let pos = start;
  while (pos < end) {
    const [key, afterKey] = varint(buf, pos);
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    let valueEnd: number;
    let valueStart = afterKey;
    if (wireType === 0) valueEnd = varint(buf, afterKey)[1];
    else if (wireType === 1) valueEnd = afterKey + 8;
    else if (wireType === 5) valueEnd = afterKey + 4;
    else if (wireType === 2) {
      const [length, afterLength] = varint(buf, afterKey);
      valueStart = afterLength;
      valueEnd = afterLength + length;
    } else throw new Error(`unsupported protobuf wire type ${wireType}`);
    if (valueEnd > end) throw new Error("truncated protobuf message");
    visit(field, wireType, valueStart, valueEnd);
    pos = valueEnd;
  }
}

/** Fields of opentelemetry/proto/trace/v1 (ExportTraceServiceRequest ⊃ ResourceSpans ⊃ ScopeSpans ⊃ Span). */
const PROTO = { resourceSpans: 1, scopeSpans: 2, spans: 2, startTimeUnixNano: 7 } as const;
const LENGTH_DELIMITED = 2;
const FIXED64 = 1;

/** Start times (ms since the epoch) of the spans of an ExportTraceServiceRequest in protobuf. */
export function spanStartsProtobuf(buf: Buffer): number[] {
  const starts: number[] = [];
  const nested =
    (field: number, inner: Visit): Visit =>
    (f, wire, s, e) => {
      if (f === field && wire === LENGTH_DELIMITED) fields(buf, s, e, inner);
    };
  const span: Visit = (f, wire, s, e) => {
    if (f !== PROTO.spans || wire !== LENGTH_DELIMITED) return;
    let startMs = Number.NaN;
    fields(buf, s, e, (g, w, vs) => {
      if (g === PROTO.startTimeUnixNano && w === FIXED64) startMs = Number(buf.readBigUInt64LE(vs) / 1_000_000n);
    });
    starts.push(startMs);
  };
  fields(buf, 0, buf.length, nested(PROTO.resourceSpans, nested(PROTO.scopeSpans, span)));
  return starts;
}

interface JsonExport {
  resourceSpans?: { scopeSpans?: { spans?: { startTimeUnixNano?: string | number }[] }[] }[];
}

/** Start times (ms since the epoch) of the spans of an ExportTraceServiceRequest in OTLP/JSON. */
export function spanStartsJson(text: string): number[] {
  const body = JSON.parse(text) as JsonExport;
  return (body.resourceSpans ?? []).flatMap((rs) =>
    (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) =>
        s.startTimeUnixNano === undefined ? Number.NaN : Number(BigInt(s.startTimeUnixNano) / 1_000_000n),
      ),
    ),
  );
}

/**
 * Spans and OTLP bytes per stage. A span belongs to the last stage started at or before its start
 * (a stage's stragglers finish before the next one starts); spans before the first stage (warm-up)
 * are left out. An export's bytes are shared among its spans.
 */
export class SpanLedger {
  private readonly stageStartsMs: number[] = [];
  private readonly spans: number[] = [];
  private readonly bytes: number[] = [];
  /** Exports that could not be read (counted, never thrown: the sink must keep answering). */
  unreadable = 0;

  /** Called right before the stage's first request; stages start in order. */
  startStage(index: number, atMs: number): void {
    this.stageStartsMs[index] = atMs;
    this.spans[index] = 0;
    this.bytes[index] = 0;
  }

  add(received: ReceivedExport): void {
    if (!received.path.endsWith("/v1/traces")) return;
    try {
      const gzip = String(received.headers["content-encoding"] ?? "").includes("gzip");
      const body = gzip ? gunzipSync(received.body) : received.body;
      const json = String(received.headers["content-type"] ?? "").includes("json");
      const starts = json ? spanStartsJson(body.toString("utf8")) : spanStartsProtobuf(body);
      const bytesPerSpan = starts.length > 0 ? received.body.length / starts.length : 0;
      for (const startMs of starts) {
        const stage = this.stageAt(startMs);
        if (stage < 0) continue;
        this.spans[stage] = (this.spans[stage] ?? 0) + 1;
        this.bytes[stage] = (this.bytes[stage] ?? 0) + bytesPerSpan;
      }
    } catch {
      this.unreadable++;
    }
  }

  private stageAt(startMs: number): number {
    for (let i = this.stageStartsMs.length - 1; i >= 0; i--) {
      if (startMs >= (this.stageStartsMs[i] as number)) return i;
    }
    return -1;
  }

  /** The stage's span volume, per request of `requests` (the requests the load test had answered). */
  volume(index: number, requests: number): SpanVolume {
    const spans = this.spans[index] ?? 0;
    return {
      spans,
      spansPerRequest: requests > 0 ? spans / requests : 0,
      otlpBytesPerSpan: spans > 0 ? (this.bytes[index] ?? 0) / spans : 0,
    };
  }
}
