import { HTTP_PORT_NAME, PATHS } from "../../contract";

/**
 * What every process on the services' layer (apps/lib: the demo services and the responder) runs with in a
 * pod: non-root, no privilege, a read-only root filesystem, and the kubelet's probes on its own endpoints.
 */
export const POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  seccompProfile: { type: "RuntimeDefault" },
};

export const CONTAINER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};

/**
 * Liveness on /healthz (a blocked event loop cannot answer it: the kubelet restarts the container), readiness
 * on /readyz (dependencies and shutdown: out of the Service, not restarted), startup giving a slow start 60 s.
 */
export const HTTP_PROBES = {
  livenessProbe: {
    httpGet: { path: PATHS.health, port: HTTP_PORT_NAME },
    periodSeconds: 10,
    timeoutSeconds: 2,
    failureThreshold: 3,
  },
  readinessProbe: {
    httpGet: { path: PATHS.ready, port: HTTP_PORT_NAME },
    periodSeconds: 5,
    timeoutSeconds: 2,
    failureThreshold: 2,
  },
  startupProbe: {
    httpGet: { path: PATHS.health, port: HTTP_PORT_NAME },
    periodSeconds: 2,
    failureThreshold: 30,
  },
};
