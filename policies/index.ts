import { PolicyPack } from "@pulumi/policy";
import { policies } from "./all";

// The constructor starts the analyzer's gRPC server: nothing but the Pulumi CLI loads this file.
// Per-environment bounds: --policy-pack-config policies/config/<env>.json (see docs/policies.md).
new PolicyPack("observability-platform", {
  description: "Labels and tags, telemetry retention and persistence, workload security, cost caps.",
  policies,
});
