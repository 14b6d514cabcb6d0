import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORT, SERVICE_DEPENDENCIES, SERVICE_NAMES } from "../apps/lib/contract";

// The platform components (monitoring, logging, tracing, the services) are composed here; until they
// land, the program validates the stack's environment and exports the service catalogue it will deploy.
const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
const config = new pulumi.Config();
const environment = config.require("environment");
if (!ENVIRONMENTS.includes(environment as (typeof ENVIRONMENTS)[number])) {
  throw new Error(`config environment: must be one of ${ENVIRONMENTS.join(", ")} (got "${environment}")`);
}

export const services = SERVICE_NAMES.map((name) => ({
  name,
  port: CONTAINER_PORT,
  dependsOn: [...SERVICE_DEPENDENCIES[name]],
}));
export { environment };
