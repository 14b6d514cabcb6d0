import { loadStackConfig } from "../../infra/config/stack-file";
import {
  buildDashboards,
  type DashboardQuery,
  dashboardPanels,
  dashboardSettings,
  type GeneratedDashboard,
  stackDashboards,
} from "../../infra/dashboards/dashboards";
import { DATASOURCES } from "../../infra/dashboards/model";
import type { DashboardSettings } from "../../infra/dashboards/settings";
import { logqlParser, promqlParser, type SyntaxNode } from "../../infra/queries/lezer";

/** The dashboards of each stack as its stack file configures them: those built from the settings, and capacity. */
export const STACKS = ["dev", "staging", "prod"] as const;
export type Stack = (typeof STACKS)[number];

export const configs = Object.fromEntries(STACKS.map((s) => [s, loadStackConfig(s)])) as Record<
  Stack,
  ReturnType<typeof loadStackConfig>
>;
export const settings = Object.fromEntries(STACKS.map((s) => [s, dashboardSettings(configs[s])])) as Record<
  Stack,
  DashboardSettings
>;
export const fromSettings = Object.fromEntries(STACKS.map((s) => [s, buildDashboards(settings[s])])) as Record<
  Stack,
  GeneratedDashboard[]
>;
export const withCapacity = Object.fromEntries(STACKS.map((s) => [s, stackDashboards(configs[s])])) as Record<
  Stack,
  GeneratedDashboard[]
>;

/** Non-row panels of a dashboard (nested ones included). */
export const panelsOf = (d: GeneratedDashboard) => dashboardPanels(d.json).filter((p) => p.type !== "row") as any[];
export const byUid = (stack: Stack, key: string) =>
  withCapacity[stack].find((d) => d.uid === `${stack}-${key}`) as GeneratedDashboard;
export const panel = (d: GeneratedDashboard, title: string) => panelsOf(d).find((p) => p.title === title);

export const variablesOf = (d: GeneratedDashboard) => ((d.json.templating as any)?.list ?? []) as any[];

/**
 * The value each variable has when the dashboard opens: constants' value, datasource variables' current
 * datasource, the "All" value of multi-value variables.
 */
export function openingValues(d: GeneratedDashboard): Record<string, string> {
  return Object.fromEntries(
    variablesOf(d).map((v) => {
      if (v.type === "constant") return [v.name, String(v.query)];
      if (v.type === "datasource") return [v.name, String(v.current?.value)];
      return [v.name, String(v.allValue ?? v.current?.value)];
    }),
  );
}

/** Every selector of a PromQL or LogQL query with its matchers (label, operator, value). */
export interface Selector {
  text: string;
  matchers: { label: string; op: string; value: string }[];
}

function matcherOf(node: SyntaxNode, expr: string) {
  const text = (n: SyntaxNode | null) => (n ? expr.slice(n.from, n.to) : "");
  const label = node.getChild("LabelName") ?? node.getChild("QuotedLabelName") ?? node.getChild("Identifier");
  const op =
    node.getChild("MatchOp") ??
    node.getChild("Eq") ??
    node.getChild("Neq") ??
    node.getChild("Re") ??
    node.getChild("Nre");
  const value = node.getChild("StringLiteral") ?? node.getChild("String");
  return {
    label: text(label),
    op: text(op) || expr.slice(label?.to ?? 0, value?.from ?? 0).trim(),
    value: JSON.parse(text(value) || '""') as string,
  };
}

export function selectorsOf(query: Pick<DashboardQuery, "datasource" | "expr">, expr = query.expr): Selector[] {
  const out: Selector[] = [];
  const parser = query.datasource === "prometheus" ? promqlParser : logqlParser;
  const selectorNode = query.datasource === "prometheus" ? "VectorSelector" : "Selector";
  const matcherNodes = query.datasource === "prometheus" ? ["UnquotedLabelMatcher", "QuotedLabelMatcher"] : ["Matcher"];
  parser.parse(expr).iterate({
    enter: ({ name, node }) => {
      if (name !== selectorNode) return undefined;
      const matchers: Selector["matchers"] = [];
      const walk = (n: SyntaxNode | null): void => {
        for (let c = n; c; c = c.nextSibling) {
          if (matcherNodes.includes(c.name)) matchers.push(matcherOf(c, expr));
          else walk(c.firstChild);
        }
      };
      walk(node.firstChild);
      out.push({ text: expr.slice(node.from, node.to), matchers });
      return false;
    },
  });
  return out;
}

/** Every panel has a title, description, unit and Prometheus targets; panel ids are unique. */
export function expectDescribedPrometheusPanels(d: GeneratedDashboard, atLeast: number): void {
  expect(panelsOf(d).length).toBeGreaterThanOrEqual(atLeast);
  for (const p of panelsOf(d)) {
    expect([p.title, p.description, p.fieldConfig?.defaults?.unit]).toEqual([
      expect.stringMatching(/\S/),
      expect.stringMatching(/\S/),
      expect.stringMatching(/\S/),
    ]);
    expect(p.targets.length).toBeGreaterThan(0);
    for (const t of p.targets) expect(t.datasource).toEqual(DATASOURCES.prometheus);
  }
  const ids = dashboardPanels(d.json).map((p) => (p as { id: number }).id);
  expect(new Set(ids).size).toBe(ids.length);
}
