/**
 * RESPONDER_OPERATIONS is exactly what the code does: the Role is derived from it, so every request the
 * responder sent must map to a listed operation (else the Role would forbid it in the cluster), and every
 * listed operation must have been sent (else the Role grants what the code never does).
 *
 * The requests are those of the action tests: importing the file registers its tests here, ahead of the
 * checks below, and the fake API server records every request of this file in allRecordedRequests.
 */
import "./actions.test";
import { allRecordedRequests, type RecordedRequest } from "../../apps/demo/kube-api-stand-in";
import { type ApiOperation, RESPONDER_OPERATIONS, type ResponderOperation } from "../../contract";

const VERBS: Record<string, (named: boolean) => ApiOperation["verb"] | undefined> = {
  GET: (named) => (named ? "get" : "list"),
  POST: (named) => (named ? undefined : "create"),
  PATCH: (named) => (named ? "patch" : undefined),
};

/** Method and path → API group, resource (with subresource) and RBAC verb; undefined for a path the API does not have. */
function apiOperationOf(req: Pick<RecordedRequest, "method" | "path">): ApiOperation | undefined {
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/namespaces\/[^/]+\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(
    req.path,
  );
  if (!m) return undefined;
  const [, apiGroup = "", resource = "", name, sub] = m;
  const verb = VERBS[req.method]?.(name !== undefined);
  return verb ? { apiGroup, resource: sub ? `${resource}/${sub}` : resource, verb } : undefined;
}

/**
 * The listed operations a request is. Two names share "patch deployments": restartDeployment patches the pod
 * template, annotateDeployment only metadata, so the body tells them apart.
 */
function operationsOf(req: RecordedRequest): ResponderOperation[] {
  const op = apiOperationOf(req);
  if (!op) return [];
  const same = (Object.entries(RESPONDER_OPERATIONS) as [ResponderOperation, ApiOperation][]).filter(
    ([, o]) => o.apiGroup === op.apiGroup && o.resource === op.resource && o.verb === op.verb,
  );
  if (same.length <= 1) return same.map(([name]) => name);
  const body = req.body as { spec?: unknown; metadata?: unknown } | undefined;
  const name: ResponderOperation = body?.spec !== undefined ? "restartDeployment" : "annotateDeployment";
  return same.some(([n]) => n === name) ? [name] : [];
}

describe("RESPONDER_OPERATIONS against the requests of the action tests", () => {
  test("the action tests sent requests to the fake API server (so the checks below have something to check)", () => {
    expect(allRecordedRequests.length).toBeGreaterThan(50);
  });

  test("every request the responder sent maps to an operation of RESPONDER_OPERATIONS (method + path → verb + resource)", () => {
    const unlisted = allRecordedRequests
      .filter((req) => operationsOf(req).length === 0)
      .map((req) => `${req.method} ${req.path}`);
    expect(unlisted).toEqual([]);
  });

  test("every operation of RESPONDER_OPERATIONS was exercised: the list holds nothing the code does not do", () => {
    const exercised = new Set(allRecordedRequests.flatMap(operationsOf));
    expect([...exercised].sort()).toEqual(Object.keys(RESPONDER_OPERATIONS).sort());
  });

  test("the mapping itself: paths and methods of the API server to RBAC verbs and resources", () => {
    expect(apiOperationOf({ method: "GET", path: "/apis/apps/v1/namespaces/a/deployments/order" })).toEqual({
      apiGroup: "apps",
      resource: "deployments",
      verb: "get",
    });
    expect(apiOperationOf({ method: "GET", path: "/apis/apps/v1/namespaces/a/deployments" })?.verb).toBe("list");
    expect(apiOperationOf({ method: "PATCH", path: "/apis/apps/v1/namespaces/a/deployments/order/scale" })).toEqual({
      apiGroup: "apps",
      resource: "deployments/scale",
      verb: "patch",
    });
    expect(apiOperationOf({ method: "POST", path: "/api/v1/namespaces/a/events" })).toEqual({
      apiGroup: "",
      resource: "events",
      verb: "create",
    });
    expect(apiOperationOf({ method: "DELETE", path: "/apis/apps/v1/namespaces/a/deployments/order" })).toBeUndefined();
    expect(apiOperationOf({ method: "GET", path: "/version" })).toBeUndefined();
  });
});
