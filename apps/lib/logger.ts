import { trace } from "@opentelemetry/api";
import SonicBoom from "sonic-boom";
import winston from "winston";
import TransportStream from "winston-transport";
import { ACCESS_LOG_MESSAGE, LOG_FIELDS, type ServiceName } from "../../contract";

export type Logger = winston.Logger;

/** The key winston (triple-beam) reads the finished line from. */
const MESSAGE = Symbol.for("message");

/** How long a line may wait for others before it is written out. */
const BATCH_MS = 50;

/**
 * Standard output through SonicBoom: asynchronous writes, so logging never blocks the event loop on
 * a pipe (container stdout is a pipe, and process.stdout writes to pipes synchronously on Linux).
 * Lines are handed over in batches at most BATCH_MS apart: each asynchronous write is a round trip
 * through libuv's thread pool costing tens of µs of CPU, many times what formatting a line costs, and
 * at a moderate request rate SonicBoom would make one per line.
 */
class BatchedStdout {
  private readonly boom = new SonicBoom({ fd: 1, sync: false });
  private batch: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  write(line: string): void {
    if (this.batch.push(line) === 1) this.timer = setTimeout(this.handOver, BATCH_MS);
  }

  /** Writes out everything buffered, synchronously. */
  flushSync(): void {
    clearTimeout(this.timer);
    this.handOver();
    this.boom.flushSync();
  }

  private readonly handOver = () => {
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const text = this.batch.join("");
    this.batch = [];
    this.boom.write(text);
  };
}

const DISCARD = { write: () => undefined };

/** Hands each formatted line to the sink. */
class SinkTransport extends TransportStream {
  constructor(private readonly sink: { write(line: string): unknown }) {
    super();
  }
  override log(info: Record<symbol, string>, next: () => void): void {
    this.sink.write(`${info[MESSAGE]}\n`);
    next();
  }
}

/**
 * One JSON object per line: timestamp, level, message, service_name, the active span's trace_id and
 * span_id, then the call's own fields.
 */
function formatLine(service: ServiceName, level: string, message: unknown, fields: Record<string, unknown>): string {
  const line: Record<string, unknown> = {
    [LOG_FIELDS.timestamp]: new Date().toISOString(),
    [LOG_FIELDS.level]: level,
    [LOG_FIELDS.message]: message,
    [LOG_FIELDS.service]: service,
  };
  if (fields[LOG_FIELDS.traceId] === undefined) {
    const context = trace.getActiveSpan()?.spanContext();
    if (context) {
      line[LOG_FIELDS.traceId] = context.traceId;
      line[LOG_FIELDS.spanId] = context.spanId;
    }
  }
  for (const key of Object.keys(fields)) {
    if (!(key in line)) line[key] = fields[key];
  }
  try {
    return JSON.stringify(line);
  } catch {
    // A circular or BigInt field must not lose the line: keep the fixed fields.
    return JSON.stringify({
      [LOG_FIELDS.timestamp]: line[LOG_FIELDS.timestamp],
      [LOG_FIELDS.level]: level,
      [LOG_FIELDS.message]: String(message),
      [LOG_FIELDS.service]: service,
      [LOG_FIELDS.traceId]: line[LOG_FIELDS.traceId] ?? fields[LOG_FIELDS.traceId],
      [LOG_FIELDS.spanId]: line[LOG_FIELDS.spanId] ?? fields[LOG_FIELDS.spanId],
      log_error: "fields not serializable",
    });
  }
}

/** The winston format: a single step, because each extra step of a format chain costs on every line. */
function jsonLine(service: ServiceName) {
  return winston.format((info) => {
    (info as unknown as Record<symbol, string>)[MESSAGE] = formatLine(service, info.level, info.message, info);
    return info;
  })();
}

export interface LoggerOptions {
  service: ServiceName;
  level: string;
  /** false: no line is formatted or written at all (LOGS_ENABLED=false). */
  enabled?: boolean;
  /** Where lines go, one per write; stdout (fd 1), in batches, by default. */
  sink?: { write(line: string): unknown };
}

/** Writes the one line every API request logs (message "request completed"). */
export type AccessLog = (fields: Record<string, unknown>) => void;

export interface ServiceLogger {
  logger: Logger;
  /**
   * The access log: the same line `logger.info` would write, formatted by the same function into the
   * same sink, minus winston's stream pipeline, which costs more than the formatting (µs per line).
   * Absent when logs are off or the level is above info.
   */
  accessLog?: AccessLog;
  /** Writes out what is buffered; call before the process exits. */
  flush(): void;
}

export function createLogger({ service, level, enabled = true, sink }: LoggerOptions): ServiceLogger {
  const stdout = sink || !enabled ? undefined : new BatchedStdout();
  const out = sink ?? stdout ?? DISCARD;
  const logger = winston.createLogger({
    level,
    silent: !enabled,
    format: jsonLine(service),
    transports: [new SinkTransport(out)],
  });
  const accessLog: AccessLog = (fields) => out.write(`${formatLine(service, "info", ACCESS_LOG_MESSAGE, fields)}\n`);
  return {
    logger,
    accessLog: enabled && logger.isInfoEnabled() ? accessLog : undefined,
    flush() {
      try {
        stdout?.flushSync();
      } catch {
        // EAGAIN on a full pipe: what cannot be written now is lost either way at exit.
      }
    },
  };
}
