import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseStackConfig } from "../../infra/config/schema";
import { stackConfigFile } from "../../infra/preflight/collect";
import { ENVIRONMENTS, environmentOf, policyPackConfigSchema } from "../../policies/config/schema";
import { loadPolicyConfig } from "../../policies/harness";
import { cpuCores, memoryMi } from "../../policies/lib/values";

const configDir = path.join(__dirname, "../../policies/config");

test("every policies/config/*.json parses with the schema and is one of the environments", () => {
  const files = readdirSync(configDir).filter((f) => f.endsWith(".json"));
  expect(files.sort()).toEqual(ENVIRONMENTS.map((e) => `${e}.json`).sort());
  for (const file of files) {
    const parsed = policyPackConfigSchema.safeParse(JSON.parse(readFileSync(path.join(configDir, file), "utf8")));
    expect(parsed.error?.issues ?? []).toEqual([]);
    if (parsed.success) expect(`${environmentOf(parsed.data)}.json`).toBe(file);
  }
});

test("the schema refuses min > max, mixed environments and unknown keys", () => {
  const prod = loadPolicyConfig("prod");
  const bad = (patch: Record<string, unknown>) => policyPackConfigSchema.safeParse({ ...prod, ...patch }).success;
  expect(bad({ "loki-retention": { minDays: 10, maxDays: 5 } })).toBe(false);
  expect(bad({ "aws-budget": { environment: "dev" } })).toBe(false);
  expect(bad({ "loki-retention": { minDays: 1, maxDays: 5, maxHours: 3 } })).toBe(false);
  expect(bad({ "image-pinned": "advisory" })).toBe(true);
});

// The bounds must admit what each stack deploys; derived from both files, nothing hard-coded.
describe.each(ENVIRONMENTS)("%s bounds admit Pulumi.%s.yaml", (env) => {
  const policy = loadPolicyConfig(env);
  const stack = parseStackConfig(JSON.parse(stackConfigFile(env)["observability-platform:platform"] as string));
  const within = (value: number, { min, max }: { min: number; max: number }) => {
    expect(value).toBeGreaterThanOrEqual(min);
    expect(value).toBeLessThanOrEqual(max);
  };

  test("environment and persistence", () => {
    expect(environmentOf(policy)).toBe(stack.environment);
    if (policy["prometheus-retention"].persistentStorage) expect(stack.storage.persistent).toBe(true);
    if (policy["jaeger-retention"].persistentStorage) expect(stack.storage.persistent).toBe(true);
  });

  test("retention", () => {
    const prom = policy["prometheus-retention"];
    within(stack.metrics.retentionDays, { min: prom.minDays, max: prom.maxDays });
    const loki = policy["loki-retention"];
    within(stack.logs.retentionDays, { min: loki.minDays, max: loki.maxDays });
    const jaeger = policy["jaeger-retention"];
    if (stack.storage.persistent) within(stack.traces.retentionHours, { min: jaeger.minHours, max: jaeger.maxHours });
    else expect(stack.traces.maxTracesInMemory).toBeLessThanOrEqual(jaeger.maxTracesInMemory);
  });

  test("exposure, fault injection and caps", () => {
    if (stack.grafana.loadBalancer) expect(policy["load-balancer-services"].allowLoadBalancer).toBe(true);
    if (stack.faultInjection && env === "prod")
      expect(policy["fault-injection-not-in-prod"].allowFaultInjection).toBe(true);
    const caps = policy["resource-caps"];
    for (const s of Object.values(stack.services)) {
      expect(s.maxReplicas).toBeLessThanOrEqual(caps.maxReplicas);
      expect(memoryMi(s.resources.memoryLimit)).toBeLessThanOrEqual(caps.maxMemoryMi);
      if (s.resources.cpuLimit) expect(cpuCores(s.resources.cpuLimit)).toBeLessThanOrEqual(caps.maxCpuCores);
    }
  });
});
