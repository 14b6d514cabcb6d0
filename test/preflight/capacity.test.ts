import { parseStackConfig, type StackConfig } from "../../infra/config/schema";
import { storageSizing, storeClaimsExist } from "../../infra/preflight/checks/capacity";
import { stackConfigFile } from "../../infra/preflight/collect";
import { obj } from "./support";

const configOf = (stack: string, edit: (c: Record<string, any>) => void = () => {}): StackConfig => {
  const c = JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string);
  edit(c);
  return parseStackConfig(c);
};

describe("storage-sizing check", () => {
  test.each(["dev", "staging", "prod"])("the committed %s stack passes", (stack) => {
    expect(storageSizing(configOf(stack))).toEqual([]);
  });

  test("an undersized Jaeger volume is rejected naming the key, the projection and its inputs", () => {
    const findings = storageSizing(configOf("prod", (c) => (c.traces.storageGi = 100)));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toEqual({
      check: "storage-sizing",
      object: "stack config (Pulumi.prod.yaml)",
      message: expect.stringMatching(
        /^traces\.storageGi is below the projected need: traces\.storageGi = 100 Gi, projected 157\.56 Gi for traces \(averageRps=100, spansPerRequest=7, share of traces kept=0\.111, bytesPerSpan=2400, retentionHours=168\); raise traces\.storageGi or lower the retention$/,
      ),
    });
  });

  test("more traffic undersizes dev's logs volume", () => {
    const findings = storageSizing(configOf("dev", (c) => (c.capacity.peakRps = 200)));
    expect(findings.map((f) => f.message.split(" is below")[0])).toEqual(["logs.storageGi"]);
  });

  test("a smaller retention size than the projected series need is rejected on metrics.retentionSizeGi", () => {
    const findings = storageSizing(
      configOf("staging", (c) => {
        c.metrics.retentionSizeGi = 10;
      }),
    );
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringContaining("metrics.retentionSizeGi = 10 Gi, projected 10.84 Gi"),
    ]);
  });
});

describe("store-claims check", () => {
  // prod's stores in `scale: single` (Loki's and Badger's claims); distributed ones have no single claim to watch
  const prod = configOf("prod", (c) => (c.scale = "single"));
  const lokiSet = obj({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "loki", namespace: "obs-prod-platform" },
    spec: { replicas: 1, volumeClaimTemplates: [{ metadata: { name: "storage" } }] },
  });
  const jaegerClaim = obj({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "jaeger-badger", namespace: "obs-prod-platform" },
  });

  test("Loki's claim template and Jaeger's claim satisfy the storage alerts' patterns", () => {
    expect(storeClaimsExist([lokiSet, jaegerClaim], prod)).toEqual([]);
  });

  test("a renamed claim is reported with the claims that exist", () => {
    const renamed = obj({ ...jaegerClaim.object, metadata: { name: "badger-data", namespace: "obs-prod-platform" } });
    const findings = storeClaimsExist([lokiSet, renamed], prod);
    expect(findings.map((f) => f.message)).toEqual([
      'the jaeger storage alert looks for PersistentVolumeClaim ~ "jaeger-badger" in obs-prod-platform, which matches none of: badger-data, storage-loki-0',
    ]);
  });

  test("claims in another namespace do not count", () => {
    const elsewhere = obj({ ...jaegerClaim.object, metadata: { name: "jaeger-badger", namespace: "default" } });
    expect(storeClaimsExist([lokiSet, elsewhere], prod).map((f) => f.check)).toEqual(["store-claims"]);
  });

  test("distributed prod watches no Badger claim: Jaeger writes to OpenSearch", () => {
    expect(storeClaimsExist([lokiSet], configOf("prod"))).toEqual([]);
  });

  test("dev (no persistent storage) has no claims to check", () => {
    expect(storeClaimsExist([], configOf("dev"))).toEqual([]);
  });
});
