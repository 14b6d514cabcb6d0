import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../config/schema";
import { PLATFORM_CONFIG_KEY } from "../config/stack-file";
import { PLACEHOLDER_SECRET, requiredSecretKeys } from "../platform/secrets";

export { stackConfigFile } from "../config/stack-file";

export const PROJECT = "observability-platform";
export const HELM_CHART_TYPE = "kubernetes:helm.sh/v4:Chart";

export interface CollectedResource {
  type: string;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: resource inputs are arbitrary JSON
  inputs: Record<string, any>;
}

const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

/** Secrets reach the mocks wrapped in Pulumi's secret envelope; objects are checked as Kubernetes sees them. */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  if (SECRET_SIGNATURE in record && "value" in record) return unwrapSecrets(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/** Pulumi's own "all registrations done" barrier (exported by the runtime, missing from its typings). */
const waitForRegistrations = () => (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

/** Computed outputs the program reads back; everything else echoes the inputs. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type === "random:index/randomPassword:RandomPassword") return { ...inputs, result: `mock-${name}` };
  if (type === "aws:opensearch/domain:Domain")
    return { ...inputs, endpoint: `${inputs.domainName}-mock.es.amazonaws.com`, arn: `arn:aws:es:::domain/${name}` };
  if (type === "aws:s3/bucket:Bucket") return { ...inputs, bucket: `${name}-mock`, arn: `arn:aws:s3:::${name}-mock` };
  return inputs;
}

/**
 * Runs the real program under Pulumi's mock runtime with `config` and returns every resource it
 * registered. `load` imports the program (after the mocks and config are set, as Pulumi requires).
 */
export async function collectResources(
  stack: string,
  config: Record<string, string>,
  load: () => Promise<unknown> | unknown,
  /** Called as each resource registers (its inputs resolved), e.g. to start work on it early. */
  onResource?: (resource: CollectedResource) => void,
): Promise<{ resources: CollectedResource[]; outputs: Record<string, unknown> }> {
  const resources: CollectedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: ({ type, name, inputs }) => {
        const resource = { type, name, inputs: unwrapSecrets(inputs) as Record<string, unknown> };
        resources.push(resource);
        onResource?.(resource);
        return { id: `${name}-id`, state: mockState(type, name, inputs) };
      },
      call: ({ inputs }) => inputs,
    },
    PROJECT,
    stack,
    false,
  );
  // the secrets this stack needs get placeholders when absent: mocks and preflight never hold the real ones
  pulumi.runtime.setAllConfig(withPlaceholderSecrets(config));
  const program = (await load()) as Record<string, unknown>;
  await waitForRegistrations();
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program)) {
    outputs[key] = pulumi.Output.isInstance(value) ? await new Promise((resolve) => value.apply(resolve)) : value;
  }
  await waitForRegistrations();
  return { resources, outputs };
}

function withPlaceholderSecrets(config: Record<string, string>): Record<string, string> {
  const platform = config[PLATFORM_CONFIG_KEY];
  if (!platform) return config;
  let keys: string[] = [];
  try {
    keys = requiredSecretKeys(parseStackConfig(JSON.parse(platform)));
  } catch {
    return config; // an invalid config is the program's to report, with its own message
  }
  const filled = { ...config };
  for (const key of keys) filled[`${PROJECT}:${key}`] ??= PLACEHOLDER_SECRET;
  return filled;
}

/** `kubernetes:apps/v1:Deployment` → the object Kubernetes would receive. */
export function asKubernetesObject(resource: CollectedResource): Record<string, unknown> | undefined {
  const match = /^kubernetes:([^:]+):([A-Za-z]+)$/.exec(resource.type);
  if (!match || resource.type === HELM_CHART_TYPE) return undefined;
  const [, groupVersion, kind] = match;
  const apiVersion = (groupVersion as string).replace(/^core\//, "");
  return { apiVersion, kind, ...resource.inputs };
}
