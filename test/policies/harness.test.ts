import * as aws from "@pulumi/aws";
import {
  type ResourceValidationArgs,
  type StackValidationArgs,
  type StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { policies } from "../../policies/all";
import { evaluatePolicies, loadPolicyConfig } from "../../policies/harness";

const config = loadPolicyConfig("prod");
const bucket = { type: "aws:s3/bucket:Bucket", name: "logs", inputs: { tags: { team: "x" } } };
const other = { type: "random:index/randomPassword:RandomPassword", name: "pw", inputs: {} };

test("notApplicable stops a validation without a violation; stackTags is a Map", async () => {
  const seen: string[] = [];
  const v = await evaluatePolicies([bucket, other], config, { owner: "platform" }, [
    {
      name: "probe",
      description: "",
      enforcementLevel: "mandatory",
      validateResource: (args: ResourceValidationArgs, report) => {
        seen.push(`${args.name}:${args.stackTags.get("owner")}`);
        if (args.type !== bucket.type) args.notApplicable("only buckets");
        report(`tag team=${args.props.tags.team}`);
      },
    },
  ]);
  expect(seen).toEqual(["logs:platform", "pw:platform"]);
  expect(v).toEqual([
    { policy: "probe", level: "mandatory", resource: "aws:s3/bucket:Bucket::logs", message: "tag team=x" },
  ]);
});

test("typed validations in an array (validateResourceOfType) see only their type", async () => {
  const v = await evaluatePolicies([bucket, other], config, {}, [
    {
      name: "typed",
      description: "",
      validateResource: [
        validateResourceOfType(aws.s3.Bucket, (b, _args, report) => report(`bucket tags ${Object.keys(b.tags ?? {})}`)),
        (args, report) => report(`untyped ${args.name}`),
      ],
    },
  ]);
  expect(v.map((x) => `${x.level} ${x.message}`)).toEqual([
    "advisory bucket tags team",
    "advisory untyped logs",
    "advisory untyped pw",
  ]);
});

test("stack policies get resources, getConfig, stackTags and report by URN or for the stack", async () => {
  let received: StackValidationArgs | undefined;
  const stackPolicy: StackValidationPolicy = {
    name: "aws-budget", // reuses a configured name so getConfig returns its block
    description: "",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
      received = args;
      report("whole stack");
      report("one resource", args.resources[0]?.urn);
    },
  };
  const v = await evaluatePolicies([bucket], config, { a: "b" }, [stackPolicy]);
  expect(received?.getConfig()).toEqual({ environment: "prod" });
  expect(received?.stackTags.get("a")).toBe("b");
  expect(received?.resources[0]).toMatchObject({
    type: bucket.type,
    name: "logs",
    props: bucket.inputs,
    dependencies: [],
  });
  expect(received?.resources[0]?.isType(aws.s3.Bucket)).toBe(true);
  // the policy's own level applies: the config block sets no enforcementLevel
  expect(v.map((x) => `${x.level} ${x.resource} ${x.message}`)).toEqual([
    "mandatory stack whole stack",
    "mandatory aws:s3/bucket:Bucket::logs one resource",
  ]);
});

test("the config's enforcementLevel wins (disabled does not run); policies cannot mutate the caller's resources", async () => {
  const d = { type: "kubernetes:core/v1:Service", name: "s", inputs: { spec: { type: "LoadBalancer" } } };
  const off = {
    ...config,
    "load-balancer-services": { ...config["load-balancer-services"], enforcementLevel: "disabled" as const },
  };
  expect((await evaluatePolicies([d], off)).filter((x) => x.policy === "load-balancer-services")).toEqual([]);
  const soft = {
    ...config,
    "load-balancer-services": { ...config["load-balancer-services"], enforcementLevel: "advisory" as const },
  };
  const softened = (await evaluatePolicies([d], soft)).filter((x) => x.policy === "load-balancer-services");
  expect(softened.map((x) => x.level)).toEqual(["advisory"]);
  await evaluatePolicies([d], config, {}, [
    {
      name: "mutator",
      description: "",
      validateResource: (args) => {
        args.props.spec.type = "x";
      },
    },
  ]);
  expect(d.inputs.spec.type).toBe("LoadBalancer");
});

test("every policy has a unique name, a description and a level; config keys name real policies", () => {
  const names = policies.map((p) => p.name);
  expect(new Set(names).size).toBe(names.length);
  for (const p of policies) {
    expect(p.description.length).toBeGreaterThan(10);
    expect(["advisory", "mandatory"]).toContain(p.enforcementLevel);
  }
  for (const env of ["dev", "staging", "prod"] as const) {
    for (const key of Object.keys(loadPolicyConfig(env))) expect(names).toContain(key);
  }
  // a policy that reads config declares a schema for it (the CLI validates the JSON against it)
  for (const key of Object.keys(config)) expect(policies.find((p) => p.name === key)?.configSchema).toBeDefined();
});
