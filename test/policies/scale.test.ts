import type { HarnessResource } from "../../policies/harness";
import { s3EndpointProblem } from "../../policies/rules/storage-encryption";
import { chart, evaluate, of } from "./support";

// The distributed shape as the program registers it: Loki simple scalable, a gateway and a sampler collector, Jaeger on OpenSearch.
const loki = (values: Record<string, unknown> = {}) => chart("loki", { deploymentMode: "SimpleScalable", ...values });
const gateway = chart("opentelemetry-collector", { mode: "deployment" }, "otel-gateway");
const sampler = chart("opentelemetry-collector", { mode: "statefulset" }, "otel-sampler");
const jaeger = (kind: string) =>
  chart("jaeger", { userconfig: { extensions: { jaeger_storage: { backends: { traces: { [kind]: {} } } } } } });
const distributed = [loki(), gateway, sampler, jaeger("opensearch")];
const single = [chart("loki", { deploymentMode: "Monolithic" }), gateway, jaeger("badger")];

describe("scale-distributed (mandatory where requireDistributed)", () => {
  test("prod with Loki Monolithic, no sampler StatefulSet and Jaeger on Badger is refused on each, as mandatory", async () => {
    const violations = (await evaluate(single, "prod")).filter((v) => v.policy === "scale-distributed");
    const fix = "set scale: distributed in Pulumi.prod.yaml (docs/scaling.md)";
    expect(violations.map((v) => v.message)).toEqual([
      `Loki chart deploymentMode is Monolithic, prod needs SimpleScalable or Distributed: ${fix}`,
      `no collector chart runs mode statefulset (the trace-aware sampling tier), found otel-gateway: deployment: ${fix}`,
      `Jaeger stores traces on badger (one node): ${fix}`,
    ]);
    expect(new Set(violations.map((v) => v.level))).toEqual(new Set(["mandatory"]));
  });

  test("each single-node signal alone is enough to refuse prod", async () => {
    const cases: [string, HarnessResource[]][] = [
      ["Loki without deploymentMode", [chart("loki", {}), gateway, sampler, jaeger("opensearch")]],
      ["only a gateway collector", [loki(), gateway, jaeger("opensearch")]],
      ["Jaeger in memory", [loki(), gateway, sampler, jaeger("memory")]],
    ];
    for (const [name, resources] of cases) {
      expect([name, of(await evaluate(resources, "prod"), "scale-distributed").length]).toEqual([name, 1]);
    }
  });

  test("prod in the distributed shape passes, and Loki's Distributed mode counts as scalable", async () => {
    expect(of(await evaluate(distributed, "prod"), "scale-distributed")).toEqual([]);
    const micro = [loki({ deploymentMode: "Distributed" }), gateway, sampler, jaeger("opensearch")];
    expect(of(await evaluate(micro, "prod"), "scale-distributed")).toEqual([]);
  });

  test("dev and staging may stay single (requireDistributed false in their policy config)", async () => {
    expect(of(await evaluate(single, "dev"), "scale-distributed")).toEqual([]);
    expect(of(await evaluate(single, "staging"), "scale-distributed")).toEqual([]);
  });
});

const domain = (props: Record<string, unknown>): HarnessResource => ({
  type: "aws:opensearch/domain:Domain",
  name: "traces",
  inputs: {
    encryptAtRest: { enabled: true },
    nodeToNodeEncryption: { enabled: true },
    domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" },
    ...props,
  },
});

describe("storage-encryption (mandatory)", () => {
  test("an OpenSearch domain with every encryption setting passes; the 2023 PFS TLS 1.2 policy too", async () => {
    expect(of(await evaluate([domain({})], "dev"), "storage-encryption")).toEqual([]);
    const pfs = domain({
      domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
    });
    expect(of(await evaluate([pfs], "dev"), "storage-encryption")).toEqual([]);
  });

  test("a domain missing each encryption setting is refused, naming the setting, in every environment", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ encryptAtRest: { enabled: false } }, "encryptAtRest.enabled must be true"],
      [{ encryptAtRest: undefined }, "encryptAtRest.enabled must be true"],
      [{ nodeToNodeEncryption: { enabled: false } }, "nodeToNodeEncryption.enabled must be true"],
      [
        { domainEndpointOptions: { enforceHttps: false, tlsSecurityPolicy: "Policy-Min-TLS-1-2-2019-07" } },
        "domainEndpointOptions.enforceHttps must be true",
      ],
      [
        { domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07" } },
        "domainEndpointOptions.tlsSecurityPolicy is Policy-Min-TLS-1-0-2019-07, allowed: Policy-Min-TLS-1-2-2019-07, Policy-Min-TLS-1-2-PFS-2023-10 or newer",
      ],
    ];
    for (const [props, message] of cases) {
      const violations = (await evaluate([domain(props)], "dev")).filter((v) => v.policy === "storage-encryption");
      expect(violations.map((v) => [v.message, v.level])).toEqual([
        [`OpenSearch domain traces: ${message}`, "mandatory"],
      ]);
    }
  });

  test("Loki's S3-compatible endpoint over http:// or with insecure: true is refused; https:// passes", async () => {
    const s3 = (s3: Record<string, unknown>) => loki({ loki: { storage: { type: "s3", s3 } } });
    expect(of(await evaluate([s3({ endpoint: "https://objects.example.com" })], "prod"), "storage-encryption")).toEqual(
      [],
    );
    expect(of(await evaluate([s3({ endpoint: "http://objects.example.com" })], "prod"), "storage-encryption")).toEqual([
      "kubernetes:helm.sh/v4:Chart::platform-loki: Loki chart loki.storage.s3: endpoint http://objects.example.com is not https:// (allowed: an https:// URL, or a host with insecure: false)",
    ]);
    const insecure = s3({ endpoint: "https://objects.example.com", insecure: true });
    expect(of(await evaluate([insecure], "prod"), "storage-encryption")).toHaveLength(1);
  });

  test("an endpoint given as a bare host is https only when insecure: false says so; no endpoint (AWS S3) passes", () => {
    expect(s3EndpointProblem({ endpoint: "objects.example.com", insecure: false })).toBeUndefined();
    expect(s3EndpointProblem({ endpoint: "objects.example.com" })).toMatch(/is not https:\/\//);
    expect(s3EndpointProblem({ region: "eu-west-1" })).toBeUndefined();
  });
});
