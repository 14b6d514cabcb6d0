import { EXEMPLAR_LABELS, LABELS, LOG_FIELDS, METRICS } from "../../contract";
import { clusterUrl, DATASOURCE_UIDS, type Namespaces, PLATFORM_SERVICES } from "../platform/naming";

/**
 * Extracts the trace id from a service's JSON log line, as the logger writes it
 * (`"trace_id":"<32 hex>"`, no spaces: JSON.stringify).
 */
export const TRACE_ID_IN_LOG_LINE = `"${LOG_FIELDS.traceId}":"([0-9a-f]{32})"`;

/** Grafana provisioning expands $VAR; `$$` keeps a literal `$` for Grafana's own variables. */
const literal = (grafanaVariable: string) => `$$${grafanaVariable}`;

/**
 * The Loki and Jaeger datasources with every correlation: Loki log line → Jaeger trace, Jaeger
 * span → Loki logs of the same trace and service, Jaeger span → Prometheus RED metrics.
 * (The Prometheus datasource is the chart's own, uid `prometheus`; its exemplar link is set in
 * `exemplarTraceIdDestinations`.)
 */
export function grafanaDatasources(ns: Namespaces): Record<string, unknown>[] {
  const tags = literal("__tags");
  const requests = `${METRICS.serverDuration}_count`;
  const loki = PLATFORM_SERVICES.loki;
  const jaeger = PLATFORM_SERVICES.jaeger;
  return [
    {
      name: "Loki",
      uid: DATASOURCE_UIDS.loki,
      type: "loki",
      access: "proxy",
      url: clusterUrl(loki.name, ns.platform, loki.port),
      jsonData: {
        maxLines: 1000,
        derivedFields: [
          {
            name: "TraceID",
            matcherRegex: TRACE_ID_IN_LOG_LINE,
            datasourceUid: DATASOURCE_UIDS.jaeger,
            url: literal("{__value.raw}"),
            urlDisplayLabel: "View trace",
          },
        ],
      },
    },
    {
      name: "Jaeger",
      uid: DATASOURCE_UIDS.jaeger,
      type: "jaeger",
      access: "proxy",
      url: clusterUrl(jaeger.name, ns.platform, jaeger.queryPort),
      jsonData: {
        nodeGraph: { enabled: true },
        spanBar: { type: "Duration" },
        tracesToLogsV2: {
          datasourceUid: DATASOURCE_UIDS.loki,
          spanStartTimeShift: "-5m",
          spanEndTimeShift: "5m",
          filterByTraceID: false,
          filterBySpanID: false,
          tags: [{ key: "service.name", value: LOG_FIELDS.service }],
          customQuery: true,
          // service_name is a Loki label; trace_id is structured metadata (set by Alloy)
          query: `{${literal("{__tags}")}} | ${LOG_FIELDS.traceId}="${literal("{__trace.traceId}")}"`,
        },
        tracesToMetrics: {
          datasourceUid: DATASOURCE_UIDS.prometheus,
          spanStartTimeShift: "-5m",
          spanEndTimeShift: "5m",
          tags: [{ key: "service.name", value: LABELS.service }],
          queries: [
            {
              name: "Request rate",
              query: `sum(rate(${requests}{${tags}}[5m]))`,
            },
            {
              name: "Error rate",
              query: `sum(rate(${requests}{${tags},${LABELS.status}=~"5.."}[5m]))`,
            },
            {
              name: "p99 latency",
              query: `histogram_quantile(0.99, sum by (le) (rate(${METRICS.serverDuration}_bucket{${tags}}[5m])))`,
            },
          ],
        },
      },
    },
  ];
}

/** Links Prometheus exemplars (label trace_id) to the Jaeger datasource. */
export const EXEMPLAR_DESTINATION = {
  datasourceUid: DATASOURCE_UIDS.jaeger,
  traceIdLabelName: EXEMPLAR_LABELS.traceId,
  urlDisplayLabel: "View trace",
};
