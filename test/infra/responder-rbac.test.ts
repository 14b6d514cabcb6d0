import { type ApiOperation, RESPONDER_OPERATIONS } from "../../contract";
import { type RoleRule, roleRules } from "../../infra/responder/rbac";

/** Every (apiGroup, resource, verb) a set of rules grants, as "group/resource:verb". */
const grants = (rules: RoleRule[]) =>
  new Set(
    rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
    ),
  );
const calls = (ops: Record<string, ApiOperation>) =>
  new Set(Object.values(ops).map((o) => `${o.apiGroup}/${o.resource}:${o.verb}`));

describe("roleRules: the responder's Role from RESPONDER_OPERATIONS", () => {
  test("grants exactly the calls the responder makes: each one is allowed, nothing else is", () => {
    expect([...grants(roleRules())].sort()).toEqual([...calls(RESPONDER_OPERATIONS)].sort());
  });

  test("one rule per API group and resource, verbs sorted and without duplicates", () => {
    const rules = roleRules();
    const keys = rules.map((r) => `${r.apiGroups.join()}/${r.resources.join()}`);
    expect(new Set(keys).size).toBe(rules.length);
    for (const r of rules) {
      expect([r.apiGroups.length, r.resources.length]).toEqual([1, 1]);
      expect(r.verbs).toEqual([...new Set(r.verbs)].sort());
    }
  });

  test("no wildcard, no delete, no access to pods or secrets", () => {
    const text = JSON.stringify(roleRules());
    expect(text).not.toContain("*");
    const rules = roleRules();
    expect(rules.flatMap((r) => r.verbs)).not.toContain("delete");
    expect(rules.flatMap((r) => r.resources).filter((r) => /^(pods|secrets)(\/|$)/.test(r))).toEqual([]);
  });

  test("merges two operations with the same verb on one resource, and keeps a subresource its own rule", () => {
    const ops: Record<string, ApiOperation> = {
      restart: { apiGroup: "apps", resource: "deployments", verb: "patch" },
      annotate: { apiGroup: "apps", resource: "deployments", verb: "patch" },
      get: { apiGroup: "apps", resource: "deployments", verb: "get" },
      scale: { apiGroup: "apps", resource: "deployments/scale", verb: "patch" },
      event: { apiGroup: "", resource: "events", verb: "create" },
    };
    expect(roleRules(ops)).toEqual([
      { apiGroups: [""], resources: ["events"], verbs: ["create"] },
      { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "patch"] },
      { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["patch"] },
    ]);
  });

  test("a new operation in the contract adds exactly its verb to the Role (the Role follows the code)", () => {
    const withWatch = {
      ...RESPONDER_OPERATIONS,
      watchHpas: { apiGroup: "autoscaling", resource: "horizontalpodautoscalers", verb: "watch" },
    } as const;
    const added = [...grants(roleRules(withWatch))].filter((g) => !grants(roleRules()).has(g));
    expect(added).toEqual(["autoscaling/horizontalpodautoscalers:watch"]);
  });
});
