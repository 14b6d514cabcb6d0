/*
 * What Prometheus would scrape, as the Prometheus operator turns ServiceMonitors and PodMonitors into scrape
 * configs (pkg/prometheus/promcfg.go): which Services and pods each monitor reaches, and the `job` label each
 * target gets. Probe objects (`targets.ingress` / `targets.staticConfig`) and ScrapeConfig objects point at
 * addresses, not at objects in this set, so their targets are out of scope here; only their job names count.
 * Only what a Prometheus resource of the set selects counts (its `*Selector` and `*NamespaceSelector` against
 * the objects' and their namespaces' labels: selection.ts). Not modelled: `honorLabels` letting an exposed
 * `job` label win.
 */

export {
  componentsMaybeUnrendered,
  PLATFORM_COMPONENTS,
  type PlatformComponent,
  platformComponentsScraped,
} from "./components";
export { anchoredRegex, jobsProduced, type ProducedJob, type ScrapeTarget, scrapeTargets } from "./jobs";
export {
  loadedBy,
  namespaceLabels,
  notLoadedBecause,
  prometheusesOf,
  SELECTED_KINDS,
  type SelectedKind,
  selectedBy,
  unselectedFindings,
} from "./selection";
export { monitorNamespaces, monitorsSelectTargets, podsSelectedBy, servicesSelectedBy } from "./targets";
