import { gzipSync } from "node:zlib";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { SpanLedger, spanStartsJson, spanStartsProtobuf } from "../../apps/loadtest/spans";

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

/** An epoch time: the SDK reads small numbers as performance.now() values instead. */
const T0 = 1_700_000_000_000;

/** Real, finished spans starting at T0 + the given ms, spread over two instrumentation scopes. */
function spansAt(offsetsMs: number[]): ReadableSpan[] {
  exporter.reset();
  offsetsMs.forEach((offset, i) => {
    const ms = T0 + offset;
    const span = provider.getTracer(i % 2 ? "scope-a" : "scope-b").startSpan(`span ${i}`, {
      startTime: ms,
      attributes: { "http.route": "/orders/:id", index: i },
    });
    span.end(ms + 3);
  });
  return exporter.getFinishedSpans();
}

const protobuf = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
const json = (spans: ReadableSpan[]) => Buffer.from(JsonTraceSerializer.serializeRequest(spans) as Uint8Array);
const traces = (body: Buffer, headers: Record<string, string> = {}) => ({
  path: "/v1/traces",
  headers: { "content-type": "application/x-protobuf", ...headers },
  body,
});

afterAll(() => provider.shutdown());

describe("reading span start times from OTLP exports", () => {
  const offsets = [123, 456, 1_000, 2_999];
  const starts = offsets.map((ms) => T0 + ms);

  test("protobuf as the SDK's exporter serializes it: every span, its start time to the millisecond", () => {
    expect(spanStartsProtobuf(protobuf(spansAt(offsets))).sort()).toEqual(starts);
  });

  test("OTLP/JSON likewise", () => {
    expect(spanStartsJson(json(spansAt(offsets)).toString("utf8")).sort()).toEqual(starts);
  });

  test("an empty export has no spans; a truncated one is an error, not a wrong count", () => {
    expect(spanStartsProtobuf(Buffer.alloc(0))).toEqual([]);
    const body = protobuf(spansAt(offsets));
    expect(() => spanStartsProtobuf(body.subarray(0, body.length - 7))).toThrow(/truncated/);
  });
});

describe("spans per stage", () => {
  test("each span goes to the last stage started at or before it; warm-up spans are left out", () => {
    const ledger = new SpanLedger();
    ledger.add(traces(protobuf(spansAt([900, 950])))); // warm-up: before any stage
    ledger.startStage(0, T0 + 1_000);
    ledger.add(traces(protobuf(spansAt([1_000, 1_500, 1_999]))));
    ledger.startStage(1, T0 + 2_000);
    // one export straddling both stages, as the batch processor sends them
    const straddling = protobuf(spansAt([1_998, 2_000, 2_500, 3_100]));
    ledger.add(traces(straddling));
    expect(ledger.volume(0, 10)).toMatchObject({ spans: 4, spansPerRequest: 0.4 });
    expect(ledger.volume(1, 6)).toMatchObject({ spans: 3, spansPerRequest: 0.5 });
    expect(ledger.volume(1, 6).otlpBytesPerSpan).toBeCloseTo(straddling.length / 4, 9);
    expect(ledger.unreadable).toBe(0);
  });

  test("bytes per span are the bytes on the wire (gzip as sent), shared among the export's spans", () => {
    const ledger = new SpanLedger();
    ledger.startStage(0, T0);
    const body = gzipSync(protobuf(spansAt([10, 20, 30])));
    ledger.add(traces(body, { "content-encoding": "gzip" }));
    expect(ledger.volume(0, 3)).toEqual({ spans: 3, spansPerRequest: 1, otlpBytesPerSpan: body.length / 3 });
  });

  test("JSON exports count too; metrics and logs exports are ignored; unreadable ones are counted, never thrown", () => {
    const ledger = new SpanLedger();
    ledger.startStage(0, T0);
    ledger.add({ ...traces(json(spansAt([5, 6]))), headers: { "content-type": "application/json" } });
    ledger.add({ ...traces(protobuf(spansAt([7]))), path: "/v1/metrics" });
    ledger.add(traces(Buffer.from([0x0a, 0xff, 0xff])));
    expect(ledger.volume(0, 1).spans).toBe(2);
    expect(ledger.unreadable).toBe(1);
  });

  test("a stage without spans or requests reports zeros, not NaN", () => {
    const ledger = new SpanLedger();
    ledger.startStage(0, T0);
    expect(ledger.volume(0, 0)).toEqual({ spans: 0, spansPerRequest: 0, otlpBytesPerSpan: 0 });
  });
});
