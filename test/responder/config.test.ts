import { ConfigError, parseEnv } from "../../apps/lib/config";
import { guardrailsOf, responderEnvSchema } from "../../apps/responder/config";
import { RESPONDER_ENV as E, type PlaybookEntry, RESPONSE_ACTIONS } from "../../contract";

const TOKEN = "s3cret-responder-token-0123456789";
const ENTRY: PlaybookEntry = {
  alert: "ServicePodCrashLooping",
  action: RESPONSE_ACTIONS.restart,
  description: "restart the service's Deployment",
  severity: "warning",
  runbook: "https://example.com/runbooks/ServicePodCrashLooping.md",
};

/** What the deployer always sets; everything else has a default. */
const required = (): Record<string, string> => ({
  [E.token]: TOKEN,
  [E.mode]: "dry-run",
  [E.namespace]: "obs-dev-apps",
  [E.playbook]: JSON.stringify([ENTRY]),
  [E.holdQuery]: 'ALERTS{alertstate="firing",alertname=~"PrometheusRuleFailures"}',
  [E.prometheusUrl]: "http://prometheus.obs-dev-platform.svc.cluster.local:9090",
});

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    parseEnv(responderEnvSchema, env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
};

describe("responder environment", () => {
  test("the required variables alone give the stack config's safe defaults, as guardrails", () => {
    expect(guardrailsOf(parseEnv(responderEnvSchema, required()))).toEqual({
      mode: "dry-run",
      namespace: "obs-dev-apps",
      playbook: [ENTRY],
      cooldownMs: 30 * 60_000,
      maxActionsPerHour: 6,
      retries: 3,
      retryBackoffMs: 500,
      verifyWindowMs: 10 * 60_000,
      verifyIntervalMs: 15_000,
      raise: { step: 2, cap: 20, durationMs: 4 * 3_600_000 },
    });
  });

  test("set variables are read in their units: seconds become milliseconds in the guardrails", () => {
    const env = parseEnv(responderEnvSchema, {
      ...required(),
      [E.mode]: "act",
      [E.cooldownSeconds]: "120",
      [E.maxActionsPerHour]: "2",
      [E.retries]: "0",
      [E.retryBackoffMs]: "50",
      [E.verifyWindowSeconds]: "60",
      [E.verifyIntervalSeconds]: "5",
      [E.raiseStep]: "3",
      [E.raiseCap]: "12",
      [E.raiseTtlSeconds]: "600",
    });
    expect(guardrailsOf(env)).toMatchObject({
      mode: "act",
      cooldownMs: 120_000,
      maxActionsPerHour: 2,
      retries: 0,
      retryBackoffMs: 50,
      verifyWindowMs: 60_000,
      verifyIntervalMs: 5_000,
      raise: { step: 3, cap: 12, durationMs: 600_000 },
    });
  });

  test("the Kubernetes connection variables are optional; empty counts as unset, set ones pass through", () => {
    const unset = parseEnv(responderEnvSchema, { ...required(), [E.kubernetesApiUrl]: "" });
    expect(unset[E.kubernetesApiUrl]).toBeUndefined();
    const set = parseEnv(responderEnvSchema, {
      ...required(),
      [E.kubernetesApiUrl]: "https://10.0.0.1:6443",
      [E.kubernetesTokenFile]: "/var/run/token",
      [E.kubernetesCaFile]: "/var/run/ca.crt",
    });
    expect([set[E.kubernetesApiUrl], set[E.kubernetesTokenFile], set[E.kubernetesCaFile]]).toEqual([
      "https://10.0.0.1:6443",
      "/var/run/token",
      "/var/run/ca.crt",
    ]);
  });

  test.each<[string, Record<string, string | undefined>, string]>([
    ["no token", { [E.token]: undefined }, `${E.token}: must be set (at least 16 characters)`],
    ["a short token", { [E.token]: "short-token" }, `${E.token}: must be at least 16 characters`],
    ["a token with a space", { [E.token]: "two words token-0123456" }, `${E.token}: must not contain whitespace`],
    ["no mode", { [E.mode]: undefined }, `${E.mode}: must be one of: off, dry-run, act`],
    ["an unknown mode", { [E.mode]: "auto" }, `${E.mode}: must be one of: off, dry-run, act`],
    ["a namespace with capitals", { [E.namespace]: "Obs-Apps" }, `${E.namespace}: must be a DNS label`],
    ["no hold query", { [E.holdQuery]: undefined }, `${E.holdQuery}: must be set: a PromQL query`],
    ["a blank hold query", { [E.holdQuery]: "   " }, `${E.holdQuery}: must be a non-empty PromQL query`],
    ["no playbook", { [E.playbook]: undefined }, `${E.playbook}: must be set: a JSON array of playbook entries`],
    [
      "a playbook that is not JSON",
      { [E.playbook]: "[{alert:" },
      `${E.playbook}: must be a JSON array of playbook entries (it is not valid JSON)`,
    ],
    ["a playbook that is an object", { [E.playbook]: "{}" }, `${E.playbook}: must be a JSON array of playbook entries`],
    [
      "a playbook entry with an unknown action",
      { [E.playbook]: JSON.stringify([ENTRY, { ...ENTRY, action: "delete-namespace" }]) },
      `${E.playbook}: entry 1.action: must be one of: restart, raise-max-replicas`,
    ],
    [
      "a playbook entry without an alert",
      { [E.playbook]: JSON.stringify([{ ...ENTRY, alert: undefined }]) },
      `${E.playbook}: entry 0.alert: must be an alert name`,
    ],
    ["a cooldown of zero", { [E.cooldownSeconds]: "0" }, `${E.cooldownSeconds}: must be an integer from 1 to 86400`],
    [
      "an hourly cap above 60",
      { [E.maxActionsPerHour]: "61" },
      `${E.maxActionsPerHour}: must be an integer from 1 to 60`,
    ],
    ["retries that are not a number", { [E.retries]: "three" }, `${E.retries}: must be an integer from 0 to 10`],
    ["a fractional backoff", { [E.retryBackoffMs]: "1.5" }, `${E.retryBackoffMs}: must be an integer from 1 to 60000`],
    ["a raise step of 0", { [E.raiseStep]: "0" }, `${E.raiseStep}: must be an integer from 1 to 10`],
    ["a raise cap above 100", { [E.raiseCap]: "500" }, `${E.raiseCap}: must be an integer from 1 to 100`],
    [
      "a raise lasting over a day",
      { [E.raiseTtlSeconds]: "90000" },
      `${E.raiseTtlSeconds}: must be an integer from 1 to 86400`,
    ],
    [
      "a verify interval longer than the window",
      { [E.verifyWindowSeconds]: "60", [E.verifyIntervalSeconds]: "120" },
      `${E.verifyIntervalSeconds}: must not be longer than ${E.verifyWindowSeconds}`,
    ],
    ["no Prometheus URL", { [E.prometheusUrl]: undefined }, `${E.prometheusUrl}: must be an http:// or https:// URL`],
    [
      "a Prometheus URL of another scheme",
      { [E.prometheusUrl]: "ftp://prometheus:9090" },
      `${E.prometheusUrl}: must be an http:// or https:// URL`,
    ],
    [
      "a Kubernetes API that is not a URL",
      { [E.kubernetesApiUrl]: "10.0.0.1:6443" },
      `${E.kubernetesApiUrl}: must be an http:// or https:// URL`,
    ],
  ])("%s is refused, naming the variable and what is allowed", (_name, change, problem) => {
    const problems = problemsOf({ ...required(), ...change });
    expect(problems.filter((p) => p.startsWith(problem))).toHaveLength(1);
  });

  test("several bad variables are all named in one error", () => {
    const problems = problemsOf({ ...required(), [E.mode]: "auto", [E.namespace]: "", [E.raiseCap]: "0" });
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual([E.mode, E.namespace, E.raiseCap].sort());
  });

  test("the token never appears in an error, whatever else is wrong", () => {
    const badToken = "abc def ghi jkl mno"; // long enough, but with spaces
    const problems = problemsOf({ ...required(), [E.token]: badToken, [E.playbook]: `[${TOKEN}]`, [E.mode]: TOKEN });
    expect(problems.length).toBeGreaterThanOrEqual(3);
    const message = new ConfigError("environment", problems).message;
    expect(message).not.toContain(badToken);
    expect(message).not.toContain(TOKEN);
    expect(problemsOf({ ...required(), [E.token]: "short1" }).join("\n")).not.toContain("short1");
  });
});
