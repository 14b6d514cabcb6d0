import { type CollectedResource, collectResources, stackConfigFile } from "../../infra/preflight/collect";

export type Stack = "dev" | "staging" | "prod";

/** Runs infra/index.ts under mocks for a stack (optionally with the config object edited). */
export async function runStack(
  stack: Stack,
  edit?: (platform: Record<string, unknown>) => void,
): Promise<{ resources: CollectedResource[]; outputs: Record<string, unknown> }> {
  const config = stackConfigFile(stack);
  if (edit) {
    const key = "observability-platform:platform";
    const platform = JSON.parse(config[key] as string);
    edit(platform);
    config[key] = JSON.stringify(platform);
  }
  let result: Awaited<ReturnType<typeof collectResources>> | undefined;
  await jest.isolateModulesAsync(async () => {
    result = await collectResources(stack, config, () => require("../../infra/index"));
  });
  if (!result) throw new Error("program did not run");
  return result;
}

export function ofType(resources: CollectedResource[], type: string): CollectedResource[] {
  return resources.filter((r) => r.type === type);
}

export function chart(resources: CollectedResource[], release: string): CollectedResource {
  const found = resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.name === release);
  if (!found) throw new Error(`no chart ${release}`);
  return found;
}
