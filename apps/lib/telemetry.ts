import { resourceFromAttributes } from "@opentelemetry/resources";
import { NodeSDK, type NodeSDKConfiguration } from "@opentelemetry/sdk-node";
import {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from "@opentelemetry/semantic-conventions";
import { type AppName, SERVICE_VERSION_ENV } from "../../contract";
import { LOCAL_SERVICE_VERSION } from "./config";

export interface Telemetry {
  /** Flushes buffered spans; resolves within `timeoutMs` whether or not the collector answers. */
  shutdown(timeoutMs: number): Promise<void>;
}

export interface TelemetryOptions {
  /** Where spans go instead of the batch processor and OTLP exporter (tests). */
  spanProcessors?: NodeSDKConfiguration["spanProcessors"];
}

/**
 * Starts tracing for one service; each entrypoint imports this first, so the tracer provider,
 * context manager and propagator are registered before the app is built. Everything comes from the
 * standard OTEL_* variables: OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL (OTLP over HTTP, protobuf by
 * default), OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER / _ARG, OTEL_BSP_*
 * (batch processor), and OTEL_SDK_DISABLED=true, which starts nothing at all.
 *
 * No instrumentation packages: patching node:http and express made every request pay for context
 * binding and attribute gathering, sampled or not. The shared HTTP layer starts the spans instead:
 * one SERVER span per API request (http/tracing.ts) and one CLIENT span per call to another
 * service (http/client.ts).
 */
export function startTelemetry(
  service: AppName,
  env: NodeJS.ProcessEnv = process.env,
  options: TelemetryOptions = {},
): Telemetry {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: service,
      [ATTR_SERVICE_VERSION]: env[SERVICE_VERSION_ENV] || LOCAL_SERVICE_VERSION,
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: env.DEPLOYMENT_ENVIRONMENT || "local",
    }),
    instrumentations: [],
    spanProcessors: options.spanProcessors,
    // Traces only: metrics are scraped from /metrics (prom-client) and logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return {
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([sdk.shutdown().catch(() => undefined), deadline]);
      clearTimeout(timer);
    },
  };
}
