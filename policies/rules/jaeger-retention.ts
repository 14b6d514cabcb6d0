import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { chartProps, isChart } from "../lib/kubernetes";
import { durationHours, get, isRecord } from "../lib/values";

/** Traces are bounded: badger keeps spans for a TTL on a volume, the memory store holds at most N traces. */
export const jaegerRetention: ResourceValidationPolicy = {
  name: "jaeger-retention",
  description:
    "Jaeger storage: badger not ephemeral where persistence is required, ttl.spans within bounds; memory bounded.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("jaeger-retention"),
  validateResource: (args, report) => {
    if (!isChart(args.type) || chartProps(args.props).chart !== "jaeger") return args.notApplicable("not Jaeger");
    const { values } = chartProps(args.props);
    const bounds = args.getConfig<PolicyConfigOf<"jaeger-retention">>();
    const backends = get(values, "userconfig.extensions.jaeger_storage.backends");
    if (!isRecord(backends) || Object.keys(backends).length === 0) {
      return report("no storage backend in userconfig.extensions.jaeger_storage.backends");
    }
    for (const [name, backend] of Object.entries(backends)) {
      if (isRecord(backend?.badger)) {
        const { ephemeral, ttl } = backend.badger;
        if (bounds.persistentStorage && ephemeral !== false) report(`backend ${name}: badger.ephemeral is not false`);
        const hours = durationHours(ttl?.spans);
        if (hours === undefined) report(`backend ${name}: badger.ttl.spans is not set`);
        else if (hours < bounds.minHours || hours > bounds.maxHours) {
          report(`backend ${name}: ttl.spans ${ttl.spans} is outside ${bounds.minHours}-${bounds.maxHours} hours`);
        }
      } else if (isRecord(backend?.memory)) {
        if (bounds.persistentStorage) report(`backend ${name}: in-memory storage where persistence is required`);
        const max = backend.memory.max_traces;
        if (!(typeof max === "number" && max > 0 && max <= bounds.maxTracesInMemory)) {
          report(`backend ${name}: memory.max_traces ${max} must be 1-${bounds.maxTracesInMemory}`);
        }
      }
    }
  },
};
