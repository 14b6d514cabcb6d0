/*
 * What Prometheus would scrape, as the Prometheus operator turns ServiceMonitors and PodMonitors into scrape
 * configs (pkg/prometheus/promcfg.go): which Services and pods each monitor reaches, and the `job` label each
 * target gets. Probe objects (`targets.ingress` / `targets.staticConfig`) and ScrapeConfig objects point at
 * addresses, not at objects in this set, so their targets are out of scope here; only their job names count.
 * Not modelled either: whether the Prometheus resource's serviceMonitorSelector/podMonitorSelector picks a
 * monitor up, and `honorLabels` letting an exposed `job` label win.
 */

export {
  componentsMaybeUnrendered,
  PLATFORM_COMPONENTS,
  type PlatformComponent,
  platformComponentsScraped,
} from "./components";
export { anchoredRegex, jobsProduced, type ProducedJob, type ScrapeTarget, scrapeTargets } from "./jobs";
export { monitorNamespaces, monitorsSelectTargets, podsSelectedBy, servicesSelectedBy } from "./targets";
