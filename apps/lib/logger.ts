import { trace } from "@opentelemetry/api";
import SonicBoom from "sonic-boom";
import winston from "winston";
import TransportStream from "winston-transport";
import { LOG_FIELDS, type ServiceName } from "./contract";

export type Logger = winston.Logger;

/** The key winston (triple-beam) reads the finished line from. */
const MESSAGE = Symbol.for("message");

/**
 * Writes each formatted line to a SonicBoom sink: asynchronous writes that coalesce while one is in
 * flight, so logging never blocks the event loop on a pipe (container stdout is a pipe, and
 * process.stdout writes to pipes synchronously on Linux).
 */
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
 * span_id, then the call's own fields. A single format step, because each extra step of a winston
 * format chain costs on every line.
 */
function jsonLine(service: ServiceName) {
  return winston.format((info) => {
    const line: Record<string, unknown> = {
      [LOG_FIELDS.timestamp]: new Date().toISOString(),
      [LOG_FIELDS.level]: info.level,
      [LOG_FIELDS.message]: info.message,
      [LOG_FIELDS.service]: service,
    };
    if (info[LOG_FIELDS.traceId] === undefined) {
      const context = trace.getActiveSpan()?.spanContext();
      if (context) {
        line[LOG_FIELDS.traceId] = context.traceId;
        line[LOG_FIELDS.spanId] = context.spanId;
      }
    }
    for (const key of Object.keys(info)) {
      if (!(key in line)) line[key] = info[key];
    }
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      // A circular or BigInt field must not lose the line: keep the fixed fields.
      text = JSON.stringify({
        [LOG_FIELDS.timestamp]: line[LOG_FIELDS.timestamp],
        [LOG_FIELDS.level]: info.level,
        [LOG_FIELDS.message]: String(info.message),
        [LOG_FIELDS.service]: service,
        [LOG_FIELDS.traceId]: line[LOG_FIELDS.traceId] ?? info[LOG_FIELDS.traceId],
        [LOG_FIELDS.spanId]: line[LOG_FIELDS.spanId] ?? info[LOG_FIELDS.spanId],
        log_error: "fields not serializable",
      });
    }
    (info as unknown as Record<symbol, string>)[MESSAGE] = text;
    return info;
  })();
}

export interface LoggerOptions {
  service: ServiceName;
  level: string;
  /** Where lines go; stdout (fd 1) by default. */
  sink?: { write(line: string): unknown };
}

export interface ServiceLogger {
  logger: Logger;
  /** Writes out what is buffered; call before the process exits. */
  flush(): void;
}

export function createLogger({ service, level, sink }: LoggerOptions): ServiceLogger {
  const boom = sink ? undefined : new SonicBoom({ fd: 1, sync: false });
  const logger = winston.createLogger({
    level,
    format: jsonLine(service),
    transports: [new SinkTransport(sink ?? (boom as SonicBoom))],
  });
  return {
    logger,
    flush() {
      try {
        boom?.flushSync();
      } catch {
        // EAGAIN on a full pipe: what cannot be written now is lost either way at exit.
      }
    },
  };
}
