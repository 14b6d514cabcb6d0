/** A valid `aws` block that turns AWS on with IRSA (region, account and OIDC provider as the schema requires). */
export const AWS_ON_WITH_IRSA = {
  enabled: true,
  region: "eu-west-1",
  accountId: "123456789012",
  identity: {
    mechanism: "irsa",
    oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
  },
} as const;

/** A fresh copy: the program under test may not share the object between runs. */
export const awsOnWithIrsa = () => structuredClone(AWS_ON_WITH_IRSA) as unknown as Record<string, unknown>;
