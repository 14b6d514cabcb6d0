import { ExpressInstrumentation, ExpressLayerType } from "@opentelemetry/instrumentation-express";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { INFRA_PATHS, type ServiceName } from "./contract";

/** Not yet in the stable semantic-conventions entry point. */
const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = "deployment.environment.name";

export interface Telemetry {
  /** Flushes buffered spans; resolves within `timeoutMs` whether or not the collector answers. */
  shutdown(timeoutMs: number): Promise<void>;
}

function isInfraRequest(url: string | undefined): boolean {
  const path = (url ?? "").split("?", 1)[0] as string;
  return INFRA_PATHS.includes(path);
}

/**
 * Starts tracing for one service. Must run before express or node:http is imported by the app, so
 * the entrypoint imports this first. Everything else comes from the standard OTEL_* variables:
 * OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL (OTLP over HTTP, protobuf by default), OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER / _ARG, OTEL_BSP_* (batch processor), OTEL_SDK_DISABLED.
 *
 * Only the http and express instrumentations, and no span per Express layer: the express
 * instrumentation still names the server span after the route template.
 */
export function startTelemetry(service: ServiceName, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: service,
      [ATTR_SERVICE_VERSION]: env.SERVICE_VERSION || "0.0.0-dev",
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: env.DEPLOYMENT_ENVIRONMENT || "local",
    }),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => isInfraRequest(req.url),
        // Readiness probes of dependencies are not part of any user request.
        requireParentforOutgoingSpans: true,
      }),
      new ExpressInstrumentation({
        ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER],
      }),
    ],
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
