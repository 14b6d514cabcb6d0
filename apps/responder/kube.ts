/**
 * The responder's only way to the Kubernetes API: one method per entry of RESPONDER_OPERATIONS, each made
 * through @kubernetes/client-node. The Role is derived from that list, so nothing else may call the API.
 */
import { readFile } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { RESTARTED_AT_ANNOTATION, type ResponderOperation } from "../../contract";

// client-node is ESM-only: its types are imported as an ES module, the code by a native import() (tsc with
// module node16 and jest's swc with ignoreDynamic leave it as it is).
type ClientNode = typeof import("@kubernetes/client-node", { with: { "resolution-mode": "import" }});
type KubeConfig = InstanceType<ClientNode["KubeConfig"]>;
type V1Deployment = InstanceType<ClientNode["V1Deployment"]>;
type V2Hpa = InstanceType<ClientNode["V2HorizontalPodAutoscaler"]>;
type Apis = {
  client: ClientNode;
  apps: InstanceType<ClientNode["AppsV1Api"]>;
  autoscaling: InstanceType<ClientNode["AutoscalingV2Api"]>;
  core: InstanceType<ClientNode["CoreV1Api"]>;
};
const nativeImport = (specifier: string): Promise<ClientNode> => import(specifier);

/** Where the service account's token and CA are mounted in a pod. */
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Our authenticator's name: the built-in ones match on other names and config keys. */
const TOKEN_FILE_AUTH = "responder-token-file";
const DEFAULT_TIMEOUT_MS = 10_000;

export interface KubeEnv {
  /** Unset: in cluster (KUBERNETES_SERVICE_HOST/PORT, the service account's token and CA). */
  KUBERNETES_API_URL?: string;
  KUBERNETES_TOKEN_FILE?: string;
  KUBERNETES_CA_FILE?: string;
}

/** The fields of a Deployment the responder reads. */
export interface Deployment {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  /** status.observedGeneration (0 until the controller has seen the Deployment). */
  observedGeneration: number;
  paused: boolean;
  /** spec.replicas (the API server defaults it to 1). */
  desiredReplicas: number;
  /** status.replicas: pods that exist. */
  replicas: number;
  updatedReplicas: number;
  annotations: Record<string, string>;
}

/** The fields of a HorizontalPodAutoscaler (autoscaling/v2) the responder reads. */
export interface Hpa {
  name: string;
  namespace: string;
  uid: string;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  annotations: Record<string, string>;
}

/** A core/v1 Event as the responder writes it (timestamps as Dates: the client serialises them). */
export interface KubeEvent {
  metadata: { name: string; namespace: string };
  involvedObject: { apiVersion: string; kind: string; name: string; namespace: string; uid: string };
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  source: { component: string };
  reportingComponent: string;
  firstTimestamp: Date;
  lastTimestamp: Date;
  count: number;
}

/** Annotations to set (string) or remove (null), as a merge patch does. */
export type AnnotationPatch = Record<string, string | null>;

/** What a failed call answered: the HTTP status (0: no answer) and the API's reason (NotFound, Conflict…). */
export class KubeError extends Error {
  constructor(
    readonly operation: ResponderOperation,
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "KubeError";
  }
}

export interface KubeConnection {
  getDeployment(namespace: string, name: string): Promise<Deployment>;
  listDeployments(namespace: string, labelSelector?: string): Promise<Deployment[]>;
  /** Exactly what `kubectl rollout restart` sends: a strategic-merge patch of the template's restartedAt. */
  restartDeployment(namespace: string, name: string, at: string): Promise<Deployment>;
  /** Merge patch of the /scale subresource. */
  scaleDeployment(namespace: string, name: string, replicas: number): Promise<void>;
  annotateDeployment(namespace: string, name: string, annotations: AnnotationPatch): Promise<Deployment>;
  getHpa(namespace: string, name: string): Promise<Hpa>;
  listHpas(namespace: string): Promise<Hpa[]>;
  patchHpa(
    namespace: string,
    name: string,
    patch: { maxReplicas?: number; annotations?: AnnotationPatch },
  ): Promise<Hpa>;
  createEvent(namespace: string, event: KubeEvent): Promise<void>;
}

/**
 * A connection to the API server, set up on first use (client-node loads asynchronously). An explicit
 * KUBERNETES_API_URL may be http: (a local API server or kubectl proxy) or https: with KUBERNETES_CA_FILE.
 */
export function connectKube(env: KubeEnv, options: { timeoutMs?: number } = {}): KubeConnection {
  if (env.KUBERNETES_API_URL !== undefined) checkApiUrl(env.KUBERNETES_API_URL);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let loaded: Promise<Apis> | undefined;
  const apis = () => {
    loaded ??= nativeImport("@kubernetes/client-node").then((client) => {
      const config = kubeConfigOf(client, env);
      return {
        client,
        apps: config.makeApiClient(client.AppsV1Api),
        autoscaling: config.makeApiClient(client.AutoscalingV2Api),
        core: config.makeApiClient(client.CoreV1Api),
      };
    });
    return loaded;
  };

  /** One call: its errors become KubeErrors; a call the server never answers ends after timeoutMs. */
  async function run<T>(operation: ResponderOperation, call: (apis: Apis) => Promise<T>): Promise<T> {
    let client: ClientNode | undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KubeError(operation, 0, "Timeout", `no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const loadedApis = await apis();
      client = loadedApis.client;
      return await Promise.race([call(loadedApis), timeout]);
    } catch (error) {
      throw kubeErrorOf(operation, error, client);
    } finally {
      clearTimeout(timer);
    }
  }

  const patchAs = (client: ClientNode, strategy: "StrategicMergePatch" | "MergePatch") =>
    client.setHeaderOptions("Content-Type", client.PatchStrategy[strategy]);

  return {
    getDeployment: (namespace, name) =>
      run("getDeployment", async ({ apps }) => deploymentOf(await apps.readNamespacedDeployment({ namespace, name }))),
    listDeployments: (namespace, labelSelector) =>
      run("listDeployments", async ({ apps }) =>
        (await apps.listNamespacedDeployment({ namespace, labelSelector })).items.map(deploymentOf),
      ),
    restartDeployment: (namespace, name, at) =>
      run("restartDeployment", async ({ apps, client }) => {
        const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } };
        return deploymentOf(
          await apps.patchNamespacedDeployment({ namespace, name, body }, patchAs(client, "StrategicMergePatch")),
        );
      }),
    scaleDeployment: (namespace, name, replicas) =>
      run("scaleDeployment", async ({ apps, client }) => {
        const body = { spec: { replicas } };
        await apps.patchNamespacedDeploymentScale({ namespace, name, body }, patchAs(client, "MergePatch"));
      }),
    annotateDeployment: (namespace, name, annotations) =>
      run("annotateDeployment", async ({ apps, client }) => {
        const body = { metadata: { annotations } };
        return deploymentOf(
          await apps.patchNamespacedDeployment({ namespace, name, body }, patchAs(client, "MergePatch")),
        );
      }),
    getHpa: (namespace, name) =>
      run("getHpa", async ({ autoscaling }) =>
        hpaOf(await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name })),
      ),
    listHpas: (namespace) =>
      run("listHpas", async ({ autoscaling }) =>
        (await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })).items.map(hpaOf),
      ),
    patchHpa: (namespace, name, patch) =>
      run("patchHpa", async ({ autoscaling, client }) => {
        const body: Record<string, unknown> = {};
        if (patch.annotations) body.metadata = { annotations: patch.annotations };
        if (patch.maxReplicas !== undefined) body.spec = { maxReplicas: patch.maxReplicas };
        return hpaOf(
          await autoscaling.patchNamespacedHorizontalPodAutoscaler(
            { namespace, name, body },
            patchAs(client, "MergePatch"),
          ),
        );
      }),
    createEvent: (namespace, event) =>
      run("createEvent", async ({ core }) => {
        await core.createNamespacedEvent({ namespace, body: event });
      }),
  };
}

function checkApiUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error(`KUBERNETES_API_URL must be an http: or https: URL, got "${url}"`);
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new Error(`KUBERNETES_API_URL must be an http: or https: URL, got "${url}"`);
  }
}

function kubeConfigOf(client: ClientNode, env: KubeEnv): KubeConfig {
  const config = new client.KubeConfig();
  const names = { cluster: "api", user: "responder", context: "responder" };
  let cluster: { name: string; server: string; caFile?: string; skipTLSVerify: boolean };
  let tokenFile = env.KUBERNETES_TOKEN_FILE;
  if (env.KUBERNETES_API_URL) {
    // client-node refuses http: unless TLS verification is "skipped" (there is no TLS to verify).
    const plain = new URL(env.KUBERNETES_API_URL).protocol === "http:";
    cluster = { name: names.cluster, server: env.KUBERNETES_API_URL, skipTLSVerify: plain };
    if (env.KUBERNETES_CA_FILE) cluster.caFile = env.KUBERNETES_CA_FILE;
  } else {
    if (!process.env.KUBERNETES_SERVICE_HOST) {
      throw new Error("KUBERNETES_API_URL is unset and KUBERNETES_SERVICE_HOST is not set: not running in a cluster");
    }
    // The library's in-cluster address (scheme by port, IPv6 brackets); the token is ours, see below.
    config.loadFromCluster();
    const inCluster = config.getCurrentCluster();
    cluster = {
      name: names.cluster,
      server: inCluster?.server ?? "",
      caFile: env.KUBERNETES_CA_FILE ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`,
      skipTLSVerify: false,
    };
    tokenFile ??= `${SERVICE_ACCOUNT_DIR}/token`;
  }
  const user = tokenFile
    ? { name: names.user, authProvider: { name: TOKEN_FILE_AUTH, config: { path: tokenFile } } }
    : { name: names.user };
  config.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [{ name: names.context, cluster: names.cluster, user: names.user }],
    currentContext: names.context,
  });
  config.addAuthenticator(tokenFileAuthenticator);
  return config;
}

/**
 * Reads the bearer token from its file on every call: bound service-account tokens rotate (the kubelet
 * rewrites the file), the responder makes few calls, and the built-in file authenticator caches one token
 * for every KubeConfig of the process.
 */
const tokenFileAuthenticator = {
  isAuthProvider: (user: { authProvider?: { name?: string } }) => user.authProvider?.name === TOKEN_FILE_AUTH,
  async applyAuthentication(
    user: { authProvider?: { config?: { path?: string } } },
    opts: { headers?: Record<string, unknown> },
  ): Promise<void> {
    const path = user.authProvider?.config?.path ?? "";
    let token: string;
    try {
      token = (await readFile(path, "utf8")).trim();
    } catch (error) {
      throw new Error(`cannot read the token file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    if (token === "") throw new Error(`the token file ${path} is empty`);
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${token}`;
  },
};

/** client-node throws ApiException (code, body = the Status text) for answers, node-fetch's FetchError without. */
function kubeErrorOf(operation: ResponderOperation, error: unknown, client: ClientNode | undefined): KubeError {
  if (error instanceof KubeError) return error;
  if (client && error instanceof client.ApiException) {
    const status = statusOf(error.body);
    const reason = status.reason ?? (STATUS_CODES[error.code] ?? "Unknown").replaceAll(" ", "");
    return new KubeError(operation, error.code, reason, status.message ?? `HTTP ${error.code}`);
  }
  // Duck-typed: node-fetch's FetchError (no HTTP answer) may come from another realm.
  const e = error as { name?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === "string" ? e.message : String(error);
  if (e?.name === "FetchError") {
    return new KubeError(operation, 0, "ConnectionFailed", message);
  }
  return new KubeError(operation, 0, "ClientError", message);
}

function statusOf(body: unknown): { reason?: string; message?: string } {
  if (typeof body !== "string") return {};
  try {
    const status = JSON.parse(body) as { reason?: unknown; message?: unknown };
    return {
      reason: typeof status.reason === "string" && status.reason !== "" ? status.reason : undefined,
      message: typeof status.message === "string" ? status.message : undefined,
    };
  } catch {
    return { message: body.slice(0, 200) };
  }
}

function deploymentOf(d: V1Deployment): Deployment {
  return {
    name: d.metadata?.name ?? "",
    namespace: d.metadata?.namespace ?? "",
    uid: d.metadata?.uid ?? "",
    generation: d.metadata?.generation ?? 0,
    observedGeneration: d.status?.observedGeneration ?? 0,
    paused: d.spec?.paused ?? false,
    desiredReplicas: d.spec?.replicas ?? 1,
    replicas: d.status?.replicas ?? 0,
    updatedReplicas: d.status?.updatedReplicas ?? 0,
    annotations: d.metadata?.annotations ?? {},
  };
}

function hpaOf(h: V2Hpa): Hpa {
  return {
    name: h.metadata?.name ?? "",
    namespace: h.metadata?.namespace ?? "",
    uid: h.metadata?.uid ?? "",
    minReplicas: h.spec?.minReplicas ?? 1,
    maxReplicas: h.spec?.maxReplicas ?? 0,
    currentReplicas: h.status?.currentReplicas ?? 0,
    annotations: h.metadata?.annotations ?? {},
  };
}
