import type { Environment } from "../../policies/config/schema";
import { evaluatePolicies, type HarnessResource, loadPolicyConfig, type Violation } from "../../policies/harness";

/** Runs the whole pack over hand-built resources with an environment's real config. */
export function evaluate(resources: HarnessResource[], env: Environment = "prod", stackTags?: Record<string, string>) {
  return evaluatePolicies(resources, loadPolicyConfig(env), stackTags);
}

/** Violations of one policy, as "type::name: message" lines (readable in failures). */
export function of(violations: Violation[], policy: string): string[] {
  return violations.filter((v) => v.policy === policy).map((v) => `${v.resource}: ${v.message}`);
}

export const mandatory = (violations: Violation[]) => violations.filter((v) => v.level === "mandatory");

export const LABELS = {
  "app.kubernetes.io/name": "demo",
  "app.kubernetes.io/part-of": "observability-platform",
  "app.kubernetes.io/managed-by": "pulumi",
  environment: "prod",
  team: "platform",
};

/** What a chart is handed: ownership only; the chart writes its own app.kubernetes.io labels. */
export const CHART_LABELS = { environment: "prod", team: "platform", "cost-center": "cc-1000" };

/** An object a chart rendered, as a preview shows it: a child of the chart resource. */
export function chartChild(r: HarnessResource, chartName = "loki"): HarnessResource {
  return { ...r, name: `platform-${chartName}:${r.name}`, parentType: "kubernetes:helm.sh/v4:Chart" };
}

/** A Deployment that passes every policy; tests break one thing at a time. */
export function deployment(name = "demo"): HarnessResource {
  return {
    type: "kubernetes:apps/v1:Deployment",
    name,
    inputs: {
      metadata: { name, labels: { ...LABELS } },
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { ...LABELS } },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 1000 },
            containers: [
              {
                name,
                image: "ghcr.io/example/demo:1.2.3",
                env: [{ name: "PORT", value: "8080" }],
                ports: [{ name: "http", containerPort: 8080 }],
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false },
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
                livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
                readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
              },
            ],
          },
        },
      },
    },
  };
}

export function chart(chartName: string, values: Record<string, unknown>, release = chartName): HarnessResource {
  return {
    type: "kubernetes:helm.sh/v4:Chart",
    name: `platform-${release}`,
    inputs: {
      name: release,
      namespace: "obs",
      chart: chartName,
      version: "1.0.0",
      values: { commonLabels: CHART_LABELS, ...values },
    },
  };
}

export const container = (r: HarnessResource): any => r.inputs.spec.template.spec.containers[0];
