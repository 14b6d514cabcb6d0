import type { CollectedResource } from "../../infra/preflight/collect";
import { evaluatePolicies, loadPolicyConfig } from "../../policies/harness";
import { chart, runStack } from "../infra/support";
import { mandatory } from "./support";

/**
 * One bad value at a time in prod. Where the stack config schema already refuses the value, both
 * layers are asserted: the program refuses the config, and the policy catches the same mistake in
 * the resources (as if it came from elsewhere, e.g. a chart values edit).
 */
const prodConfig = loadPolicyConfig("prod");

async function mandatoryViolations(resources: CollectedResource[]) {
  return mandatory(await evaluatePolicies(resources, prodConfig)).map(
    (v) => `${v.policy}: ${v.resource}: ${v.message}`,
  );
}

async function prodWith(edit: (platform: Record<string, any>) => void) {
  return (await runStack("prod", edit)).resources;
}

const deploymentNamed = (resources: CollectedResource[], name: string) => {
  const found = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata.name === name);
  if (!found) throw new Error(`no Deployment ${name}`);
  return found;
};

test("Loki retention below the prod minimum", async () => {
  const days = prodConfig["loki-retention"].minDays - 1;
  const resources = await prodWith((p) => {
    p.logs.retentionDays = days;
  });
  expect(await mandatoryViolations(resources)).toEqual([
    expect.stringMatching(new RegExp(`^loki-retention: .*retention_period ${days * 24}h is outside`)),
  ]);
});

test("logs kept 'forever': the config schema refuses 10000 days, the policy refuses its own max + 1", async () => {
  await expect(prodWith((p) => (p.logs.retentionDays = 10_000))).rejects.toThrow(/logs\.retentionDays/);
  const resources = await prodWith((p) => {
    p.logs.retentionDays = prodConfig["loki-retention"].maxDays + 1;
  });
  expect(await mandatoryViolations(resources)).toEqual([expect.stringMatching(/^loki-retention: .* is outside/)]);
});

test("a missing team label", async () => {
  const resources = await prodWith(() => {});
  const service = resources.find((r) => r.type === "kubernetes:core/v1:Service" && r.inputs.metadata.name === "order");
  delete service?.inputs.metadata.labels.team;
  delete chart(resources, "loki").inputs.values.commonLabels.team;
  expect(await mandatoryViolations(resources)).toEqual([
    expect.stringMatching(/^kubernetes-required-labels: kubernetes:helm.sh\/v4:Chart::.*commonLabels lack team/),
    expect.stringMatching(/^kubernetes-required-labels: kubernetes:core\/v1:Service::.*labels lack team/),
  ]);
});

test("image tag latest: refused by the config schema and by the policy", async () => {
  await expect(prodWith((p) => (p.images.tag = "latest"))).rejects.toThrow(/images\.tag/);
  const resources = await prodWith(() => {});
  const container = deploymentNamed(resources, "order").inputs.spec.template.spec.containers[0];
  container.image = container.image.replace(/:[^:/]+$/, ":latest");
  expect(await mandatoryViolations(resources)).toEqual([
    expect.stringMatching(/^image-pinned: .*order-service:latest/),
  ]);
});

test("Prometheus storage off in prod: refused by the config schema and by the policy", async () => {
  await expect(prodWith((p) => (p.storage.persistent = false))).rejects.toThrow(/storage\.persistent/);
  const resources = await prodWith(() => {});
  delete chart(resources, "kps").inputs.values.prometheus.prometheusSpec.storageSpec;
  expect(await mandatoryViolations(resources)).toEqual([expect.stringMatching(/^prometheus-retention: .*persistent/)]);
});

test("Jaeger ephemeral in prod", async () => {
  // Badger is the single-node store (distributed prod writes to OpenSearch)
  const resources = await prodWith((p) => (p.scale = "single"));
  const backends = chart(resources, "jaeger").inputs.values.userconfig.extensions.jaeger_storage.backends;
  for (const backend of Object.values<any>(backends)) backend.badger.ephemeral = true;
  const jaegerViolations = (await mandatoryViolations(resources)).filter((v) => v.startsWith("jaeger-retention"));
  expect(jaegerViolations).toEqual([expect.stringMatching(/^jaeger-retention: .*ephemeral/)]);
});

test("a container running as root", async () => {
  const resources = await prodWith(() => {});
  const pod = deploymentNamed(resources, "user").inputs.spec.template.spec;
  pod.securityContext.runAsNonRoot = false;
  pod.securityContext.runAsUser = 0;
  delete pod.containers[0].securityContext.runAsNonRoot;
  expect(await mandatoryViolations(resources)).toEqual([
    expect.stringMatching(/^pod-security: .*runAsNonRoot is not true/),
    expect.stringMatching(/^pod-security: .*runs as root/),
  ]);
});
