/**
 * A local stand-in for the Kubernetes API server, over plain HTTP on 127.0.0.1, for the resources the
 * responder touches in one namespace: apps/v1 deployments (and their /scale), autoscaling/v2
 * horizontalpodautoscalers and core/v1 events. It holds the objects the test (or the demo) seeds, answers GET, LIST
 * (labelSelector k=v), PATCH (merge semantics: strategic-merge and merge patch agree on the fields the
 * responder patches) and POST as the API server does, errors as `Status` objects, checks the bearer token,
 * records every request, and fails or drops the next matching requests on demand.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SERVICE_NAME_LABEL } from "../../contract";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  body?: unknown;
}

/** Every request any stand-in of this process received, in order (operations.test.ts reads it). */
export const allRecordedRequests: RecordedRequest[] = [];

type Json = Record<string, unknown>;
type Resource = "deployments" | "horizontalpodautoscalers" | "events";

export interface FaultSpec {
  method?: string;
  /** Matches when the request path ends with it (e.g. "/deployments/order", "/scale", "/events"). */
  pathEndsWith?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** The HTTP status to answer, or "drop" to close the connection without an answer. */
  status: 400 | 403 | 404 | 409 | 422 | 429 | 500 | 503 | "drop";
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};
const PATCH_TYPES = ["application/strategic-merge-patch+json", "application/merge-patch+json"];

class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly store: Record<Resource, Map<string, Json>> = {
    deployments: new Map(),
    horizontalpodautoscalers: new Map(),
    events: new Map(),
  };
  private faults: (FaultSpec & { left: number })[] = [];
  private server?: Server;
  private resourceVersion = 1;

  constructor(
    readonly namespace: string,
    /** The bearer token the server accepts; change it to play a rotation. */
    public token: string,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Seeds (or replaces) an object; metadata.namespace, uid, generation and resourceVersion are filled in. */
  put(resource: Resource, object: Json): Json {
    const metadata = object.metadata as Json;
    const stored = structuredClone(object);
    stored.metadata = {
      namespace: this.namespace,
      uid: randomUUID(),
      generation: 1,
      ...metadata,
      resourceVersion: String(this.resourceVersion++),
    };
    this.store[resource].set(metadata.name as string, stored);
    return stored;
  }

  get(resource: Resource, name: string): Json | undefined {
    return this.store[resource].get(name);
  }

  list(resource: Resource): Json[] {
    return [...this.store[resource].values()];
  }

  /** Fails (or drops) the next matching requests; faults are checked in the order they were added. */
  fail(spec: FaultSpec): void {
    this.faults.push({ ...spec, left: spec.times ?? 1 });
  }

  /** Requests other than reads (what changes the cluster). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const text = await readBody(req);
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers["content-type"],
      authorization: req.headers.authorization,
      body: text === "" ? undefined : parseJsonOr(text),
    };
    this.requests.push(recorded);
    allRecordedRequests.push(recorded);
    try {
      if (req.headers.authorization !== `Bearer ${this.token}`) throw new ApiError(401, "Unauthorized");
      const fault = this.faults.find(
        (f) =>
          f.left > 0 &&
          (f.method === undefined || f.method === recorded.method) &&
          (f.pathEndsWith === undefined || recorded.path.endsWith(f.pathEndsWith)),
      );
      if (fault) {
        fault.left--;
        if (fault.status === "drop") {
          req.socket.destroy();
          return;
        }
        throw new ApiError(fault.status, `injected ${fault.status}`);
      }
      const [code, answer] = this.route(recorded, text);
      send(res, code, answer);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      send(res, error.code, statusObject(error.code, error.message));
    }
  }

  private route(req: RecordedRequest, text: string): [number, Json] {
    const match =
      /^\/(?:apis\/(apps|autoscaling)\/(v1|v2)|api\/(v1))\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?(?:\/(scale))?$/.exec(
        req.path,
      );
    if (!match) throw new ApiError(404, `the server could not find the requested resource (${req.path})`);
    const [, group = "", groupVersion, coreVersion, namespace, resourceName = "", name, sub] = match;
    const known: Record<string, string> = {
      deployments: "apps/v1",
      horizontalpodautoscalers: "autoscaling/v2",
      events: "v1",
    };
    const apiVersion = group ? `${group}/${groupVersion}` : `${coreVersion}`;
    if (known[resourceName] !== apiVersion || (sub && resourceName !== "deployments")) {
      throw new ApiError(404, `the server could not find the requested resource (${req.path})`);
    }
    const resource = resourceName as Resource;
    if (namespace !== this.namespace) throw new ApiError(404, `namespace ${namespace} not found`);

    if (name === undefined) {
      if (req.method === "GET") return [200, this.listAnswer(resource, req.query.labelSelector)];
      if (req.method === "POST" && resource === "events") return [201, this.create(resource, text)];
      throw new ApiError(405, `${req.method} is not allowed on ${resource}`);
    }
    const object = this.store[resource].get(name);
    if (!object) throw new ApiError(404, `${resource} "${name}" not found`);
    if (req.method === "GET" && !sub) return [200, object];
    if (req.method === "PATCH") {
      if (!PATCH_TYPES.includes(req.contentType ?? "")) {
        throw new ApiError(415, `the body of the request was in an unknown format: ${req.contentType}`);
      }
      const patch = parseJson(text);
      if (!isObject(patch)) throw new ApiError(400, "the patch is not a JSON object");
      return sub ? [200, this.patchScale(object, patch)] : [200, this.patch(resource, object, patch)];
    }
    throw new ApiError(405, `${req.method} is not allowed on ${req.path}`);
  }

  private listAnswer(resource: Resource, selector: string | undefined): Json {
    const wanted = parseSelector(selector);
    const items = this.list(resource).filter((o) => {
      const labels = ((o.metadata as Json).labels ?? {}) as Record<string, string>;
      return Object.entries(wanted).every(([k, v]) => labels[k] === v);
    });
    const kind = { deployments: "DeploymentList", horizontalpodautoscalers: "HorizontalPodAutoscalerList" };
    return {
      kind: kind[resource as keyof typeof kind] ?? "EventList",
      apiVersion: resource === "deployments" ? "apps/v1" : resource === "events" ? "v1" : "autoscaling/v2",
      metadata: { resourceVersion: String(this.resourceVersion) },
      items,
    };
  }

  private create(resource: Resource, text: string): Json {
    const object = parseJson(text);
    if (!isObject(object) || !isObject(object.metadata) || typeof object.metadata.name !== "string") {
      throw new ApiError(422, "metadata.name: Required value");
    }
    if (this.store[resource].has(object.metadata.name)) {
      throw new ApiError(409, `${resource} "${object.metadata.name}" already exists`);
    }
    return this.put(resource, object);
  }

  private patch(resource: Resource, object: Json, patch: Json): Json {
    const merged = mergePatch(object, patch) as Json;
    validate(resource, merged);
    const metadata = merged.metadata as Json;
    // As the API server does: a change of spec is a new generation; every change a new resourceVersion.
    if (JSON.stringify(merged.spec) !== JSON.stringify(object.spec)) {
      metadata.generation = ((object.metadata as Json).generation as number) + 1;
    }
    metadata.resourceVersion = String(this.resourceVersion++);
    this.store[resource].set(metadata.name as string, merged);
    return merged;
  }

  private patchScale(deployment: Json, patch: Json): Json {
    const replicas = (patch.spec as Json | undefined)?.replicas;
    if (patch.spec === undefined) throw new ApiError(422, "spec.replicas: Required value");
    const updated = this.patch("deployments", deployment, { spec: { replicas } });
    const metadata = updated.metadata as Json;
    return {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: metadata.name, namespace: metadata.namespace, uid: metadata.uid },
      spec: { replicas: (updated.spec as Json).replicas },
      status: { replicas: ((updated.status ?? {}) as Json).replicas ?? 0 },
    };
  }
}

/** A Deployment as the API server returns it after a finished rollout (override what a test needs). */
export function deploymentObject(
  name: string,
  options: {
    replicas?: number;
    labels?: Record<string, string>;
    paused?: boolean;
    status?: Json;
    generation?: number;
  } = {},
): Json {
  const replicas = options.replicas ?? 2;
  const generation = options.generation ?? 1;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, generation, labels: options.labels ?? { [SERVICE_NAME_LABEL]: name }, annotations: {} },
    spec: {
      replicas,
      paused: options.paused,
      selector: { matchLabels: { [SERVICE_NAME_LABEL]: name } },
      template: {
        metadata: { labels: { [SERVICE_NAME_LABEL]: name } },
        spec: { containers: [{ name, image: "x" }] },
      },
    },
    status: {
      observedGeneration: generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      ...options.status,
    },
  };
}

/** An autoscaling/v2 HPA over the Deployment of the same name. */
export function hpaObject(
  name: string,
  options: { min?: number; max: number; current: number; annotations?: Record<string, string> },
): Json {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name, annotations: options.annotations ?? {} },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: options.min ?? 1,
      maxReplicas: options.max,
    },
    status: { currentReplicas: options.current, desiredReplicas: options.current },
  };
}

/** JSON merge patch (RFC 7386): objects merge, null removes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Json = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** What the API server would refuse among the fields the responder changes. */
function validate(resource: Resource, object: Json): void {
  const annotations = ((object.metadata as Json).annotations ?? {}) as Json;
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== "string") throw new ApiError(400, `metadata.annotations.${key}: must be a string`);
  }
  const spec = (object.spec ?? {}) as Json;
  if (resource === "horizontalpodautoscalers") {
    const max = spec.maxReplicas;
    if (!Number.isInteger(max) || (max as number) < ((spec.minReplicas as number) ?? 1)) {
      throw new ApiError(422, `spec.maxReplicas: Invalid value: ${max}: must be an integer >= minReplicas`);
    }
  }
  if (resource === "deployments" && (!Number.isInteger(spec.replicas) || (spec.replicas as number) < 0)) {
    throw new ApiError(422, `spec.replicas: Invalid value: ${spec.replicas}: must be a non-negative integer`);
  }
}

function parseSelector(selector: string | undefined): Record<string, string> {
  if (!selector) return {};
  const wanted: Record<string, string> = {};
  for (const term of selector.split(",")) {
    const [key, value] = term.split(/==?/);
    if (!key || value === undefined) throw new ApiError(400, `unable to parse requirement: ${term}`);
    wanted[key] = value;
  }
  return wanted;
}

function statusObject(code: number, message: string): Json {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: REASONS[code], code };
}

function send(res: ServerResponse, code: number, body: Json): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "the request body is not JSON");
  }
}

/** The parsed body, or its text when it is not JSON (recorded as received). */
function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
