import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../../infra/charts/values-files";
import {
  loadStackConfig,
  loadStackConfigWith,
  PLATFORM_CONFIG_KEY,
  readStackOverlay,
  stackConfigFileWith,
} from "../../infra/config/stack-file";

const EXAMPLES = path.join(repoRoot(), "docs", "examples");
const examples = readdirSync(EXAMPLES).filter((f) => f.startsWith("aws-prod") && f.endsWith(".yaml"));

describe("stack variants laid over a stack file (preflight --overlay)", () => {
  test("maps merge and scalars replace: the variant's aws block over prod's keeps prod's other keys and aws.export", () => {
    const prod = loadStackConfig("prod");
    const merged = loadStackConfigWith("prod", {
      aws: {
        enabled: true,
        region: "eu-west-1",
        accountId: "123456789012",
        identity: { mechanism: "pod-identity", clusterName: "c" },
      },
    });
    expect(merged.aws.enabled).toBe(true);
    expect(merged.aws.identity?.clusterName).toBe("c");
    // prod's own aws.export (90 days) survives the overlay, which does not mention it
    expect(merged.aws.export.logRetentionDays).toBe(prod.aws.export.logRetentionDays);
    expect({ ...merged, aws: prod.aws }).toEqual(prod);
  });

  test("a null in the overlay removes the stack's key, so prod's url remote write can become AMP", () => {
    const aws = {
      enabled: true,
      region: "eu-west-1",
      accountId: "123456789012",
      identity: { mechanism: "pod-identity", clusterName: "c" },
    };
    const amp = loadStackConfigWith("prod", {
      aws,
      distributed: { prometheus: { remoteWrite: { kind: "amp", url: null, auth: null } } },
    });
    expect(amp.distributed.prometheus.remoteWrite).toEqual({ kind: "amp" });
    // without the nulls the url keys stay, and AMP's strict shape refuses them
    expect(() =>
      loadStackConfigWith("prod", { aws, distributed: { prometheus: { remoteWrite: { kind: "amp" } } } }),
    ).toThrow(/distributed\.prometheus\.remoteWrite/);
  });

  test("without an overlay the stack file is returned as it is", () => {
    const plain = stackConfigFileWith("prod");
    expect(JSON.parse(plain[PLATFORM_CONFIG_KEY] as string).aws.enabled).toBe(false);
  });

  test("a file without the platform key is refused, naming the key it needs", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "overlay-"));
    const file = path.join(dir, "bad.yaml");
    writeFileSync(file, "config:\n  platform:\n    aws: {}\n");
    expect(() => readStackOverlay(file)).toThrow(`no config."${PLATFORM_CONFIG_KEY}" map`);
  });

  test("docs/examples holds both identity mechanisms, each a valid prod with AWS on", () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
    const mechanisms = examples.map((f) => {
      const config = loadStackConfigWith("prod", readStackOverlay(path.join(EXAMPLES, f)));
      expect(config.aws.enabled).toBe(true);
      return config.aws.identity?.mechanism;
    });
    expect(mechanisms.sort()).toEqual(["irsa", "pod-identity"]);
  });

  test(".ci/run preflights prod with every AWS example laid over it", () => {
    const ci = readFileSync(path.join(repoRoot(), ".ci", "run"), "utf8");
    expect(ci).toContain("for overlay in docs/examples/aws-prod*.yaml; do");
    expect(ci).toContain('npm run --silent preflight -- prod --overlay "$overlay"');
  });
});
