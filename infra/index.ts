import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, StackConfigError } from "./config/schema";
import { ObservabilityPlatform } from "./platform/platform";

// The stack's whole configuration is one object, validated before anything is created.
function loadConfig() {
  try {
    return parseStackConfig(new pulumi.Config().requireObject("platform"));
  } catch (err) {
    // RunError: Pulumi prints the message alone, without a stack trace
    if (err instanceof StackConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}
const config = loadConfig();

// Alert webhooks are optional Pulumi secrets: `pulumi config set --secret alertPagingWebhookUrl https://…`.
const secrets = new pulumi.Config();
const alertReceivers = pulumi
  .all([
    secrets.getSecret("alertPagingWebhookUrl"),
    secrets.getSecret("alertTicketWebhookUrl"),
    secrets.getSecret("alertHeartbeatWebhookUrl"),
    secrets.getSecret("alertWebhookToken"),
  ])
  .apply(([pagingUrl, ticketUrl, heartbeatUrl, bearerToken]) => ({ pagingUrl, ticketUrl, heartbeatUrl, bearerToken }));

const platform = new ObservabilityPlatform(`platform-${config.environment}`, { config, alertReceivers });

export const environment = config.environment;
export const urls = platform.urls;
export const portForward = platform.portForward;
export const grafanaAdminPassword = platform.grafanaAdminPassword;
export const faultAdminToken = platform.adminToken;
