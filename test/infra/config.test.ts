import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, StackConfigError } from "../../infra/config/schema";
import { stackConfigFile } from "../../infra/preflight/collect";
import { runStack } from "./support";

const devConfig = () => JSON.parse(stackConfigFile("dev")["observability-platform:platform"] as string);

function problemsOf(edit: (c: Record<string, any>) => void): string[] {
  const config = devConfig();
  edit(config);
  try {
    parseStackConfig(config);
  } catch (err) {
    if (err instanceof StackConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe("stack config validation", () => {
  test("the three stack files are valid", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      expect(() =>
        parseStackConfig(JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string)),
      ).not.toThrow();
    }
  });

  test.each([
    ["an unknown environment", (c: any) => (c.environment = "qa"), "environment: must be one of: dev, staging, prod"],
    ["an unknown key", (c: any) => (c.retention = 3), 'Unrecognized key: "retention"'],
    ["a negative retention", (c: any) => (c.logs.retentionDays = -1), "logs.retentionDays:"],
    [
      "a retention size above the volume",
      (c: any) => (c.metrics.retentionSizeGi = 10),
      "metrics.retentionSizeGi: retentionSizeGi must be below storageGi",
    ],
    [
      "the latest tag",
      (c: any) => (c.images.tag = "latest"),
      'images.tag: must be an immutable tag (a version or commit), not "latest"',
    ],
    ["a bad team label", (c: any) => (c.team = "Platform Team"), "team: must be a Kubernetes label value"],
    ["a sampling percentage over 100", (c: any) => (c.traces.samplingPercentage = 150), "traces.samplingPercentage:"],
    ["maxReplicas below replicas", (c: any) => (c.services.order.maxReplicas = 0), "services.order.maxReplicas:"],
    [
      "a bad memory quantity",
      (c: any) => (c.services.user.resources.memoryLimit = "1GB"),
      "services.user.resources.memoryLimit: must be a memory quantity",
    ],
    ["AWS without a region", (c: any) => (c.aws = { enabled: true }), "aws.region: region is required when enabled"],
    [
      "non-persistent storage in prod",
      (c: any) => {
        c.environment = "prod";
        c.storage.persistent = false;
      },
      "storage.persistent: must be true in prod",
    ],
  ])("%s is refused with a message naming the key", (_case, edit, message) => {
    const problems = problemsOf(edit);
    expect(problems.join("\n")).toContain(message);
  });

  test("the program refuses a bad config with Pulumi's RunError (printed without a stack trace)", async () => {
    const error = await runStack("dev", (c) => (c.images = { ...(c.images as object), tag: "latest" })).catch(
      (err: Error) => err,
    );
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("images.tag: must be an immutable tag");
  });
});
