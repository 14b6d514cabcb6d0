import { CONTAINER_PORT, RESPONDER_ENV, RESPONDER_NAME } from "../../contract";
import { holdQueryOf, playbookOf } from "../alerting/playbook";
import { ruleGroupsFor } from "../alerting/rule-set";
import type { StackConfig } from "../config/schema";
import { clusterUrl, type Namespaces, PLATFORM_SERVICES, RESPONDER_TOKEN } from "../platform/naming";
import { durationSeconds } from "../preflight/checks/rendered-config/units";
import { loggingEnv, serviceLogging } from "../services/logging-env";

/** A container env entry: a literal, or a reference the kubelet resolves (Secret key, pod field). */
export type EnvVar =
  | { name: string; value: string }
  | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }
  | { name: string; valueFrom: { fieldRef: { fieldPath: string } } };

function seconds(text: string, field: string): number {
  const value = durationSeconds(text, "prometheus");
  if (value === undefined) throw new Error(`responder.${field}: "${text}" is not a Prometheus duration (e.g. 10m)`);
  return value;
}

/**
 * The responder's guardrails and playbook as its environment variables (RESPONDER_ENV), from the stack
 * config: the playbook and hold query are derived from this stack's own rules, so the responder acts on
 * exactly the alerts Prometheus evaluates. Units are the ones the variable names say.
 */
export function guardrailEnv(config: StackConfig, ns: Namespaces): Record<string, string> {
  const r = config.responder;
  const groups = ruleGroupsFor(config, ns);
  const prometheus = PLATFORM_SERVICES.prometheus;
  return {
    [RESPONDER_ENV.mode]: r.mode,
    [RESPONDER_ENV.namespace]: ns.apps,
    [RESPONDER_ENV.playbook]: JSON.stringify(playbookOf(groups)),
    [RESPONDER_ENV.holdQuery]: holdQueryOf(groups, ns.apps, r.holdWhenServicesBurning),
    [RESPONDER_ENV.cooldownSeconds]: String(r.cooldownMinutes * 60),
    [RESPONDER_ENV.maxActionsPerHour]: String(r.maxActionsPerHour),
    [RESPONDER_ENV.retries]: String(r.retries),
    [RESPONDER_ENV.verifyWindowSeconds]: String(seconds(r.verifyWindow, "verifyWindow")),
    [RESPONDER_ENV.raiseStep]: String(r.raise.step),
    [RESPONDER_ENV.raiseCap]: String(r.raise.maxReplicasCap),
    [RESPONDER_ENV.raiseTtlSeconds]: String(seconds(r.raise.duration, "raise.duration")),
    [RESPONDER_ENV.prometheusUrl]: clusterUrl(prometheus.name, ns.platform, prometheus.port),
  };
}

/**
 * The responder container's whole env: the services' layer (port, logging, OpenTelemetry as
 * infra/services/microservice.ts sets them), the guardrails, and the bearer token from its Secret — only
 * ever a secretKeyRef, so it is in no manifest, state file or `kubectl describe`. The Kubernetes API is
 * reached in-cluster (service account token and CA), so KUBERNETES_API_URL stays unset.
 */
export function responderEnv(config: StackConfig, ns: Namespaces, otlpEndpoint: string): EnvVar[] {
  const literal = (values: Record<string, string>): EnvVar[] =>
    Object.entries(values).map(([name, value]) => ({ name, value }));
  return [
    ...literal({
      PORT: String(CONTAINER_PORT),
      ...loggingEnv(serviceLogging(config)),
      SERVICE_VERSION: config.images.tag,
      DEPLOYMENT_ENVIRONMENT: config.environment,
      // an action in flight (retries included) may finish before the process exits
      SHUTDOWN_TIMEOUT_MS: "20000",
      OTEL_SERVICE_NAME: RESPONDER_NAME,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    }),
    { name: "K8S_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "OTEL_RESOURCE_ATTRIBUTES", value: `k8s.namespace.name=${ns.platform},k8s.pod.name=$(K8S_POD_NAME)` },
    ...literal(guardrailEnv(config, ns)),
    {
      name: RESPONDER_ENV.token,
      valueFrom: { secretKeyRef: { name: RESPONDER_TOKEN.secret, key: RESPONDER_TOKEN.key } },
    },
  ];
}
