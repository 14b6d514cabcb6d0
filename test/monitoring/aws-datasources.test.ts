import { cloudWatchNamespace, logGroupArn, logGroupNames } from "../../infra/aws/names";
import { parseStackConfig, type StackConfig } from "../../infra/config/schema";
import { loadStackConfig } from "../../infra/config/stack-file";
import { awsDatasources, XRAY_PLUGIN } from "../../infra/monitoring/datasources";
import { monitoringValues } from "../../infra/monitoring/values";
import { commonLabels } from "../../infra/platform/labels";
import { AWS_DATASOURCE_UIDS, DATASOURCE_UIDS, namespaces } from "../../infra/platform/naming";
import { awsOnWithIrsa } from "../support/aws";

type Json = Record<string, any>;

const PEERS = [
  {
    environment: "staging",
    prometheusUrl: "https://prometheus.staging.example.com",
    lokiUrl: "https://loki.staging.example.com",
    jaegerUrl: "https://jaeger.staging.example.com",
  },
  { environment: "dev", prometheusUrl: "https://prometheus.dev.example.com" },
];

/** prod's stack file, its `aws` block (and optionally more keys) replaced, validated as the program does. */
function prod(overrides: Json = {}): StackConfig {
  return parseStackConfig({ ...loadStackConfig("prod"), ...overrides });
}

const prodAwsOff = () => prod();
const prodAwsOn = (aws: Json = awsOnWithIrsa()) => prod({ aws });

/** kube-prometheus-stack's grafana values as the program builds them for this config. */
function grafanaValues(config: StackConfig): Json {
  const labels = commonLabels(config, "monitoring");
  return monitoringValues(config, namespaces(config), labels, "grafana-admin").grafana as Json;
}

const AWS_TYPES = ["cloudwatch", XRAY_PLUGIN.id];
const byType = (datasources: Json[], type: string): Json => {
  const found = datasources.find((d) => d.type === type);
  if (!found) throw new Error(`no ${type} datasource among ${datasources.map((d) => d.type).join(", ")}`);
  return found;
};

describe("aws.enabled false", () => {
  test("awsDatasources returns no datasource", () => {
    expect(awsDatasources(prodAwsOff())).toEqual([]);
  });

  test("Grafana provisions no CloudWatch or X-Ray datasource and installs no plugin", () => {
    const grafana = grafanaValues(prodAwsOff());
    const types = (grafana.additionalDataSources as Json[]).map((d) => d.type);
    expect(types.filter((t) => AWS_TYPES.includes(t))).toEqual([]);
    expect(grafana).not.toHaveProperty("plugins");
  });
});

describe("aws.enabled true", () => {
  test("exactly two AWS datasources, CloudWatch and X-Ray, with the uids of AWS_DATASOURCE_UIDS", () => {
    const datasources = awsDatasources(prodAwsOn()) as Json[];
    expect(datasources.map((d) => [d.type, d.uid])).toEqual([
      ["cloudwatch", AWS_DATASOURCE_UIDS.cloudwatch],
      [XRAY_PLUGIN.id, AWS_DATASOURCE_UIDS.xray],
    ]);
  });

  test("Grafana's additionalDataSources hold both after the local Loki and Jaeger, which stay", () => {
    const config = prodAwsOn();
    const additional = grafanaValues(config).additionalDataSources as Json[];
    expect(config.peers).toEqual([]);
    expect(additional.map((d) => d.uid)).toEqual([
      DATASOURCE_UIDS.loki,
      DATASOURCE_UIDS.jaeger,
      AWS_DATASOURCE_UIDS.cloudwatch,
      AWS_DATASOURCE_UIDS.xray,
    ]);
    expect(additional.slice(-2)).toEqual(awsDatasources(config));
  });

  test.each(["eu-west-1", "us-east-1"])("both take their default region from aws.region (%s)", (region) => {
    const datasources = awsDatasources(prodAwsOn({ ...awsOnWithIrsa(), region })) as Json[];
    expect(datasources.map((d) => d.jsonData.defaultRegion)).toEqual([region, region]);
  });

  test("CloudWatch offers the namespace and log groups of infra/aws/names.ts", () => {
    const config = prodAwsOn();
    const { jsonData } = byType(awsDatasources(config), "cloudwatch");
    expect(jsonData.customMetricsNamespaces).toBe(cloudWatchNamespace(config));
    const names = Object.values(logGroupNames(config));
    expect(jsonData.logGroups).toEqual(names.map((name) => ({ arn: logGroupArn(config, name), name })));
  });

  test("prod's CloudWatch namespace and log groups, written out (catches a change in names.ts)", () => {
    const { jsonData } = byType(awsDatasources(prodAwsOn()), "cloudwatch");
    expect(jsonData.customMetricsNamespaces).toBe("Observability/prod");
    expect(jsonData.logGroups).toEqual([
      {
        arn: "arn:aws:logs:eu-west-1:123456789012:log-group:/observability/prod/logs",
        name: "/observability/prod/logs",
      },
      {
        arn: "arn:aws:logs:eu-west-1:123456789012:log-group:/observability/prod/metrics",
        name: "/observability/prod/metrics",
      },
    ]);
  });

  test("CloudWatch log lines with an X-Ray trace id link to the X-Ray datasource", () => {
    const datasources = awsDatasources(prodAwsOn());
    expect(byType(datasources, "cloudwatch").jsonData.tracingDatasourceUid).toBe(
      byType(datasources, XRAY_PLUGIN.id).uid,
    );
  });

  test("no keys anywhere: the AWS SDK default chain (Grafana's own role), no secureJsonData", () => {
    for (const datasource of awsDatasources(prodAwsOn()) as Json[]) {
      expect(datasource.jsonData.authType).toBe("default");
      expect(datasource).not.toHaveProperty("secureJsonData");
      for (const key of ["accessKey", "secretKey", "sessionToken", "profile", "assumeRoleArn"]) {
        expect(datasource.jsonData).not.toHaveProperty(key);
      }
    }
  });

  test("the grafana sub-chart installs the X-Ray plugin pinned to a version, as <id>@<version>", () => {
    const plugins = grafanaValues(prodAwsOn()).plugins as string[];
    expect(plugins).toEqual([`${XRAY_PLUGIN.id}@${XRAY_PLUGIN.version}`]);
    expect(XRAY_PLUGIN.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("every provisioned datasource uid is unique: the chart's Prometheus, local, peers and AWS", () => {
    const grafana = grafanaValues(prod({ aws: awsOnWithIrsa(), peers: PEERS }));
    const additional = grafana.additionalDataSources as Json[];
    const uids = [grafana.sidecar.datasources.uid ?? DATASOURCE_UIDS.prometheus, ...additional.map((d) => d.uid)];
    // the set under test really holds peers and AWS
    expect(uids).toEqual(
      expect.arrayContaining([
        "prometheus-staging",
        "jaeger-staging",
        AWS_DATASOURCE_UIDS.cloudwatch,
        AWS_DATASOURCE_UIDS.xray,
      ]),
    );
    expect(new Set(uids).size).toBe(uids.length);
    // the AMP datasource (added by the Monitoring component once its workspace exists) takes a uid none of these has
    expect(uids).not.toContain(AWS_DATASOURCE_UIDS.amp);
  });

  test("a config that skipped validation and has no region is refused, naming aws.region", () => {
    const config = prodAwsOn();
    expect(() => awsDatasources({ ...config, aws: { ...config.aws, region: undefined } })).toThrow(/aws\.region/);
  });
});
