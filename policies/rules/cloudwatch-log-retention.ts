import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSchemaOf, type PolicyConfigOf } from "../config/schema";

/** A log group without retentionInDays (or 0) keeps logs, and bills for them, forever. */
export const cloudwatchLogRetention: ResourceValidationPolicy = {
  name: "cloudwatch-log-retention",
  description: "CloudWatch log groups set retentionInDays within the environment's bounds.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf("cloudwatch-log-retention"),
  validateResource: (args, report) => {
    if (args.type !== "aws:cloudwatch/logGroup:LogGroup") return args.notApplicable("not a log group");
    const { minDays, maxDays } = args.getConfig<PolicyConfigOf<"cloudwatch-log-retention">>();
    const days = args.props.retentionInDays;
    if (!days) report("retentionInDays is not set: logs are kept forever");
    else if (days < minDays || days > maxDays) report(`retentionInDays ${days} is outside ${minDays}-${maxDays}`);
  },
};
