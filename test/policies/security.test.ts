import type { HarnessResource } from "../../policies/harness";
import { chart, container, deployment, evaluate, of } from "./support";

describe("pod-security", () => {
  test("passes a hardened Deployment", async () => {
    expect(of(await evaluate([deployment()]), "pod-security")).toEqual([]);
  });

  test("fails root, privileged, escalation, writable root fs and host access; finds CronJob pods", async () => {
    const d = deployment();
    const pod = d.inputs.spec.template.spec;
    pod.securityContext = { runAsUser: 0 };
    pod.hostNetwork = true;
    pod.volumes = [{ name: "root", hostPath: { path: "/" } }];
    container(d).securityContext = { privileged: true };
    const cron: HarnessResource = {
      type: "kubernetes:batch/v1:CronJob",
      name: "cron",
      inputs: { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "c" }] } } } } } },
    };
    expect(of(await evaluate([d, cron]), "pod-security")).toEqual([
      expect.stringContaining("runAsNonRoot is not true"),
      expect.stringContaining("runs as root"),
      expect.stringContaining("privileged"),
      expect.stringContaining("allowPrivilegeEscalation is not false"),
      expect.stringContaining("readOnlyRootFilesystem is not true"),
      expect.stringContaining("hostNetwork is true"),
      expect.stringContaining("volume root is a hostPath"),
      "kubernetes:batch/v1:CronJob::cron: container c: runAsNonRoot is not true",
      expect.stringContaining("cron: container c: allowPrivilegeEscalation"),
      expect.stringContaining("cron: container c: readOnlyRootFilesystem"),
    ]);
  });

  test("exempts the listed node agents from the host-access check only", async () => {
    const d = deployment("kps-prometheus-node-exporter");
    d.inputs.spec.template.spec.hostNetwork = true;
    expect(of(await evaluate([d]), "pod-security")).toEqual([]);
  });
});

describe("container-resources-and-probes", () => {
  test("a helper container that serves no port (config reloader) needs resources but no probes", async () => {
    const d = deployment();
    d.inputs.spec.template.spec.containers.push({
      name: "config-reloader",
      resources: { requests: { cpu: "5m" }, limits: { memory: "64Mi" } },
    });
    expect(of(await evaluate([d]), "container-resources-and-probes")).toEqual([]);
    delete d.inputs.spec.template.spec.containers[1].resources.limits;
    expect(of(await evaluate([d]), "container-resources-and-probes")).toEqual([
      expect.stringContaining("container config-reloader: no memory limit"),
    ]);
  });

  test("fails missing requests, memory limit and probes", async () => {
    const d = deployment();
    container(d).resources = { limits: { cpu: "1" } };
    delete container(d).livenessProbe;
    delete container(d).readinessProbe;
    expect(of(await evaluate([deployment("ok"), d]), "container-resources-and-probes")).toEqual([
      expect.stringContaining("no resource requests"),
      expect.stringContaining("no memory limit"),
      expect.stringContaining("no livenessProbe"),
      expect.stringContaining("no readinessProbe"),
    ]);
  });
});

describe("image-pinned", () => {
  test.each([
    ["ghcr.io/x/a:1.0.0", true],
    ["localhost:5001/x/a:0.1.0", true],
    ["ghcr.io/x/a@sha256:abc", true],
    ["ghcr.io/x/a:latest", false],
    ["localhost:5001/x/a", false],
  ])("%s pinned=%s", async (image, pinned) => {
    const d = deployment();
    container(d).image = image;
    expect(of(await evaluate([d]), "image-pinned")).toHaveLength(pinned ? 0 : 1);
  });

  test("fails a chart image override with tag latest", async () => {
    const v = await evaluate([chart("opentelemetry-collector", { image: { repository: "otel/x", tag: "latest" } })]);
    expect(of(v, "image-pinned")).toEqual([expect.stringContaining('image.tag is "latest"')]);
  });
});

describe("load-balancer-services", () => {
  const service = (type: string) => ({
    type: "kubernetes:core/v1:Service",
    name: type,
    inputs: { spec: { type } },
  });
  test("fails LoadBalancer Services and chart service values unless allowed", async () => {
    const grafanaLb = chart("kube-prometheus-stack", { grafana: { service: { type: "LoadBalancer" } } }, "kps");
    const resources = [service("ClusterIP"), service("LoadBalancer"), grafanaLb];
    expect(of(await evaluate(resources), "load-balancer-services")).toEqual([
      "kubernetes:core/v1:Service::LoadBalancer: Service of type LoadBalancer",
      expect.stringContaining("grafana.service.type is LoadBalancer"),
    ]);
  });
});

describe("s3-bucket-security", () => {
  const bucket = { type: "aws:s3/bucket:Bucket", name: "logs", inputs: {} };
  const sse = {
    type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    name: "logs-sse",
    inputs: { bucket: "logs-id", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] },
  };
  const block = (restrictPublicBuckets: boolean) => ({
    type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    name: "logs-private",
    inputs: {
      bucket: "logs-id",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets,
    },
  });
  test("passes encrypted, private buckets", async () => {
    expect(of(await evaluate([bucket, sse, block(true)]), "s3-bucket-security")).toEqual([]);
  });
  test("fails missing encryption and a partial public access block", async () => {
    expect(of(await evaluate([bucket, block(false)]), "s3-bucket-security")).toEqual([
      expect.stringContaining("no server-side encryption"),
      expect.stringContaining("no public access block"),
    ]);
  });
});

describe("no-plaintext-secrets", () => {
  test("allows valueFrom, fails literal secret env, ConfigMap keys and grafana.adminPassword", async () => {
    const d = deployment();
    container(d).env = [
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
      { name: "API_KEY", value: "abc" },
    ];
    const configMap = {
      type: "kubernetes:core/v1:ConfigMap",
      name: "cm",
      inputs: { data: { "auth-token": "x", ok: "y" } },
    };
    const kps = chart("kube-prometheus-stack", { grafana: { adminPassword: "admin" } }, "kps");
    expect(of(await evaluate([d, configMap, kps]), "no-plaintext-secrets")).toEqual([
      expect.stringContaining("env API_KEY has a literal value"),
      expect.stringContaining("ConfigMap key auth-token"),
      expect.stringContaining("grafana.adminPassword"),
    ]);
  });
});

describe("fault-injection-not-in-prod", () => {
  const withToken = () => {
    const d = deployment();
    container(d).env.push({ name: "ADMIN_TOKEN", valueFrom: { secretKeyRef: { name: "t", key: "token" } } });
    return d;
  };
  test("fails ADMIN_TOKEN in prod, allows it where the config allows fault injection", async () => {
    expect(of(await evaluate([withToken()], "prod"), "fault-injection-not-in-prod")).toEqual([
      expect.stringContaining("ADMIN_TOKEN enables fault injection in prod"),
    ]);
    expect(of(await evaluate([withToken()], "dev"), "fault-injection-not-in-prod")).toEqual([]);
  });
});
