/**
 * Chaos Mesh objects through the Kubernetes API of a kubeconfig context: read, create, delete
 * (@kubernetes/client-node's CustomObjectsApi).
 */

export interface ChaosObjectRef {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespace: string;
  name: string;
}

/** The CRDs' plural names: `podchaos`, `networkchaos`, `stresschaos` (kinds ending in Chaos), else `<kind>s`. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  return kind.endsWith("Chaos") ? lower : `${lower}s`;
}

/** What the runner reads of a Chaos Mesh object (chaos-mesh.ts ChaosObject); the rest goes to the API as it is. */
export interface ChaosObjectLike {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: unknown;
}

export function refOf(object: ChaosObjectLike): ChaosObjectRef {
  const apiVersion = object.apiVersion;
  const kind = object.kind;
  const metadata = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  if (typeof apiVersion !== "string" || !/^[a-z0-9.-]+\/v[a-z0-9]+$/.test(apiVersion)) {
    throw new Error(`a Chaos Mesh object needs apiVersion <group>/<version>, got ${JSON.stringify(apiVersion)}`);
  }
  if (typeof kind !== "string" || kind === "") throw new Error("a Chaos Mesh object needs a kind");
  if (typeof metadata.name !== "string" || typeof metadata.namespace !== "string") {
    throw new Error(`the ${kind} object needs metadata.name and metadata.namespace`);
  }
  const [group, version] = apiVersion.split("/") as [string, string];
  return { group, version, kind, plural: pluralOf(kind), namespace: metadata.namespace, name: metadata.name };
}

export const refText = (ref: ChaosObjectRef) => `${ref.kind} ${ref.namespace}/${ref.name}`;

export interface ChaosMeshApi {
  exists(ref: ChaosObjectRef): Promise<boolean>;
  create(ref: ChaosObjectRef, body: ChaosObjectLike): Promise<void>;
  /** False when there was nothing to delete. */
  delete(ref: ChaosObjectRef): Promise<boolean>;
}

// client-node is ESM-only: its types as an ES module, the code by a native import() (see infra/preflight/k8s-schemas.ts).
type ClientNode = typeof import("@kubernetes/client-node", { with: { "resolution-mode": "import" }});
const nativeImport = (specifier: string): Promise<ClientNode> => import(specifier);

/** The Kubernetes API of a kubeconfig context (KUBECONFIG or ~/.kube/config unless a file is given). */
export async function connectChaosMesh(options: { context: string; kubeconfig?: string }): Promise<ChaosMeshApi> {
  const client = await nativeImport("@kubernetes/client-node");
  const config = new client.KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  const contexts = config.getContexts().map((c) => c.name);
  if (!contexts.includes(options.context)) {
    throw new Error(
      `--target: no kube context "${options.context}"; the contexts are: ${contexts.join(", ") || "(none)"}, or local`,
    );
  }
  config.setCurrentContext(options.context);
  const api = config.makeApiClient(client.CustomObjectsApi);
  const failure = (what: string, ref: ChaosObjectRef, err: unknown) => {
    if (err instanceof client.ApiException) {
      const body = typeof err.body === "string" ? err.body : JSON.stringify(err.body);
      let message = body;
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        // not a Status object: keep the text
      }
      return new Error(`Kubernetes API: ${what} ${refText(ref)} failed (${err.code}): ${message.slice(0, 300)}`);
    }
    return new Error(`Kubernetes API: ${what} ${refText(ref)} failed: ${(err as Error).message}`);
  };
  const notFound = (err: unknown) => err instanceof client.ApiException && err.code === 404;
  const params = (ref: ChaosObjectRef) => ({
    group: ref.group,
    version: ref.version,
    namespace: ref.namespace,
    plural: ref.plural,
  });
  return {
    async exists(ref) {
      try {
        await api.getNamespacedCustomObject({ ...params(ref), name: ref.name });
        return true;
      } catch (err) {
        if (notFound(err)) return false;
        throw failure("reading", ref, err);
      }
    },
    async create(ref, body) {
      try {
        await api.createNamespacedCustomObject({ ...params(ref), body });
      } catch (err) {
        throw failure("creating", ref, err);
      }
    },
    async delete(ref) {
      try {
        await api.deleteNamespacedCustomObject({ ...params(ref), name: ref.name });
        return true;
      } catch (err) {
        if (notFound(err)) return false;
        throw failure("deleting", ref, err);
      }
    },
  };
}
