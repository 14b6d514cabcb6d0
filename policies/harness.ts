import { readFileSync } from "node:fs";
import path from "node:path";
import type {
  EnforcementLevel,
  Policies,
  Policy,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { repoRoot } from "../infra/charts/values-files";
import { policies } from "./all";
import { type Environment, environmentOf, type PolicyPackConfig, policyPackConfigSchema } from "./config/schema";

/**
 * Runs the pack's policies over resources collected under mocks (tests, preflight) with the args the
 * Pulumi analyzer passes (see @pulumi/policy server.js): inputs as props, getConfig per policy,
 * notApplicable, stackTags. Resources are seen with inputs only, for stack policies too.
 */

export interface Violation {
  policy: string;
  level: EnforcementLevel;
  /** `type::name`, or "stack" for a stack policy reporting without a URN. */
  resource: string;
  message: string;
}

export interface HarnessResource {
  type: string;
  name: string;
  /** The parent's type when it is a chart: a preview's URN then reads `…::<chart type>$<type>::<name>`. */
  parentType?: string;
  // biome-ignore lint/suspicious/noExplicitAny: resource inputs are arbitrary JSON
  inputs: Record<string, any>;
}

/** Reads and validates policies/config/<env>.json. */
export function loadPolicyConfig(env: Environment): PolicyPackConfig {
  // From the repository root, so the compiled preflight (dist/) reads the same files as the tests.
  const file = path.join(repoRoot(), "policies", "config", `${env}.json`);
  return policyPackConfigSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

const OPTS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** Same test as the analyzer: the class's `__pulumiType`, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const cls = resourceClass as { __pulumiType?: string; isInstance?: (o: unknown) => boolean };
  if (typeof cls.__pulumiType === "string" && cls.__pulumiType) return cls.__pulumiType === type;
  return cls.isInstance?.({ __pulumiType: type }) === true;
}

function levelOf(policy: Policy, config: PolicyPackConfig): EnforcementLevel {
  const entry = config[policy.name];
  const level = (typeof entry === "string" ? entry : entry?.enforcementLevel) ?? policy.enforcementLevel ?? "advisory";
  return level === "remediate" ? "mandatory" : level; // violations after remediation count as mandatory
}

function configFor(policy: Policy, config: PolicyPackConfig) {
  const entry = config[policy.name];
  if (typeof entry !== "object") return {};
  const { enforcementLevel: _, ...properties } = entry;
  return properties;
}

const isStackPolicy = (p: Policy): p is StackValidationPolicy => "validateStack" in p;

async function ignoringNotApplicable(run: () => Promise<void> | void): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof NotApplicable)) throw err;
  }
}

/** Evaluates `pack` (the whole pack unless a test passes its own) and returns every violation. */
export async function evaluatePolicies(
  resources: HarnessResource[],
  config: PolicyPackConfig,
  stackTags: Record<string, string> = {},
  pack: Policies = policies,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const tags: ReadonlyMap<string, string> = new Map(Object.entries(stackTags));
  const urnOf = (r: HarnessResource) =>
    `urn:pulumi:${environmentOf(config)}::observability-platform::${r.parentType ? `${r.parentType}$` : ""}${r.type}::${r.name}`;
  const byUrn = new Map(resources.map((r) => [urnOf(r), `${r.type}::${r.name}`]));
  // One copy per resource, shared by every policy, as the analyzer deserializes each resource once per request:
  // a policy that writes to its props cannot change the caller's resources.
  const propsOf = new Map(resources.map((r) => [r, structuredClone(r.inputs)]));

  for (const policy of pack) {
    const level = levelOf(policy, config);
    if (level === "disabled") continue;
    const getConfig = <T extends object>() => configFor(policy, config) as T;
    const reporter =
      (fallback: string): ReportViolation =>
      (message, urn) =>
        violations.push({ policy: policy.name, level, resource: (urn && byUrn.get(urn)) || fallback, message });

    if (isStackPolicy(policy)) {
      const stackResources: PolicyResource[] = resources.map((r) => {
        const props = propsOf.get(r) as Record<string, unknown>;
        return {
          type: r.type,
          props,
          urn: urnOf(r),
          name: r.name,
          opts: OPTS,
          dependencies: [],
          propertyDependencies: {},
          isType: (cls) => isTypeOf(r.type, cls),
          // biome-ignore lint/suspicious/noExplicitAny: asType returns the untyped props as the class's args
          asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as any,
        };
      });
      const args: StackValidationArgs = { resources: stackResources, getConfig, stackTags: tags, notApplicable };
      await ignoringNotApplicable(() => policy.validateStack(args, reporter("stack")));
      continue;
    }

    const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
    for (const r of resources) {
      for (const validate of validations) {
        const props = propsOf.get(r) as Record<string, unknown>;
        const args: ResourceValidationArgs = {
          type: r.type,
          props,
          urn: urnOf(r),
          name: r.name,
          opts: OPTS,
          stackTags: tags,
          isType: (cls) => isTypeOf(r.type, cls),
          // biome-ignore lint/suspicious/noExplicitAny: asType returns the untyped props as the class's args
          asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as any,
          getConfig,
          notApplicable,
        };
        await ignoringNotApplicable(() => validate(args, reporter(`${r.type}::${r.name}`)));
      }
    }
  }
  return violations;
}
