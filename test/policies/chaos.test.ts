import { evaluatePolicies, type HarnessResource, loadPolicyConfig } from "../../policies/harness";
import { runStack } from "../infra/support";
import { chart, chartChild, container, deployment, evaluate, mandatory, of } from "./support";

const podChaos: HarnessResource = { type: "kubernetes:chaos-mesh.org/v1alpha1:PodChaos", name: "kill", inputs: {} };
const schedule: HarnessResource = { type: "kubernetes:chaos-mesh.org/v1alpha1:Schedule", name: "weekly", inputs: {} };
const chaosMesh = chart("chaos-mesh", { customLabels: { environment: "prod", team: "platform" } });
const crd = (name: string, group: string): HarnessResource =>
  chartChild(
    {
      type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
      name,
      inputs: { metadata: { name }, spec: { group } },
    },
    "chaos-mesh",
  );
const namespace = (annotations?: Record<string, string>): HarnessResource => ({
  type: "kubernetes:core/v1:Namespace",
  name: "apps",
  inputs: { metadata: { name: "obs-prod-apps", ...(annotations ? { annotations } : {}) } },
});

describe("no-chaos-in-prod (mandatory)", () => {
  const all = [
    podChaos,
    schedule,
    chaosMesh,
    crd("podchaos.chaos-mesh.org", "chaos-mesh.org"),
    namespace({ "chaos-mesh.org/inject": "enabled" }),
  ];

  test("in prod it refuses experiments, Schedules, the chart, its CRDs and a namespace open to injection, as mandatory", async () => {
    const violations = (await evaluate(all, "prod")).filter((v) => v.policy === "no-chaos-in-prod");
    expect(violations.map((v) => v.message)).toEqual([
      "chaos experiment PodChaos in prod",
      "chaos experiment Schedule in prod",
      "chart chaos-mesh (release chaos-mesh) installs chaos tooling in prod",
      "CustomResourceDefinition podchaos.chaos-mesh.org installs chaos tooling in prod",
      "namespace obs-prod-apps is open to Chaos Mesh (chaos-mesh.org/inject: enabled)",
    ]);
    expect(new Set(violations.map((v) => v.level))).toEqual(new Set(["mandatory"]));
  });

  test("dev and staging allow all of it; in prod other charts, CRDs and plain namespaces pass", async () => {
    expect(of(await evaluate(all, "staging"), "no-chaos-in-prod")).toEqual([]);
    expect(of(await evaluate(all, "dev"), "no-chaos-in-prod")).toEqual([]);
    const unrelated = [
      chart("loki", {}),
      crd("servicemonitors.monitoring.coreos.com", "monitoring.coreos.com"),
      namespace(),
    ];
    expect(of(await evaluate(unrelated, "prod"), "no-chaos-in-prod")).toEqual([]);
  });

  test("the prod stack switched to chaos.enabled fails the pack on the chart and the apps namespace (mocks)", async () => {
    const { resources } = await runStack("prod", (p) => (p.chaos = { enabled: true }));
    const refused = mandatory(await evaluatePolicies(resources, loadPolicyConfig("prod"))).filter(
      (v) => v.policy === "no-chaos-in-prod",
    );
    expect(refused.map((v) => v.message)).toEqual([
      "namespace obs-prod-apps is open to Chaos Mesh (chaos-mesh.org/inject: enabled)",
      "chart chaos-mesh (release chaos-mesh) installs chaos tooling in prod",
    ]);
  });
});

describe("the chaos workloads' exemptions exist in dev and staging only", () => {
  /** The chaos daemon as the chart renders it: root, privileged, host PID and the runtime socket, no probes. */
  const daemon = () => {
    const d = chartChild({ ...deployment("chaos-daemon"), type: "kubernetes:apps/v1:DaemonSet" }, "chaos-mesh");
    const pod = d.inputs.spec.template.spec;
    pod.securityContext = {};
    pod.hostPID = true;
    pod.volumes = [{ name: "socket-path", hostPath: { path: "/run/containerd" } }];
    container(d).securityContext = { privileged: true };
    delete container(d).livenessProbe;
    delete container(d).readinessProbe;
    return d;
  };
  const policies = ["pod-security", "container-resources-and-probes"];
  const found = async (env: "dev" | "staging" | "prod", r: HarnessResource) =>
    (await evaluate([r], env)).filter((v) => policies.includes(v.policy)).map((v) => `${v.policy}: ${v.message}`);

  test("staging and dev accept the chaos daemon; prod refuses it on every count", async () => {
    expect(await found("staging", daemon())).toEqual([]);
    expect(await found("dev", daemon())).toEqual([]);
    expect(await found("prod", daemon())).toEqual([
      "pod-security: container chaos-daemon: runAsNonRoot is not true",
      "pod-security: container chaos-daemon: privileged",
      "pod-security: container chaos-daemon: allowPrivilegeEscalation is not false",
      "pod-security: container chaos-daemon: readOnlyRootFilesystem is not true",
      "pod-security: hostPID is true",
      "pod-security: volume socket-path is a hostPath",
      "container-resources-and-probes: container chaos-daemon: no livenessProbe",
      "container-resources-and-probes: container chaos-daemon: no readinessProbe",
    ]);
  });

  test("the exemption is by name: the same privileged pod under another name fails in staging", async () => {
    const other = daemon();
    other.inputs.metadata.name = "node-debugger";
    expect((await found("staging", other)).length).toBeGreaterThanOrEqual(6);
  });
});

describe("no-plaintext-secrets and empty literals", () => {
  test("an empty secret-named env value holds no secret (chaos-mesh's GCP_CLIENT_SECRET with GCP login off); a set one fails", async () => {
    const d = deployment();
    container(d).env = [{ name: "GCP_CLIENT_SECRET", value: "" }];
    expect(of(await evaluate([d]), "no-plaintext-secrets")).toEqual([]);
    container(d).env = [{ name: "GCP_CLIENT_SECRET", value: "s3cr3t" }];
    expect(of(await evaluate([d]), "no-plaintext-secrets")).toEqual([
      expect.stringContaining("env GCP_CLIENT_SECRET has a literal value"),
    ]);
  });
});
