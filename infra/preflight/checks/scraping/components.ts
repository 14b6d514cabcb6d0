import { RESPONDER_NAME, SERVICE_NAMES } from "../../../../contract";
import { type Namespaces, PLATFORM_SERVICES, POD_LABELS, RELEASES } from "../../../platform/naming";
import type { RenderedObject } from "../../../render/render";
import { serviceSelector } from "../../../services/microservice";
import { describe, type Finding, finding, type PodTemplate, podTemplates, selectsMap } from "../objects";
import { scrapeTargets } from "./jobs";
import { podsOfService, portNames, servicePorts, services } from "./targets";

/** A component of the platform, by the labels its pods carry. */
export interface PlatformComponent {
  name: string;
  namespace: string;
  pods: Record<string, string>;
  /** The Helm release that renders it; undefined for objects the program creates itself. */
  release?: string;
  /** The sub-chart of `release` that renders it, when not the release's own chart. */
  subchart?: string;
}

/**
 * The components whose metrics must reach Prometheus. Chart pods are identified by the labels the charts
 * really render (`app.kubernetes.io/name` + `app.kubernetes.io/instance`); the operator names the instance of
 * Prometheus and Alertmanager pods after their resource.
 */
export function PLATFORM_COMPONENTS(
  ns: Namespaces,
  options: { chaos?: boolean; distributed?: boolean } = {},
): PlatformComponent[] {
  const chart = (name: string, instance: string, release: string, subchart?: string): PlatformComponent => ({
    name,
    namespace: ns.platform,
    pods: { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance },
    release,
    ...(subchart ? { subchart } : {}),
  });
  return [
    {
      ...chart("prometheus", PLATFORM_SERVICES.prometheus.name, RELEASES.monitoring),
      pods: { ...POD_LABELS.prometheus, "app.kubernetes.io/instance": PLATFORM_SERVICES.prometheus.name },
    },
    chart("alertmanager", PLATFORM_SERVICES.alertmanager.name, RELEASES.monitoring),
    chart("grafana", RELEASES.monitoring, RELEASES.monitoring, "grafana"),
    chart("loki", RELEASES.loki, RELEASES.loki),
    chart("alloy", RELEASES.alloy, RELEASES.alloy),
    chart("prometheus-blackbox-exporter", RELEASES.blackboxExporter, RELEASES.blackboxExporter),
    { name: "otel-collector", namespace: ns.platform, pods: { ...POD_LABELS.collector }, release: RELEASES.collector },
    // scale distributed: the collector's gateway tier (its own otelcol_* metrics)
    ...(options.distributed
      ? [
          {
            name: "otel-gateway",
            namespace: ns.platform,
            pods: { ...POD_LABELS.otelGateway },
            release: RELEASES.otelGateway,
          },
        ]
      : []),
    { name: "jaeger", namespace: ns.platform, pods: { ...POD_LABELS.jaeger }, release: RELEASES.jaeger },
    // the alert responder's metrics are its audit trail (decisions, actions, their effect)
    { name: RESPONDER_NAME, namespace: ns.platform, pods: { ...POD_LABELS.responder } },
    ...SERVICE_NAMES.map((service) => ({ name: service, namespace: ns.apps, pods: serviceSelector(service) })),
    // where chaos is enabled: Chaos Mesh's own metrics and the game-day results the Pushgateway holds
    ...(options.chaos
      ? [
          { name: "chaos-controller-manager", pods: POD_LABELS.chaosController, release: RELEASES.chaosMesh },
          { name: "chaos-daemon", pods: POD_LABELS.chaosDaemon, release: RELEASES.chaosMesh },
          { name: "pushgateway", pods: POD_LABELS.pushgateway, release: RELEASES.pushgateway },
        ].map((c) => ({ ...c, namespace: ns.platform, pods: { ...c.pods } }))
      : []),
  ];
}

/**
 * Components a partial render may lack: those in a sub-chart, and those of a release that rendered nothing
 * (chart sources absent). The registry passes these as `allowMissing` when `CheckContext.partial` is set.
 */
export function componentsMaybeUnrendered(objects: RenderedObject[], components: PlatformComponent[]): string[] {
  const rendered = new Set(objects.map((r) => r.origin));
  return components
    .filter((c) => c.subchart !== undefined || (c.release !== undefined && !rendered.has(c.release)))
    .map((c) => c.name);
}

const podsOfComponent = (c: PlatformComponent, pods: PodTemplate[]) =>
  pods.filter((p) => p.namespace === c.namespace && selectsMap(c.pods, p.labels));

/** Where pods with a component's labels are, when not in its namespace: a wrong or missing namespace. */
function elsewhere(c: PlatformComponent, pods: PodTemplate[]): string {
  const found = pods.filter((p) => p.namespace !== c.namespace && selectsMap(c.pods, p.labels));
  if (found.length === 0) return "";
  const where = found.map((p) => `${describe(p.owner)} in namespace "${p.namespace}"`);
  return `; pods with these labels exist elsewhere: ${where.join(", ")}`;
}

/**
 * Every platform component is scraped: some ServiceMonitor a Prometheus selects reaches a Service (on an
 * existing port) that selects its pods, or some such PodMonitor selects them. `allowMissing` names components
 * whose pods may be absent from the set (not rendered); they are skipped when absent, still checked when present.
 */
export function platformComponentsScraped(
  objects: RenderedObject[],
  components: PlatformComponent[],
  allowMissing: string[] = [],
): Finding[] {
  const check = "component-scraped";
  const pods = podTemplates(objects);
  const targets = scrapeTargets(objects);
  const unselected = scrapeTargets(objects, () => true).filter((t) => !targets.some((s) => s.monitor === t.monitor));
  const out: Finding[] = [];
  for (const c of components) {
    const own = podsOfComponent(c, pods);
    if (own.length === 0) {
      if (allowMissing.includes(c.name)) continue;
      out.push({
        check,
        object: `component ${c.name}`,
        message: `no pods of ${c.name} in the rendered set (labels ${JSON.stringify(c.pods)} in ${c.namespace})${elsewhere(c, pods)}`,
      });
      continue;
    }
    // Pod templates are rebuilt per call: the same pod is the one with the same owner.
    const owners = new Set(own.map((p) => p.owner));
    if (targets.some((t) => t.pods.some((p) => owners.has(p.owner)))) continue;
    const ignored = [
      ...new Set(unselected.filter((t) => t.pods.some((p) => owners.has(p.owner))).map((t) => describe(t.monitor))),
    ];
    const fronting = services(objects).filter((s) => podsOfService(s, pods).some((p) => owners.has(p.owner)));
    const hint =
      ignored.length > 0
        ? `${ignored.join(", ")} would scrape them, but no Prometheus selects ${ignored.length > 1 ? "these" : "it"} (see prometheus-selects)`
        : fronting.length > 0
          ? `Services selecting them: ${fronting.map((s) => `${s.object.metadata.name} (ports: ${portNames(servicePorts(s))})`).join("; ")}`
          : "no Service selects them";
    const first = own[0] as PodTemplate;
    out.push(
      finding(
        check,
        first.owner,
        `${c.name} is not scraped: no ServiceMonitor a Prometheus selects reaches a Service selecting its pods ${JSON.stringify(c.pods)} and no such PodMonitor selects them; ${hint}`,
      ),
    );
  }
  return out;
}
