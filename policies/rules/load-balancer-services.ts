import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";
import { chartProps, isChart } from "../lib/kubernetes";
import { findKeyed } from "../lib/values";

/** A LoadBalancer exposes the service outside the cluster and costs money: only where the environment allows. */
export const loadBalancerServices: ResourceValidationPolicy = {
  name: "load-balancer-services",
  description: "Services (and chart service values) are not of type LoadBalancer unless allowLoadBalancer is set.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("load-balancer-services"),
  validateResource: (args, report) => {
    const { allowLoadBalancer } = args.getConfig<PolicyConfigOf<"load-balancer-services">>();
    if (allowLoadBalancer) return args.notApplicable("load balancers allowed in this environment");
    if (args.type === "kubernetes:core/v1:Service") {
      if (args.props.spec?.type === "LoadBalancer") report("Service of type LoadBalancer");
    } else if (isChart(args.type)) {
      for (const { path, value } of findKeyed(chartProps(args.props).values, "service")) {
        if (value?.type === "LoadBalancer") report(`chart values ${path}.type is LoadBalancer`);
      }
    } else {
      args.notApplicable("not a Service or chart");
    }
  },
};
