import type { ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { containersOf, podSpecOf } from "../lib/kubernetes";
import type { Json } from "../lib/values";

/** Containers run unprivileged, as non-root, on a read-only root filesystem; only listed workloads may not. */
const containerSecurity: ResourceValidation = (args, report) => {
  const pod = podSpecOf(args.type, args.props);
  if (!pod) return args.notApplicable("not a workload");
  const { containerSecurityExempt } = args.getConfig<PolicyConfigOf<"pod-security">>();
  if (containerSecurityExempt.includes(args.props.metadata?.name)) return args.notApplicable("exempt workload");
  for (const { name, spec } of containersOf(pod)) {
    const sc: Json = spec.securityContext ?? {};
    const nonRoot = sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    const user = sc.runAsUser ?? pod.securityContext?.runAsUser;
    if (nonRoot !== true) report(`container ${name}: runAsNonRoot is not true`);
    if (user === 0) report(`container ${name}: runs as root (runAsUser 0)`);
    if (sc.privileged === true) report(`container ${name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) report(`container ${name}: allowPrivilegeEscalation is not false`);
    if (sc.readOnlyRootFilesystem !== true) report(`container ${name}: readOnlyRootFilesystem is not true`);
  }
};

/** Host namespaces and host paths break isolation; only listed node agents may use them. */
const hostAccess: ResourceValidation = (args, report) => {
  const pod = podSpecOf(args.type, args.props);
  if (!pod) return args.notApplicable("not a workload");
  const { hostAccessExempt } = args.getConfig<PolicyConfigOf<"pod-security">>();
  if (hostAccessExempt.includes(args.props.metadata?.name)) return args.notApplicable("exempt node agent");
  for (const key of ["hostNetwork", "hostPID", "hostIPC"]) if (pod[key] === true) report(`${key} is true`);
  for (const volume of pod.volumes ?? []) if (volume?.hostPath) report(`volume ${volume.name} is a hostPath`);
};

export const podSecurity: ResourceValidationPolicy = {
  name: "pod-security",
  description:
    "Workloads: non-root, not privileged, no privilege escalation, read-only root fs, no host access (listed exemptions aside).",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("pod-security"),
  validateResource: [containerSecurity, hostAccess],
};
