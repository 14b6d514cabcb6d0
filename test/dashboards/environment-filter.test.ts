import type { StackConfig } from "../../infra/config/schema";
import {
  DATASOURCES,
  dashboardPanels,
  stackDashboards,
  DASHBOARD_VARIABLES as V,
} from "../../infra/dashboards/dashboards";
import { substituteGrafanaVariables } from "../../infra/dashboards/query-check";
import { peerDatasourceUids } from "../../infra/monitoring/datasources";
import { namespaces } from "../../infra/platform/naming";
import { configs, STACKS, type Stack, selectorsOf, variablesOf } from "./built";

/*
 * Every query of every dashboard a stack deploys (whatever dashboards are registered: stackDashboards) stays
 * inside one environment: each selector filters on that environment's namespaces or its `environment` label
 * (infra/dashboards/shell.ts, ENVIRONMENT_MATCH). The environment is the stack's own, except on a panel of the
 * multi-environment dashboard that reads a peer's datasource: there it is the peer's. No exception exists today.
 */

type Json = Record<string, any>;

/** A stack with every other environment as a peer, as the multi-environment dashboard is built for it. */
const withAllPeers = (stack: Stack): StackConfig => ({
  ...configs[stack],
  peers: STACKS.filter((s) => s !== stack).map((environment) => ({
    environment,
    prometheusUrl: `https://prometheus.${environment}.example.com`,
    auth: "none" as const,
  })),
});

/** The environment a panel's datasource belongs to: a datasource variable is the stack's own, `<uid>-<env>` a peer's. */
function environmentOfDatasource(uid: string, stack: Stack): Stack | undefined {
  if (/^\$\{\w+\}$/.test(uid)) return stack;
  return STACKS.find((s) => s !== stack && Object.values(peerDatasourceUids(s)).includes(uid));
}

/** Values a matcher may take to stay inside `env`, seen from `stack`'s dashboards (variables only for its own). */
function allowedValues(env: Stack, stack: Stack) {
  const ns = namespaces({ namespacePrefix: configs[stack].namespacePrefix, environment: env });
  const local = env === stack;
  return {
    namespace: new Set([ns.apps, ns.platform, ...(local ? [`$${V.namespace}`, `$${V.platformNamespace}`] : [])]),
    environment: new Set([env, ...(local ? [`$${V.environment}`] : [])]),
  };
}

/** The selectors of a dashboard that leave their environment, as `uid / panel: selector`. */
function unfiltered(d: { uid: string; json: Json }, stack: Stack): { problems: string[]; selectors: number } {
  const problems: string[] = [];
  let selectors = 0;
  const annotations = ((d.json.annotations?.list ?? []) as Json[]).filter((a) => a.expr);
  const queries = [
    ...dashboardPanels(d.json).flatMap((p: Json) =>
      (p.targets ?? []).filter((t: Json) => t.expr).map((t: Json) => ({ title: p.title, target: t })),
    ),
    ...annotations.map((a) => ({ title: `annotation: ${a.name}`, target: a })),
  ];
  for (const { title, target } of queries) {
    const kind = target.datasource?.type;
    if (kind !== "prometheus" && kind !== "loki") continue;
    const env = environmentOfDatasource(String(target.datasource.uid), stack);
    if (!env) {
      problems.push(`${d.uid} / ${title}: datasource ${target.datasource.uid} of no environment`);
      continue;
    }
    const allowed = allowedValues(env, stack);
    // only the range and filter variables are substituted: the environment's own must stay visible
    const expr = substituteGrafanaVariables(target.expr, {
      [V.namespace]: `$${V.namespace}`,
      [V.platformNamespace]: `$${V.platformNamespace}`,
      [V.environment]: `$${V.environment}`,
      [V.service]: ".+",
      [V.route]: ".+",
      [V.status]: ".+",
      [V.slo]: ".+",
    });
    for (const sel of selectorsOf({ datasource: kind, expr })) {
      selectors += 1;
      const inside = sel.matchers.some(
        (m) =>
          (m.op === "=" || m.op === "=~") &&
          (m.label === "namespace" || m.label === "environment") &&
          m.value.split("|").every((v) => allowed[m.label as "namespace" | "environment"].has(v)),
      );
      if (!inside) problems.push(`${d.uid} / ${title} (${env}): ${sel.text}`);
    }
  }
  return { problems, selectors };
}

describe("every dashboard a stack deploys filters every query by its environment", () => {
  test.each(STACKS)("%s: every dashboard has the environment variable, a constant naming the stack", (stack) => {
    for (const d of stackDashboards(withAllPeers(stack))) {
      const variable = variablesOf(d).find((v) => v.name === V.environment);
      expect([d.uid, variable?.type, variable?.query]).toEqual([d.uid, "constant", stack]);
    }
  });

  test.each(STACKS)(
    "%s, with the other two as peers: every selector names its environment's namespaces or environment",
    (stack) => {
      const dashboards = stackDashboards(withAllPeers(stack));
      const results = dashboards.map((d) => unfiltered(d, stack));
      expect(results.flatMap((r) => r.problems)).toEqual([]);
      expect(results.reduce((n, r) => n + r.selectors, 0)).toBeGreaterThan(100);
    },
  );

  test.each(STACKS)(
    "%s, as deployed (no peers): every selector names its environment's namespaces or environment",
    (stack) => {
      const results = stackDashboards(configs[stack]).map((d) => unfiltered(d, stack));
      expect(results.flatMap((r) => r.problems)).toEqual([]);
    },
  );

  test("the multi-environment dashboard's peer columns read the peers' namespaces: each environment is checked", () => {
    const multi = stackDashboards(withAllPeers("prod")).find((d) => d.uid === "prod-multi-environment") as {
      json: Json;
    };
    const read = new Set<string>();
    for (const p of dashboardPanels(multi.json) as Json[])
      for (const t of p.targets ?? [])
        for (const sel of selectorsOf({ datasource: "prometheus", expr: t.expr }))
          for (const m of sel.matchers.filter((m) => m.label === "namespace" || m.label === "environment"))
            read.add(`${environmentOfDatasource(t.datasource.uid, "prod")} ${m.label}=${m.value}`);
    expect([...read].sort()).toEqual([
      "dev environment=dev",
      "dev namespace=obs-dev-apps",
      "dev namespace=obs-dev-apps|obs-dev-platform",
      "prod environment=$environment",
      "prod namespace=$namespace",
      "prod namespace=$namespace|$platform_namespace",
      "staging environment=staging",
      "staging namespace=obs-staging-apps",
      "staging namespace=obs-staging-apps|obs-staging-platform",
    ]);
  });
});

describe("the check can fail", () => {
  const panel = (uid: string, expr: string) => ({
    title: "p",
    datasource: { type: "prometheus", uid },
    targets: [{ expr, datasource: { type: "prometheus", uid } }],
  });
  /** The local datasource variable, as the generated panels name it. */
  const LOCAL = DATASOURCES.prometheus.uid;
  const check = (...panels: Json[]) => unfiltered({ uid: "prod-x", json: { panels } }, "prod").problems;

  test("a selector without an environment filter, or with another environment's namespace, is reported", () => {
    expect(check(panel(LOCAL, 'sum(up{job="x"})'))).toEqual(['prod-x / p (prod): up{job="x"}']);
    expect(check(panel(LOCAL, 'up{namespace="obs-staging-apps"}'))).toEqual([
      'prod-x / p (prod): up{namespace="obs-staging-apps"}',
    ]);
    expect(check(panel(LOCAL, 'up{namespace=~"$namespace|obs-dev-apps"}'))).toHaveLength(1);
    expect(check(panel(LOCAL, 'up{namespace!="$namespace"}'))).toHaveLength(1);
  });

  test("a peer's panel filtering on the local namespace variable, or on a datasource of no environment, is reported", () => {
    expect(check(panel("prometheus-staging", 'up{namespace="$namespace"}'))).toEqual([
      'prod-x / p (staging): up{namespace="$namespace"}',
    ]);
    expect(check(panel("prometheus-qa", 'up{namespace="obs-qa-apps"}'))).toEqual([
      "prod-x / p: datasource prometheus-qa of no environment",
    ]);
    expect(check(panel("prometheus-staging", 'up{namespace="obs-staging-apps"}'))).toEqual([]);
  });
});
