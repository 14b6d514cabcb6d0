import { trace } from "@opentelemetry/api";
import SonicBoom from "sonic-boom";
import winston from "winston";
import TransportStream from "winston-transport";
import type { LogLevel } from "../../contract";
import { ACCESS_LOG_MESSAGE, type AppName, LOG_FIELDS } from "../../contract";
import { AccessLogSampler } from "./log-sampling";

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

/** Lines and bytes written so far (and access lines left out by sampling); exported as metrics. */
export interface LogStats {
  accessWritten: number;
  accessSampledOut: number;
  accessBytes: number;
  eventLines: number;
  eventBytes: number;
}

/** Hands each formatted line to the sink. */
class SinkTransport extends TransportStream {
  constructor(
    private readonly sink: { write(line: string): unknown },
    private readonly stats: LogStats,
  ) {
    super();
  }
  override log(info: Record<symbol, string>, next: () => void): void {
    const line = `${info[MESSAGE]}\n`;
    this.stats.eventLines++;
    this.stats.eventBytes += line.length;
    this.sink.write(line);
    next();
  }
}

/**
 * One JSON object per line: timestamp, level, message, service_name, the active span's trace_id and
 * span_id, then the call's own fields.
 */
function formatLine(service: AppName, level: string, message: unknown, fields: Record<string, unknown>): string {
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
function jsonLine(service: AppName) {
  return winston.format((info) => {
    (info as unknown as Record<symbol, string>)[MESSAGE] = formatLine(service, info.level, info.message, info);
    return info;
  })();
}

export interface LoggerOptions {
  service: AppName;
  level: LogLevel;
  /** false: no line is formatted or written at all (LOGS_ENABLED=false). */
  enabled?: boolean;
  /** Where lines go, one per write; stdout (fd 1), in batches, by default. */
  sink?: { write(line: string): unknown };
  /** Access-log sampling; every line is written without it. */
  sampling?: { percentage: number; slowMs: number };
}

/**
 * Writes the one line every API request logs (message "request completed"), unless sampling leaves it
 * out; reads the trace id, status and duration from the line's own fields.
 */
export type AccessLog = (fields: Record<string, unknown>) => void;

/** The level in force, and the temporary one set through the admin API with its end. */
export interface LogLevelState {
  level: LogLevel;
  configuredLevel: LogLevel;
  /** ISO time the temporary level ends; absent when the configured level is in force. */
  until?: string;
  /** Percentage of successful, fast requests whose access line is written now (100 while a temporary level holds). */
  accessLogSamplingPercentage: number;
}

/** Changes the level for a bounded time, then goes back to the configured level and sampling. */
export interface LogLevelControl {
  state(): LogLevelState;
  setTemporary(level: LogLevel, durationMs: number): LogLevelState;
  restore(): LogLevelState;
}

export interface ServiceLogger {
  logger: Logger;
  /**
   * The access log: the same line `logger.info` would write, formatted by the same function into the
   * same sink, minus winston's stream pipeline, which costs more than the formatting (µs per line).
   * Absent when logs are off or the level is above info.
   */
  accessLog?: AccessLog;
  stats: LogStats;
  levels: LogLevelControl;
  /** Writes out what is buffered; call before the process exits. */
  flush(): void;
}

const SAMPLING_OFF = { percentage: 100, slowMs: Number.POSITIVE_INFINITY };

export function createLogger({ service, level, enabled = true, sink, sampling }: LoggerOptions): ServiceLogger {
  const stdout = sink || !enabled ? undefined : new BatchedStdout();
  const out = sink ?? stdout ?? DISCARD;
  const stats: LogStats = { accessWritten: 0, accessSampledOut: 0, accessBytes: 0, eventLines: 0, eventBytes: 0 };
  const logger = winston.createLogger({
    level,
    silent: !enabled,
    format: jsonLine(service),
    transports: [new SinkTransport(out, stats)],
  });
  const configured = new AccessLogSampler(sampling?.percentage ?? 100, sampling?.slowMs ?? SAMPLING_OFF.slowMs);
  const unsampled = new AccessLogSampler(100, SAMPLING_OFF.slowMs);
  // Read on every request: plain fields, updated only when the level changes.
  let sampler = configured;
  let infoEnabled = logger.isInfoEnabled();
  let until: Date | undefined;
  let revert: NodeJS.Timeout | undefined;
  const sampledFields = {
    [LOG_FIELDS.sampleRate]: configured.rate,
    [LOG_FIELDS.adjustedCount]: configured.rate > 0 ? Math.round(1e6 / configured.rate) / 1e6 : 0,
  };

  const accessLog: AccessLog = (fields) => {
    if (!infoEnabled) return;
    const decision = sampler.decide(
      fields[LOG_FIELDS.traceId] as string | undefined,
      fields[LOG_FIELDS.status] as number,
      fields[LOG_FIELDS.durationMs] as number,
    );
    if (!decision.write) {
      stats.accessSampledOut++;
      return;
    }
    const line = `${formatLine(service, "info", ACCESS_LOG_MESSAGE, decision.sampled ? { ...fields, ...sampledFields } : fields)}\n`;
    stats.accessWritten++;
    stats.accessBytes += line.length;
    out.write(line);
  };

  const state = (): LogLevelState => ({
    level: logger.level as LogLevel,
    configuredLevel: level,
    ...(until ? { until: until.toISOString() } : {}),
    accessLogSamplingPercentage: sampler.percentage,
  });
  const apply = (next: LogLevel, temporary: boolean) => {
    logger.level = next;
    infoEnabled = logger.isInfoEnabled();
    // While someone is looking closely, every line counts: no sampling until the level goes back.
    sampler = temporary ? unsampled : configured;
  };
  const levels: LogLevelControl = {
    state,
    setTemporary(next, durationMs) {
      clearTimeout(revert);
      apply(next, true);
      until = new Date(Date.now() + durationMs);
      revert = setTimeout(() => {
        levels.restore();
        logger.warn("log level restored", { level, reason: "expired" });
      }, durationMs);
      revert.unref();
      return state();
    },
    restore() {
      clearTimeout(revert);
      revert = undefined;
      until = undefined;
      apply(level, false);
      return state();
    },
  };

  return {
    logger,
    accessLog: enabled ? accessLog : undefined,
    stats,
    levels,
    flush() {
      try {
        stdout?.flushSync();
      } catch {
        // EAGAIN on a full pipe: what cannot be written now is lost either way at exit.
      }
    },
  };
}
