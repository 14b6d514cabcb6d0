import { type ApiOperation, RESPONDER_OPERATIONS } from "../../contract";

/** One rule of a Role (rbac.authorization.k8s.io/v1 PolicyRule), one API group and resource each. */
export interface RoleRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * The responder's Role rules, derived from every API call it makes (RESPONDER_OPERATIONS): one rule per
 * API group and resource, with the verbs it uses on it, sorted. Nothing is granted that the code does not
 * call, so a new call without its entry fails with 403 in the cluster and shows up in review here.
 */
export function roleRules(operations: Record<string, ApiOperation> = RESPONDER_OPERATIONS): RoleRule[] {
  const verbs = new Map<string, { apiGroup: string; resource: string; verbs: Set<string> }>();
  for (const { apiGroup, resource, verb } of Object.values(operations)) {
    const key = `${apiGroup}/${resource}`;
    const entry = verbs.get(key) ?? { apiGroup, resource, verbs: new Set<string>() };
    entry.verbs.add(verb);
    verbs.set(key, entry);
  }
  return [...verbs.values()]
    .sort((a, b) => a.apiGroup.localeCompare(b.apiGroup) || a.resource.localeCompare(b.resource))
    .map((e) => ({ apiGroups: [e.apiGroup], resources: [e.resource], verbs: [...e.verbs].sort() }));
}
