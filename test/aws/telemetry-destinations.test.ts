import { readFileSync } from "node:fs";
import path from "node:path";
import { COLLECTOR_LOG_STREAM } from "../../infra/aws/names";
import { repoRoot } from "../../infra/charts/values-files";
import { parseStackConfig } from "../../infra/config/schema";
import { stackConfigFile } from "../../infra/config/stack-file";
import type { CollectedResource } from "../../infra/preflight/collect";
import { AWS_EXPORTERS } from "../../infra/tracing/collector-aws";
import { chart, ofType, runStack, type Stack } from "../infra/support";
import { awsOnWithIrsa } from "../support/aws";

const ACCOUNT = "123456789012";
const KMS = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const TYPES = {
  group: "aws:cloudwatch/logGroup:LogGroup",
  stream: "aws:cloudwatch/logStream:LogStream",
  resourcePolicy: "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
  destination: "aws:xray/traceSegmentDestination:TraceSegmentDestination",
  indexing: "aws:xray/indexingRule:IndexingRule",
};

/** prod with AWS on (IRSA), its stack file's `aws.export` kept and `exportEdits` laid over it. */
const prodWithAws = (exportEdits: Record<string, unknown> = {}) =>
  runStack("prod", (p) => {
    const fileExport = (p.aws as { export?: object }).export ?? {};
    p.aws = { ...awsOnWithIrsa(), export: { ...fileExport, ...exportEdits } };
  });

const groups = (rs: CollectedResource[]) => ofType(rs, TYPES.group);

describe("CloudWatch destinations, prod with AWS on (mocked program: proves the shape)", () => {
  let resources: CollectedResource[];
  beforeAll(async () => {
    ({ resources } = await prodWithAws());
  }, 120_000);

  test("two log groups, the services' logs and the EMF metrics, kept prod's 90 days, tagged, no KMS key unless set", () => {
    expect(groups(resources).map((g) => [g.inputs.name, g.inputs.retentionInDays])).toEqual([
      ["/observability/prod/logs", 90],
      ["/observability/prod/metrics", 90],
    ]);
    for (const g of groups(resources)) {
      expect(g.inputs.kmsKeyId).toBeUndefined();
      expect(g.inputs.tags).toMatchObject({ environment: "prod", "managed-by": "pulumi" });
    }
  });

  test("the stream the OTLP logs endpoint needs exists in the group the collector's headers name", () => {
    const [stream] = ofType(resources, TYPES.stream);
    const headers = chart(resources, "otel-collector").inputs.values.config.exporters[AWS_EXPORTERS.logs].headers;
    expect(stream?.inputs).toMatchObject({
      name: headers["x-aws-log-stream"],
      logGroupName: headers["x-aws-log-group"],
    });
    expect(stream?.inputs.name).toBe(COLLECTOR_LOG_STREAM);
  });

  test("the EMF exporter writes to the metrics group Pulumi makes", () => {
    const emf = chart(resources, "otel-collector").inputs.values.config.exporters[AWS_EXPORTERS.metrics];
    expect(groups(resources).map((g) => g.inputs.name)).toContain(emf.log_group_name);
  });

  test("Transaction Search: X-Ray may write only its two log groups, for this account; spans go to CloudWatch Logs, 1 % indexed", () => {
    const [policy] = ofType(resources, TYPES.resourcePolicy);
    expect(JSON.parse(policy?.inputs.policyDocument)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "TransactionSearchXRayAccess",
          Effect: "Allow",
          Principal: { Service: "xray.amazonaws.com" },
          Action: "logs:PutLogEvents",
          Resource: [
            `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:aws/spans:*`,
            `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/application-signals/data:*`,
          ],
          Condition: {
            ArnLike: { "aws:SourceArn": `arn:aws:xray:eu-west-1:${ACCOUNT}:*` },
            StringEquals: { "aws:SourceAccount": ACCOUNT },
          },
        },
      ],
    });
    expect(ofType(resources, TYPES.destination).map((d) => d.inputs.destination)).toEqual(["CloudWatchLogs"]);
    expect(ofType(resources, TYPES.indexing).map((r) => r.inputs)).toEqual([
      { name: "Default", rule: { probabilistic: { desiredSamplingPercentage: 1 } } },
    ]);
  });
});

describe("aws.export variants (mocked program: proves the shape)", () => {
  test("a KMS key encrypts both groups; Transaction Search left to another stack creates none of its three resources", async () => {
    const { resources } = await prodWithAws({ kmsKeyArn: KMS, manageTransactionSearch: false });
    expect(groups(resources).map((g) => g.inputs.kmsKeyId)).toEqual([KMS, KMS]);
    for (const type of [TYPES.resourcePolicy, TYPES.destination, TYPES.indexing])
      expect(ofType(resources, type)).toEqual([]);
    // the exporter still sends: Transaction Search only has to be on in the account
    expect(chart(resources, "otel-collector").inputs.values.config.exporters[AWS_EXPORTERS.traces]).toBeDefined();
  }, 120_000);

  test("every signal off: no log group, no stream, no collector role, no IRSA annotation on the collector", async () => {
    const { resources } = await prodWithAws({ traces: false, metrics: false, logs: false });
    expect(groups(resources)).toEqual([]);
    expect(ofType(resources, TYPES.stream)).toEqual([]);
    expect(ofType(resources, TYPES.destination)).toEqual([]);
    const roleNames = ofType(resources, "aws:iam/role:Role").map((r) => r.inputs.name);
    expect(roleNames).not.toContain("obs-prod-collector");
    expect(roleNames).toContain("obs-prod-grafana");
    expect(chart(resources, "otel-collector").inputs.values.serviceAccount).toBeUndefined();
  }, 120_000);
});

describe("log retention per environment", () => {
  const policyBounds = (stack: Stack) =>
    JSON.parse(readFileSync(path.join(repoRoot(), "policies", "config", `${stack}.json`), "utf8"))[
      "cloudwatch-log-retention"
    ] as { minDays: number; maxDays: number };
  const fileRetention = (stack: Stack) =>
    JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string).aws.export.logRetentionDays;

  test.each(["dev", "staging", "prod"] as Stack[])(
    "%s's stack file sets a retention within its policy pack bounds",
    (stack) => {
      const days = fileRetention(stack);
      const { minDays, maxDays } = policyBounds(stack);
      expect(days).toBeGreaterThanOrEqual(minDays);
      expect(days).toBeLessThanOrEqual(maxDays);
    },
  );

  test("the stacks keep logs longer the closer they are to production", () => {
    expect(fileRetention("dev")).toBeLessThan(fileRetention("staging"));
    expect(fileRetention("staging")).toBeLessThan(fileRetention("prod"));
  });

  test("a retention CloudWatch does not offer, or a key that is not a KMS key ARN, is refused naming the key", () => {
    const platform = JSON.parse(stackConfigFile("prod")["observability-platform:platform"] as string);
    platform.aws = { ...awsOnWithIrsa(), export: { logRetentionDays: 10, kmsKeyArn: "alias/logs" } };
    expect(() => parseStackConfig(platform)).toThrow(
      /aws\.export\.logRetentionDays: must be one of CloudWatch's retention values: 1, 3, 5, 7, 14, 30/,
    );
    expect(() => parseStackConfig(platform)).toThrow(/aws\.export\.kmsKeyArn: must be a KMS key ARN/);
  });
});
