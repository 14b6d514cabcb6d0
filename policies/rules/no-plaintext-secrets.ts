import type { ResourceValidationPolicy } from "@pulumi/policy";
import { chartProps, containersOf, isChart, podSpecOf } from "../lib/kubernetes";
import { findKeyed, get, isRecord } from "../lib/values";

export const SECRET_NAME = /(password|passwd|secret|token|api[_-]?key|credential)/i;

/** ConfigMaps, env values and chart values end up readable in the cluster and in state: secrets go in Secrets. */
export const noPlaintextSecrets: ResourceValidationPolicy = {
  name: "no-plaintext-secrets",
  description:
    "No secret-looking keys with literal values in ConfigMaps or container env (valueFrom is fine); Grafana's password only via a Secret.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === "kubernetes:core/v1:ConfigMap") {
      for (const key of Object.keys({ ...args.props.data, ...args.props.binaryData })) {
        if (SECRET_NAME.test(key)) report(`ConfigMap key ${key} looks like a secret`);
      }
      return;
    }
    if (isChart(args.type)) {
      const { values } = chartProps(args.props);
      // kube-prometheus-stack nests Grafana under `grafana`; the grafana chart has it at the top.
      for (const path of ["grafana.adminPassword", "adminPassword"]) {
        if (get(values, path) !== undefined) report(`chart values set ${path}: use admin.existingSecret`);
      }
      for (const { path, value } of findKeyed(values, "env")) {
        for (const e of Array.isArray(value) ? value : []) {
          if (SECRET_NAME.test(String(e?.name)) && e?.value !== undefined)
            report(`chart values ${path}: ${e.name} is literal`);
        }
        if (isRecord(value)) {
          for (const [k, v] of Object.entries(value)) {
            if (SECRET_NAME.test(k) && typeof v === "string") report(`chart values ${path}.${k} is literal`);
          }
        }
      }
      return;
    }
    const pod = podSpecOf(args.type, args.props);
    if (!pod) return args.notApplicable("not a ConfigMap, chart or workload");
    for (const { name, spec } of containersOf(pod)) {
      for (const e of spec.env ?? []) {
        // an empty literal holds no secret (chaos-mesh writes GCP_CLIENT_SECRET: "" when its GCP login is off)
        if (SECRET_NAME.test(String(e?.name)) && e?.value !== undefined && e.value !== "") {
          report(`container ${name}: env ${e.name} has a literal value (use valueFrom.secretKeyRef)`);
        }
      }
    }
  },
};
