/**
 * The three services started here on loopback from dist/, configured as the stack runs them, their
 * spans exported to a local sink that counts them per stage. Loaded only when needed: the stack's
 * service settings come from the Pulumi program's module, which loads the Pulumi SDK (seconds).
 */
import type { Pool } from "undici";
import { dependencyUrlEnv, SERVICE_NAMES, type ServiceName } from "../../contract";
import type { StackConfig } from "../../infra/config/schema";
import { loggingEnv, serviceLogging } from "../../infra/services/logging-env";
import { keepAlivePool, type ServiceProcess, startService, stopService, waitHealthy } from "../bench/cluster";
import { type OtlpSink, startOtlpSink } from "../bench/sink";
import { freePort } from "../demo/net";
import { cpuLimiter } from "./cpu-limit";
import { SpanLedger } from "./spans";
import type { Target } from "./targets";

/** The services as the stack would run them: its log level and access-log sampling, spans to the sink. */
function loopbackEnv(stack: StackConfig, sink: OtlpSink): Record<string, string> {
  return {
    ...loggingEnv(serviceLogging(stack)),
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    DEPLOYMENT_ENVIRONMENT: "loadtest",
  };
}

/**
 * Starts user and product, then order wired to them, each held to `cpuLimitCores` when given; stop() ends
 * them (flushing their spans) and the sink.
 */
export async function startLoopback(stack: StackConfig, cpuLimitCores?: Record<ServiceName, number>): Promise<Target> {
  const limiter = cpuLimitCores === undefined ? undefined : cpuLimiter();
  const spans = new SpanLedger();
  const sink = await startOtlpSink({ onExport: (received) => spans.add(received) });
  const env = loopbackEnv(stack, sink);
  const started: ServiceProcess[] = [];
  const pools: Pool[] = [];
  const stop = async () => {
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
    // the services flush their last spans on SIGTERM, so the sink closes after them
    await Promise.all(started.map(stopService));
    limiter?.release();
    await sink.close();
  };
  try {
    const [userPort, productPort, orderPort] = [await freePort(), await freePort(), await freePort()];
    const user = startService("user", env, userPort);
    started.push(user);
    const product = startService("product", env, productPort);
    started.push(product);
    const order = startService(
      "order",
      { ...env, [dependencyUrlEnv("user")]: user.url, [dependencyUrlEnv("product")]: product.url },
      orderPort,
    );
    started.push(order);
    if (cpuLimitCores) for (const s of started) limiter?.limit(s.pid, s.name, cpuLimitCores[s.name]);
    await Promise.all(started.map((s) => waitHealthy(s, "loadtest")));
    const urls = { order: order.url, product: product.url, user: user.url };
    const byName = Object.fromEntries(SERVICE_NAMES.map((name) => [name, keepAlivePool(urls[name])])) as Record<
      ServiceName,
      Pool
    >;
    pools.push(...Object.values(byName));
    return {
      urls,
      pools: byName,
      spans,
      stderrTail: () =>
        started
          .map((s) => s.stderrTail().trim())
          .filter(Boolean)
          .join("\n"),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
