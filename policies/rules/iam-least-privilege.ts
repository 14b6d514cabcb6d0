import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isRecord, type Json } from "../lib/values";

/** IAM permission policies (not trust policies): where each type keeps its documents. */
const POLICY_TYPES = new Set([
  "aws:iam/policy:Policy",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/groupPolicy:GroupPolicy",
]);
const ROLE = "aws:iam/role:Role";

/**
 * Actions whose entry in the AWS Service Authorization Reference lists no resource type, so `Resource: "*"` is
 * their only form: X-Ray's trace and sampling APIs, and the read calls of Grafana's CloudWatch datasource. Kept
 * here, apart from the program's own lists, so the pack checks the program rather than trusting it.
 */
const UNSCOPED_NAMESPACES = ["xray:"];
export const UNSCOPED_ACTIONS = [
  "cloudwatch:GetMetricData",
  "cloudwatch:GetMetricStatistics",
  "cloudwatch:ListMetrics",
  "logs:GetQueryResults",
  "logs:StopQuery",
].map((a) => a.toLowerCase());

const unscoped = (action: string) => {
  const a = action.toLowerCase();
  return UNSCOPED_NAMESPACES.some((n) => a.startsWith(n)) || UNSCOPED_ACTIONS.includes(a);
};

const list = (v: Json): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** What is wrong with one policy document (a JSON string or an object); empty when least-privilege. */
export function leastPrivilegeProblems(document: Json): string[] {
  let doc = document;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      return ["policy is not valid JSON"];
    }
  }
  if (!isRecord(doc)) return ["policy is not a JSON object"];
  return list(doc.Statement).flatMap((s: Json, i: number) => {
    if (!isRecord(s) || s.Effect !== "Allow") return [];
    const at = `Statement[${i}]${typeof s.Sid === "string" ? ` (${s.Sid})` : ""}`;
    const problems: string[] = [];
    if (s.NotAction !== undefined) problems.push(`${at} allows NotAction: everything but a list`);
    if (s.NotResource !== undefined) problems.push(`${at} allows NotResource: everything but a list`);
    const actions = list(s.Action).map(String);
    if (actions.includes("*")) problems.push(`${at} allows Action "*"`);
    if (list(s.Resource).includes("*")) {
      const scoped = actions.filter((a) => a !== "*" && !unscoped(a));
      if (scoped.length > 0) problems.push(`${at} grants ${scoped.join(", ")} on Resource "*"`);
    }
    return problems;
  });
}

/** A role for one workload gets the actions its configuration calls, on the project's own ARNs. */
export const iamLeastPrivilege: ResourceValidationPolicy = {
  name: "iam-least-privilege",
  description:
    'IAM policies allow no Action "*", no NotAction/NotResource, and Resource "*" only on actions that take no resource (X-Ray, CloudWatch metric reads, Logs query results).',
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    let documents: Json[];
    if (POLICY_TYPES.has(args.type)) documents = [args.props.policy];
    else if (args.type === ROLE) documents = list(args.props.inlinePolicies).map((p: Json) => p?.policy);
    else return args.notApplicable("not an IAM permission policy");
    // an unknown document (computed during a preview) is checked at the next preview, once known
    for (const doc of documents.filter((d) => d !== undefined && d !== null)) {
      for (const problem of leastPrivilegeProblems(doc)) report(problem);
    }
  },
};
