import { context, propagation, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { LOCAL_SERVICE_VERSION } from "../../apps/lib/config";
import { startTelemetry } from "../../apps/lib/telemetry";
import { SERVICE_VERSION_ENV } from "../../contract";
import { waitFor } from "../support/http";

/** The resource attributes of one span from a service started with `env` (the variables its Deployment sets). */
async function resourceOf(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry("order", env, { spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  try {
    trace.getTracer("test").startSpan("one").end();
    // exported once the resource is ready; the exporter forgets its spans at shutdown, so read them first
    const [span] = await waitFor("the span", async () => {
      const spans = exporter.getFinishedSpans();
      return spans.length > 0 ? spans : undefined;
    });
    return span?.resource.attributes as Record<string, unknown>;
  } finally {
    await telemetry.shutdown(1_000);
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

describe("every span says which environment and build it comes from", () => {
  test("DEPLOYMENT_ENVIRONMENT and SERVICE_VERSION (set by the Deployment) become deployment.environment.name and service.version", async () => {
    expect(await resourceOf({ DEPLOYMENT_ENVIRONMENT: "staging", [SERVICE_VERSION_ENV]: "1.4.2" })).toMatchObject({
      "service.name": "order",
      "service.version": "1.4.2",
      "deployment.environment.name": "staging",
    });
  });

  test(`unset (a local run): environment local, version ${LOCAL_SERVICE_VERSION} (the one service_build_info reports)`, async () => {
    expect(await resourceOf({})).toMatchObject({
      "service.version": LOCAL_SERVICE_VERSION,
      "deployment.environment.name": "local",
    });
  });
});
