import { parseEnv } from "../../apps/lib/config";
import { baseEnvSchema } from "../../apps/lib/service";
import { guardrailsOf, responderEnvSchema } from "../../apps/responder/config";
import {
  CONTAINER_PORT,
  HTTP_PORT_NAME,
  OTLP_HTTP_PORT,
  RESPONDER_ENV,
  RESPONDER_OPERATIONS,
  RESPONDER_PATHS,
} from "../../contract";
import { RECEIVERS, RESPONSE_MATCHER } from "../../infra/alerting/alertmanager";
import { holdQueryOf, playbookOf } from "../../infra/alerting/playbook";
import { ruleGroupsFor } from "../../infra/alerting/rule-set";
import { repoRoot } from "../../infra/charts/values-files";
import { loadStackConfig } from "../../infra/config/stack-file";
import { ALERTMANAGER_SECRETS_DIR } from "../../infra/monitoring/values";
import { OPEN_RULE_REASON_ANNOTATION } from "../../infra/platform/labels";
import { namespaces, PLATFORM_SERVICES, POD_LABELS, RELEASES, serviceImage } from "../../infra/platform/naming";
import { networkPoliciesSelectPods } from "../../infra/preflight/checks/network-policies";
import { providedObjects } from "../../infra/preflight/checks/objects";
import { PLATFORM_COMPONENTS, platformComponentsScraped } from "../../infra/preflight/checks/scraping";
import { asKubernetesObject, type CollectedResource } from "../../infra/preflight/collect";
import { chartSpecOf } from "../../infra/preflight/main";
import { chartSourcesDir, type RenderedObject, renderChart } from "../../infra/render/render";
import { roleRules } from "../../infra/responder/rbac";
import { evaluatePolicies, loadPolicyConfig } from "../../policies/harness";
import { chart, ofType, runStack, type Stack } from "./support";

type Result = Awaited<ReturnType<typeof runStack>>;
type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
const STACKS: Stack[] = ["dev", "staging", "prod"];
const results = {} as Record<Stack, Result>;
beforeAll(async () => {
  for (const stack of STACKS) results[stack] = await runStack(stack);
});

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  secret: "kubernetes:core/v1:Secret",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
};
/** The one object of a type named `responder` (or `name`) in a result. */
function one(resources: CollectedResource[], type: string, name = "responder"): CollectedResource {
  const found = ofType(resources, type).filter((r) => r.inputs.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} ${name}, found ${found.length}`);
  return found[0] as CollectedResource;
}
const containerOf = (d: CollectedResource) => d.inputs.spec.template.spec.containers[0];
const envList = (d: CollectedResource) => containerOf(d).env as Env[];
const envOf = (d: CollectedResource) => Object.fromEntries(envList(d).map((e) => [e.name, e.value]));
const responderEnv = (resources: CollectedResource[]) => envOf(one(resources, T.deployment));
const kpsValues = (resources: CollectedResource[]) => chart(resources, RELEASES.monitoring).inputs.values;
/** The Secret the responder's token env names, and the key in it. */
function tokenRef(resources: CollectedResource[]) {
  const ref = envList(one(resources, T.deployment)).find((e) => e.name === RESPONDER_ENV.token)?.valueFrom
    ?.secretKeyRef;
  if (!ref) throw new Error("no secretKeyRef for the token");
  return { ref, secret: one(resources, T.secret, ref.name) };
}
const inPlatform = (stack: Stack, labels: Record<string, string>) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": `obs-${stack}-platform` } },
  podSelector: { matchLabels: labels },
});

describe("the Responder component under the mock runtime", () => {
  test.each(STACKS)("%s: one Responder component whose children are all named from it", (stack) => {
    const { resources } = results[stack];
    expect(ofType(resources, "observability-platform:responder:Responder").map((r) => r.name)).toEqual([
      `platform-${stack}-responder`,
    ]);
    for (const type of Object.values(T)) {
      expect(one(resources, type, type === T.secret ? "responder-token" : "responder").name).toMatch(
        new RegExp(`^platform-${stack}-responder-`),
      );
    }
  });

  test("the Role is a namespaced Role in the apps namespace whose rules are roleRules(), covering RESPONDER_OPERATIONS exactly", () => {
    const { resources } = results.prod;
    const role = one(resources, T.role);
    expect(role.inputs.metadata.namespace).toBe(one(resources, T.deployment, "order").inputs.metadata.namespace);
    expect(role.inputs.rules).toEqual(roleRules());
    const granted = (role.inputs.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).flatMap(
      (r) => r.verbs.map((v) => `${r.apiGroups[0]}/${r.resources[0]}:${v}`),
    );
    const called = Object.values(RESPONDER_OPERATIONS).map((o) => `${o.apiGroup}/${o.resource}:${o.verb}`);
    expect([...new Set(granted)].sort()).toEqual([...new Set(called)].sort());
    expect(JSON.stringify(role.inputs.rules)).not.toMatch(/"\*"|"delete"|"pods"/);
    // nothing cluster-wide
    expect(resources.filter((r) => /ClusterRole/.test(r.type))).toEqual([]);
  });

  test("the RoleBinding grants that Role to the platform namespace's responder ServiceAccount, the one its pod runs as", () => {
    const { resources } = results.prod;
    const binding = one(resources, T.roleBinding).inputs;
    const role = one(resources, T.role).inputs;
    const account = one(resources, T.serviceAccount).inputs;
    const deployment = one(resources, T.deployment).inputs;
    expect(binding.metadata.namespace).toBe(role.metadata.namespace);
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: account.metadata.name, namespace: account.metadata.namespace },
    ]);
    expect(account.metadata.namespace).toBe("obs-prod-platform");
    expect([deployment.metadata.namespace, deployment.spec.template.spec.serviceAccountName]).toEqual([
      account.metadata.namespace,
      account.metadata.name,
    ]);
  });

  test("only the responder's pod mounts a service account token: its ServiceAccount defaults to none, every other pod opts out", () => {
    const { resources } = results.dev;
    expect(one(resources, T.serviceAccount).inputs.automountServiceAccountToken).toBe(false);
    const mounts = ofType(resources, T.deployment).map((d) => [
      d.inputs.metadata.name,
      d.inputs.spec.template.spec.automountServiceAccountToken,
    ]);
    expect(mounts.filter(([, automount]) => automount !== false)).toEqual([["responder", true]]);
  });

  test.each(STACKS)("%s: a hardened single-replica Deployment of the responder image, never two at once", (stack) => {
    const d = one(results[stack].resources, T.deployment).inputs;
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect([d.spec.replicas, d.spec.strategy.type]).toEqual([1, "Recreate"]);
    expect(c.image).toBe(serviceImage(loadStackConfig(stack).images, "responder"));
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits.memory).toMatch(/Mi$/);
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path, c.startupProbe.httpGet.path]).toEqual([
      "/healthz",
      "/readyz",
      "/healthz",
    ]);
    expect(c.ports).toEqual([{ name: HTTP_PORT_NAME, containerPort: CONTAINER_PORT, protocol: "TCP" }]);
  });

  test("its Service (port 80 → http) selects its pods, and its ServiceMonitor scrapes it: the component-scraped check passes, and fails without the monitor", () => {
    const { resources } = results.dev;
    const d = one(resources, T.deployment).inputs;
    const svc = one(resources, T.service).inputs;
    expect(svc.spec.ports).toEqual([
      { name: HTTP_PORT_NAME, port: PLATFORM_SERVICES.responder.port, targetPort: HTTP_PORT_NAME, protocol: "TCP" },
    ]);
    for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>))
      expect(d.spec.template.metadata.labels[k]).toBe(v);
    const objects = (keep: (r: CollectedResource) => boolean): RenderedObject[] =>
      resources
        .filter(keep)
        .map(asKubernetesObject)
        .filter((o) => o !== undefined)
        .map((object) => ({ object: object as RenderedObject["object"], origin: "program" }));
    const component = PLATFORM_COMPONENTS(namespaces(loadStackConfig("dev"))).filter((c) => c.name === "responder");
    expect(component).toHaveLength(1);
    expect(
      platformComponentsScraped(
        objects(() => true),
        component,
      ),
    ).toEqual([]);
    const unscraped = platformComponentsScraped(
      objects((r) => r.type !== T.serviceMonitor),
      component,
    );
    expect(unscraped.map((f) => f.message)).toEqual([expect.stringMatching(/^responder is not scraped/)]);
  });
});

describe("the responder's NetworkPolicy", () => {
  test("selects the responder's pods; ingress only from Alertmanager's and Prometheus's pods, on the http port", () => {
    const { resources } = results.dev;
    const spec = one(resources, T.networkPolicy).inputs.spec;
    expect(spec.podSelector.matchLabels).toEqual(one(resources, T.deployment).inputs.spec.selector.matchLabels);
    expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
    const http = [{ protocol: "TCP", port: CONTAINER_PORT }];
    expect(spec.ingress).toEqual([
      { from: [inPlatform("dev", POD_LABELS.alertmanager)], ports: http },
      { from: [inPlatform("dev", POD_LABELS.prometheus)], ports: http },
    ]);
  });

  test("egress only to DNS, the API server's ports (no peer, with the reason), Prometheus on 9090 and the collector's OTLP port", () => {
    const policy = one(results.dev.resources, T.networkPolicy).inputs;
    expect(policy.spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
      {
        ports: [
          { protocol: "TCP", port: 443 },
          { protocol: "TCP", port: 6443 },
        ],
      },
      { to: [inPlatform("dev", POD_LABELS.prometheus)], ports: [{ protocol: "TCP", port: 9090 }] },
      { to: [inPlatform("dev", POD_LABELS.collector)], ports: [{ protocol: "TCP", port: OTLP_HTTP_PORT }] },
    ]);
    expect(policy.metadata.annotations[OPEN_RULE_REASON_ANNOTATION]).toMatch(/API server/);
  });
});

describe("Alertmanager → responder wiring", () => {
  test.each(STACKS)(
    "%s: the responder route comes first, matches RESPONSE_MATCHER and continues to the humans",
    (stack) => {
      const route = kpsValues(results[stack].resources).alertmanager.config.route;
      expect(route.routes[0]).toMatchObject({
        matchers: [RESPONSE_MATCHER],
        receiver: RECEIVERS.responder,
        continue: true,
      });
      expect(route.routes.slice(1).map((r: { receiver: string }) => r.receiver)).toEqual([
        RECEIVERS.heartbeat,
        RECEIVERS.paging,
        RECEIVERS.ticket,
      ]);
    },
  );

  test("the receiver's URL resolves to the responder Service's name, namespace and port, on the alerts path", () => {
    const { resources } = results.staging;
    const receiver = kpsValues(resources).alertmanager.config.receivers.find(
      (r: { name: string }) => r.name === RECEIVERS.responder,
    );
    const url = new URL(receiver.webhook_configs[0].url);
    const svc = one(resources, T.service).inputs;
    expect(url.hostname).toBe(`${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`);
    expect(Number(url.port || 80)).toBe(svc.spec.ports[0].port); // WHATWG URL drops the default port
    expect(url.pathname).toBe(RESPONDER_PATHS.alerts);
  });

  test("credentials_file is where the operator mounts the token Secret's key, listed in alertmanagerSpec.secrets in its namespace", () => {
    const { resources } = results.prod;
    const kps = chart(resources, RELEASES.monitoring).inputs;
    const receiver = kps.values.alertmanager.config.receivers.find(
      (r: { name: string }) => r.name === RECEIVERS.responder,
    );
    const auth = receiver.webhook_configs[0].http_config.authorization;
    const { ref, secret } = tokenRef(resources);
    expect(auth).toEqual({ type: "Bearer", credentials_file: `${ALERTMANAGER_SECRETS_DIR}/${ref.name}/${ref.key}` });
    expect(kps.values.alertmanager.alertmanagerSpec.secrets).toContain(secret.inputs.metadata.name);
    expect(secret.inputs.metadata.namespace).toBe(kps.namespace);
    expect(Object.keys(secret.inputs.stringData)).toEqual([ref.key]);
  });
});

describe("the responder's environment", () => {
  test.each([
    ["dev", "act"],
    ["staging", "act"],
    ["prod", "dry-run"],
  ] as const)("%s: RESPONDER_MODE is %s", (stack, mode) => {
    expect(responderEnv(results[stack].resources)[RESPONDER_ENV.mode]).toBe(mode);
  });

  test("switching prod to act is one config change; mode off still deploys the responder, with its Role, saying off", async () => {
    const prodAct = await runStack("prod", (p) => {
      (p.responder as Record<string, unknown>).mode = "act";
    });
    expect(responderEnv(prodAct.resources)[RESPONDER_ENV.mode]).toBe("act");
    const devOff = await runStack("dev", (p) => {
      (p.responder as Record<string, unknown>).mode = "off";
    });
    expect(responderEnv(devOff.resources)[RESPONDER_ENV.mode]).toBe("off");
    expect(one(devOff.resources, T.role).inputs.rules).toEqual(roleRules());
  });

  test.each(STACKS)(
    "%s: the playbook and hold query are derived from this stack's rules, and name alerts the deployed PrometheusRules declare",
    (stack) => {
      const { resources } = results[stack];
      const config = loadStackConfig(stack);
      const ns = namespaces(config);
      const env = responderEnv(resources);
      const playbook = JSON.parse(env[RESPONDER_ENV.playbook] as string);
      expect(playbook).toEqual(playbookOf(ruleGroupsFor(config, ns)));
      expect(env[RESPONDER_ENV.holdQuery]).toBe(
        holdQueryOf(ruleGroupsFor(config, ns), ns.apps, config.responder.holdWhenServicesBurning),
      );
      const deployed = ofType(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").flatMap((r) =>
        (r.inputs.spec.groups as { rules: { alert?: string; labels?: Record<string, string> }[] }[]).flatMap(
          (g) => g.rules,
        ),
      );
      expect(playbook.length).toBeGreaterThan(0);
      for (const entry of playbook as { alert: string; action: string }[]) {
        expect([
          entry.alert,
          deployed.some((r) => r.alert === entry.alert && r.labels?.response === entry.action),
        ]).toEqual([entry.alert, true]);
      }
    },
  );

  test("the guardrails reach the env in the units the variable names say", async () => {
    const { resources } = await runStack("dev", (p) => {
      p.responder = {
        mode: "dry-run",
        cooldownMinutes: 7,
        maxActionsPerHour: 5,
        retries: 2,
        verifyWindow: "1m30s",
        holdWhenServicesBurning: 3,
        raise: { step: 3, maxReplicasCap: 15, duration: "2h" },
      };
    });
    const env = responderEnv(resources);
    expect({
      cooldown: env[RESPONDER_ENV.cooldownSeconds],
      perHour: env[RESPONDER_ENV.maxActionsPerHour],
      retries: env[RESPONDER_ENV.retries],
      verify: env[RESPONDER_ENV.verifyWindowSeconds],
      step: env[RESPONDER_ENV.raiseStep],
      cap: env[RESPONDER_ENV.raiseCap],
      ttl: env[RESPONDER_ENV.raiseTtlSeconds],
    }).toEqual({ cooldown: "420", perHour: "5", retries: "2", verify: "90", step: "3", cap: "15", ttl: "7200" });
    expect(env[RESPONDER_ENV.holdQuery]).toMatch(/>= 3\)$/);
  });

  test.each(STACKS)(
    "%s: the responder's own env schema reads the Deployment's env (token resolved as the kubelet would) as the stack config says",
    (stack) => {
      const config = loadStackConfig(stack);
      const r = config.responder;
      const env = { ...responderEnv(results[stack].resources), [RESPONDER_ENV.token]: "t".repeat(48) };
      expect(() => parseEnv(baseEnvSchema, env)).not.toThrow();
      const guardrails = guardrailsOf(parseEnv(responderEnvSchema, env));
      expect(guardrails).toMatchObject({
        mode: r.mode,
        namespace: namespaces(config).apps,
        playbook: playbookOf(ruleGroupsFor(config, namespaces(config))),
        cooldownMs: r.cooldownMinutes * 60_000,
        maxActionsPerHour: r.maxActionsPerHour,
        retries: r.retries,
        raise: { step: r.raise.step, cap: r.raise.maxReplicasCap },
      });
    },
  );

  test("PROMETHEUS_URL is the kps Prometheus Service in the chart's namespace; RESPONDER_NAMESPACE is where the services run", () => {
    const { resources } = results.dev;
    const env = responderEnv(resources);
    const url = new URL(env[RESPONDER_ENV.prometheusUrl] as string);
    expect(url.hostname).toBe(
      `${PLATFORM_SERVICES.prometheus.name}.${chart(resources, RELEASES.monitoring).inputs.namespace}.svc.cluster.local`,
    );
    expect(Number(url.port)).toBe(PLATFORM_SERVICES.prometheus.port);
    expect(env[RESPONDER_ENV.namespace]).toBe(one(resources, T.deployment, "order").inputs.metadata.namespace);
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
      envOf(one(resources, T.deployment, "order")).OTEL_EXPORTER_OTLP_ENDPOINT,
    );
  });

  test.each(STACKS)(
    "%s: the token is only a secretKeyRef; its random value (≥ 40 characters, no specials) is in the Secret and nowhere else",
    (stack) => {
      const { resources } = results[stack];
      const { ref, secret } = tokenRef(resources);
      const tokenEnv = envList(one(resources, T.deployment)).find((e) => e.name === RESPONDER_ENV.token);
      expect(tokenEnv).toEqual({ name: RESPONDER_ENV.token, valueFrom: { secretKeyRef: ref } });
      expect(secret.inputs.type).toBe("Opaque");
      const password = ofType(resources, "random:index/randomPassword:RandomPassword").find(
        (r) => r.name === `platform-${stack}-responder-token`,
      );
      expect(password?.inputs).toMatchObject({ special: false });
      expect(password?.inputs.length).toBeGreaterThanOrEqual(40);
      const value = secret.inputs.stringData[ref.key] as string;
      expect(value).toBe(`mock-${password?.name}`);
      const holders = resources.filter((r) => r !== secret && JSON.stringify(r.inputs).includes(value));
      expect(holders).toEqual([]);
    },
  );
});

describe("the policy pack on the responder", () => {
  test.each(STACKS)("%s: its objects pass every policy, mandatory and advisory", async (stack) => {
    const mine = results[stack].resources.filter((r) => r.name.startsWith(`platform-${stack}-responder`));
    expect(mine.length).toBeGreaterThanOrEqual(9);
    expect(await evaluatePolicies(mine, loadPolicyConfig(stack))).toEqual([]);
  });

  test("the pack is not vacuous on it: a writable root filesystem is refused", async () => {
    const d = structuredClone(one(results.prod.resources, T.deployment));
    containerOf(d).securityContext.readOnlyRootFilesystem = false;
    const violations = await evaluatePolicies([d], loadPolicyConfig("prod"));
    expect(violations.map((v) => `${v.policy}: ${v.message}`)).toEqual([
      "pod-security: container responder: readOnlyRootFilesystem is not true",
    ]);
  });
});

// CI sets REQUIRE_CHART_SOURCES=1: without the pinned charts' sources this fails instead of skipping.
const sources = chartSourcesDir(repoRoot());
const withSources = sources || process.env.REQUIRE_CHART_SOURCES === "1" ? test : test.skip;

describe("rendered by real Helm (dev)", () => {
  let rendered: RenderedObject[] = [];
  beforeAll(async () => {
    if (!sources) return;
    const charts = [RELEASES.monitoring, RELEASES.collector].map((release) =>
      renderChart(chartSpecOf(chart(results.dev.resources, release)), sources),
    );
    rendered = (await Promise.all(charts)).flatMap((c) => c.objects);
  });
  const kinds = (kind: string) => rendered.filter((r) => r.object.kind === kind).map((r) => r.object as any);

  withSources(
    "the Alertmanager resource lists the token Secret, and its CRD documents the mount at ALERTMANAGER_SECRETS_DIR/<secret-name>",
    () => {
      const [alertmanager] = kinds("Alertmanager");
      const { secret } = tokenRef(results.dev.resources);
      expect(alertmanager.spec.secrets).toEqual([secret.inputs.metadata.name]);
      expect(alertmanager.metadata.namespace).toBe(secret.inputs.metadata.namespace);
      const crd = kinds("CustomResourceDefinition").find(
        (c) => c.metadata.name === "alertmanagers.monitoring.coreos.com",
      );
      const description = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.secrets.description;
      expect(description).toContain(`\`${ALERTMANAGER_SECRETS_DIR}/<secret-name>\``);
    },
  );

  withSources("POD_LABELS.alertmanager is the selector of the chart's own Alertmanager Service", () => {
    const svc = kinds("Service").find((s) => s.metadata.name === PLATFORM_SERVICES.alertmanager.name);
    expect(svc.spec.selector).toEqual(POD_LABELS.alertmanager);
  });

  withSources(
    "every peer of the responder's NetworkPolicy selects real pods (the preflight check), and a wrong label is caught",
    () => {
      const program = results.dev.resources
        .map(asKubernetesObject)
        .filter((o) => o !== undefined)
        .map((object) => ({ object: object as RenderedObject["object"], origin: "program" }));
      const all = [...program, ...rendered, ...providedObjects("obs-dev-platform", "kps-kubelet")];
      const ofResponder = (objects: RenderedObject[]) =>
        networkPoliciesSelectPods(objects).filter((f) =>
          f.object.startsWith("NetworkPolicy obs-dev-platform/responder "),
        );
      expect(ofResponder(all)).toEqual([]);
      const typo = all.map((r) => {
        if (r.object.kind !== "NetworkPolicy" || r.object.metadata.name !== "responder") return r;
        const object = structuredClone(r.object) as any;
        object.spec.ingress[0].from[0].podSelector.matchLabels.alertmanager = "alertmanager";
        return { ...r, object };
      });
      expect(ofResponder(typo).map((f) => f.message)).toEqual([
        expect.stringMatching(/^ingress\[0\]\.from\[0\] .* selects no pod$/),
      ]);
    },
  );
});
