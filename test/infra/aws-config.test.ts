import { problemsOf } from "./config-problems";

const IRSA_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE1";
const on = (extra: Record<string, unknown>) => (c: any) => {
  c.aws = { enabled: true, region: "eu-west-1", accountId: "123456789012", ...extra };
};

describe("aws config", () => {
  test("AWS on with IRSA and its provider ARN, or Pod Identity and its cluster, is valid", () => {
    expect(problemsOf(on({ identity: { mechanism: "irsa", oidcProviderArn: IRSA_PROVIDER } }))).toEqual([]);
    expect(problemsOf(on({ identity: { mechanism: "pod-identity", clusterName: "eks-prod" } }))).toEqual([]);
  });

  test.each([
    [
      "no region",
      (c: any) =>
        (c.aws = {
          enabled: true,
          accountId: "123456789012",
          identity: { mechanism: "irsa", oidcProviderArn: IRSA_PROVIDER },
        }),
      "aws.region: is required when enabled: the provider and every endpoint are regional",
    ],
    [
      "an 11-digit account",
      on({ accountId: "12345678901", identity: { mechanism: "irsa", oidcProviderArn: IRSA_PROVIDER } }),
      "aws.accountId: must be a 12-digit AWS account id",
    ],
    [
      "no identity",
      on({}),
      "aws.identity: is required when enabled: workloads get credentials through IRSA or EKS Pod Identity, never keys",
    ],
    [
      "an unknown mechanism",
      on({ identity: { mechanism: "keys" } }),
      "aws.identity.mechanism: must be one of: irsa, pod-identity",
    ],
    [
      "IRSA without its provider",
      on({ identity: { mechanism: "irsa" } }),
      "aws.identity.oidcProviderArn: is required with mechanism irsa",
    ],
    [
      "a role ARN as the provider",
      on({ identity: { mechanism: "irsa", oidcProviderArn: "arn:aws:iam::123456789012:role/x" } }),
      "aws.identity.oidcProviderArn: must be an IAM OIDC provider ARN such as arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
    ],
    [
      "Pod Identity without its cluster",
      on({ identity: { mechanism: "pod-identity" } }),
      "aws.identity.clusterName: is required with mechanism pod-identity",
    ],
    [
      "a text manageAgentAddon",
      on({ identity: { mechanism: "pod-identity", clusterName: "c", manageAgentAddon: "yes" } }),
      "aws.identity.manageAgentAddon: must be true or false",
    ],
  ])("%s is rejected with a message naming the key", (_case, edit, message) => {
    expect(problemsOf(edit)).toContain(message);
  });
});
