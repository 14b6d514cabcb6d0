import { COST_DEFAULTS, parseStackConfig } from "../../infra/config/schema";
import { stackConfigFile } from "../../infra/preflight/collect";
import { devConfig, problemsOf } from "./config-problems";

const configOf = (stack: string) =>
  parseStackConfig(JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string));

describe("cost and peers config", () => {
  test("every stack sets its own monthly budget, growing from dev to prod; prices default to the documented ones", () => {
    const budgets = ["dev", "staging", "prod"].map((s) => configOf(s).cost.monthlyBudget);
    expect(budgets).toEqual([...budgets].sort((a, b) => a - b));
    expect(new Set(budgets).size).toBe(3);
    const { monthlyBudget: _budget, ...prices } = configOf("dev").cost;
    expect(prices).toEqual({ ...COST_DEFAULTS, storageGiBMonth: { ...COST_DEFAULTS.storageGiBMonth } });
  });

  test("the cluster external label defaults to <prefix>-<environment>, and a configured one wins", () => {
    expect(configOf("prod").cluster).toBe("obs-prod");
    const config = devConfig();
    config.cluster = "eks-eu-1";
    expect(parseStackConfig(config).cluster).toBe("eks-eu-1");
  });

  test.each([
    [
      "no budget",
      (c: any) => delete c.cost.monthlyBudget,
      "cost.monthlyBudget: must be a number above 0 and at most 100000000",
    ],
    [
      "a zero budget",
      (c: any) => (c.cost.monthlyBudget = 0),
      "cost.monthlyBudget: must be a number above 0 and at most 100000000",
    ],
    [
      "a lower-case currency",
      (c: any) => (c.cost.currency = "usd"),
      'cost.currency: must be an ISO 4217 currency code such as "USD" or "EUR"',
    ],
    [
      "a negative vCPU price",
      (c: any) => (c.cost.cpuCoreHour = -1),
      "cost.cpuCoreHour: must be a number from 0 to 100",
    ],
    [
      "a text storage price",
      (c: any) => (c.cost.storageGiBMonth = { gp3: "cheap" }),
      "cost.storageGiBMonth.gp3: must be a number from 0 to 1000",
    ],
    [
      "a quantile under 0.5",
      (c: any) => (c.cost.rightSizing = { cpuQuantile: 0.3 }),
      "cost.rightSizing.cpuQuantile: must be a number from 0.5 to 1",
    ],
    [
      "a window of a minute",
      (c: any) => (c.cost.rightSizing = { window: "1m" }),
      'cost.rightSizing.window: must be a Prometheus duration from 1h to 30d such as "2m" or "1m30s" (units s, m, h)',
    ],
    [
      "a peer that is this environment",
      (c: any) => (c.peers = [{ environment: "dev", prometheusUrl: "http://prometheus.dev:9090" }]),
      "peers.0.environment: must name another environment than dev and each environment once, got dev",
    ],
    [
      "a peer without an http URL",
      (c: any) => (c.peers = [{ environment: "prod", prometheusUrl: "prometheus:9090" }]),
      "peers.0.prometheusUrl: must be an http:// or https:// URL",
    ],
    [
      "an unknown peer environment",
      (c: any) => (c.peers = [{ environment: "qa", prometheusUrl: "http://p:9090" }]),
      "peers.0.environment: must be one of: dev, staging, prod",
    ],
    [
      "a peer namespacePrefix that is no DNS label",
      (c: any) =>
        (c.peers = [{ environment: "prod", prometheusUrl: "https://p.example.com", namespacePrefix: "Team_A" }]),
      "peers.0.namespacePrefix: must be a DNS label (a-z, 0-9, -; starts with a letter; ≤ 30 characters)",
    ],
    [
      "an unknown peer auth",
      (c: any) => (c.peers = [{ environment: "prod", prometheusUrl: "https://p.example.com", auth: "oauth" }]),
      "peers.0.auth: must be one of: none, basic, bearer",
    ],
    [
      "a peer with basic auth over http",
      (c: any) => (c.peers = [{ environment: "prod", prometheusUrl: "http://p.example.com", auth: "basic" }]),
      "peers.0.prometheusUrl: must be an https:// URL when auth is basic: credentials need https",
    ],
    [
      "a peer with bearer auth whose Loki is http",
      (c: any) =>
        (c.peers = [
          {
            environment: "prod",
            prometheusUrl: "https://p.example.com",
            lokiUrl: "http://l.example.com",
            jaegerUrl: "https://j.example.com",
            auth: "bearer",
          },
        ]),
      "peers.0.lokiUrl: must be an https:// URL when auth is bearer: credentials need https",
    ],
  ])("%s is refused, naming the key and what is allowed", (_what, edit, problem) => {
    expect(problemsOf(edit)).toEqual([problem]);
  });

  test("two peers of the same environment: the second is named", () => {
    const peer = { environment: "prod", prometheusUrl: "http://prometheus.prod:9090" };
    expect(problemsOf((c) => (c.peers = [peer, peer]))).toEqual([
      "peers.1.environment: must name another environment than dev and each environment once, got prod",
    ]);
  });
});
