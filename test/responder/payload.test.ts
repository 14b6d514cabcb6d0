import { alertmanagerPayloadSchema } from "../../apps/responder/payload";
import { dottedPath } from "../../contract";

/**
 * A notification as Alertmanager 0.28 POSTs it to the responder's webhook: the crash-loop alert of two
 * pods of one service, grouped by the responder route's group_by (alertname, namespace, service, job).
 * Times are Go's RFC 3339 with nanoseconds; endsAt is Go's zero time while an alert fires.
 */
const ALERTMANAGER_SAMPLE = {
  receiver: "responder",
  status: "firing",
  alerts: [
    {
      status: "firing",
      labels: {
        alertname: "ServicePodCrashLooping",
        container: "order",
        environment: "dev",
        job: "kube-state-metrics",
        namespace: "obs-dev-apps",
        pod: "order-7c9d8b6f5-x2kqj",
        prometheus: "obs-dev-platform/kps-prometheus",
        response: "restart",
        service: "order",
        severity: "warning",
      },
      annotations: {
        automatic_response:
          "restart the service's Deployment (what kubectl rollout restart does), unless a rollout is in progress or paused",
        description: "order-7c9d8b6f5-x2kqj restarted more than twice in 15 minutes.",
        runbook_url:
          "https://github.com/example/observability-platform/blob/main/docs/runbooks/ServicePodCrashLooping.md",
        summary: "order pod order-7c9d8b6f5-x2kqj is restarting",
      },
      startsAt: "2025-06-03T09:41:07.512345678Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL:
        "http://prometheus.obs-dev-platform:9090/graph?g0.expr=increase%28kube_pod_container_status_restarts_total%5B15m%5D%29+%3E+2&g0.tab=1",
      fingerprint: "5b3d7a6f0e2c9a41",
    },
    {
      status: "firing",
      labels: {
        alertname: "ServicePodCrashLooping",
        container: "order",
        environment: "dev",
        job: "kube-state-metrics",
        namespace: "obs-dev-apps",
        pod: "order-7c9d8b6f5-q8wzt",
        prometheus: "obs-dev-platform/kps-prometheus",
        response: "restart",
        service: "order",
        severity: "warning",
      },
      annotations: {
        automatic_response:
          "restart the service's Deployment (what kubectl rollout restart does), unless a rollout is in progress or paused",
        description: "order-7c9d8b6f5-q8wzt restarted more than twice in 15 minutes.",
        runbook_url:
          "https://github.com/example/observability-platform/blob/main/docs/runbooks/ServicePodCrashLooping.md",
        summary: "order pod order-7c9d8b6f5-q8wzt is restarting",
      },
      startsAt: "2025-06-03T09:41:37.512345678+02:00",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL:
        "http://prometheus.obs-dev-platform:9090/graph?g0.expr=increase%28kube_pod_container_status_restarts_total%5B15m%5D%29+%3E+2&g0.tab=1",
      fingerprint: "0c41d8e2f6a9b357",
    },
  ],
  groupLabels: {
    alertname: "ServicePodCrashLooping",
    job: "kube-state-metrics",
    namespace: "obs-dev-apps",
    service: "order",
  },
  commonLabels: {
    alertname: "ServicePodCrashLooping",
    container: "order",
    environment: "dev",
    job: "kube-state-metrics",
    namespace: "obs-dev-apps",
    prometheus: "obs-dev-platform/kps-prometheus",
    response: "restart",
    service: "order",
    severity: "warning",
  },
  commonAnnotations: {
    automatic_response:
      "restart the service's Deployment (what kubectl rollout restart does), unless a rollout is in progress or paused",
    runbook_url: "https://github.com/example/observability-platform/blob/main/docs/runbooks/ServicePodCrashLooping.md",
  },
  externalURL: "http://alertmanager.obs-dev-platform:9093",
  version: "4",
  groupKey:
    '{}/{response=~"restart|raise-max-replicas"}:{alertname="ServicePodCrashLooping", job="kube-state-metrics", namespace="obs-dev-apps", service="order"}',
  truncatedAlerts: 0,
};

type Json = Record<string, any>;
const sample = (): Json => structuredClone(ALERTMANAGER_SAMPLE);

/** The fields zod names for a body, as the HTTP layer reports them. */
const problemsOf = (body: unknown) => {
  const result = alertmanagerPayloadSchema.safeParse(body);
  return result.success ? [] : result.error.issues.map((i) => `${dottedPath(i.path)}: ${i.message}`);
};

describe("Alertmanager webhook payload v4", () => {
  test("a realistic two-alert notification from Alertmanager 0.28 passes, the alerts unchanged", () => {
    const parsed = alertmanagerPayloadSchema.parse(sample());
    expect(parsed.alerts).toEqual(ALERTMANAGER_SAMPLE.alerts);
    expect(parsed.alerts.map((a) => a.fingerprint)).toEqual(["5b3d7a6f0e2c9a41", "0c41d8e2f6a9b357"]);
  });

  test("fields a newer Alertmanager adds are tolerated (dropped), at the top and in an alert", () => {
    const body = sample();
    body.groupId = "abc";
    body.alerts[0].silencedBy = [];
    const parsed = alertmanagerPayloadSchema.parse(body);
    expect(parsed).not.toHaveProperty("groupId");
    expect(parsed.alerts[0]).not.toHaveProperty("silencedBy");
  });

  test("a resolved alert with a real endsAt passes", () => {
    const body = sample();
    body.status = "resolved";
    body.alerts[0].status = "resolved";
    body.alerts[0].endsAt = "2025-06-03T10:02:07.1Z";
    expect(problemsOf(body)).toEqual([]);
  });

  test.each<[string, (b: Json) => void, string]>([
    ["a payload of another version", (b) => (b.version = "3"), 'version: must be "4"'],
    ["no version", (b) => delete b.version, 'version: must be "4"'],
    ["an unknown group status", (b) => (b.status = "pending"), "status: must be one of: firing, resolved"],
    [
      "an alert with an unknown status",
      (b) => (b.alerts[1].status = "active"),
      "alerts.1.status: must be one of: firing, resolved",
    ],
    [
      "an alert without alertname",
      (b) => delete b.alerts[0].labels.alertname,
      "alerts.0.labels.alertname: must be set",
    ],
    [
      "an alert with an empty alertname",
      (b) => (b.alerts[0].labels.alertname = ""),
      "alerts.0.labels.alertname: must not be empty",
    ],
    ["a label that is not a string", (b) => (b.alerts[0].labels.pod = 3), "alerts.0.labels.pod: must be a string"],
    [
      "a startsAt that is not a date",
      (b) => (b.alerts[0].startsAt = "yesterday"),
      "alerts.0.startsAt: must be an RFC 3339 date-time",
    ],
    [
      "a startsAt without a time zone",
      (b) => (b.alerts[0].startsAt = "2025-06-03T09:41:07"),
      "alerts.0.startsAt: must be an RFC 3339",
    ],
    ["no startsAt", (b) => delete b.alerts[0].startsAt, "alerts.0.startsAt: must be an RFC 3339 date-time"],
    ["no fingerprint", (b) => delete b.alerts[1].fingerprint, "alerts.1.fingerprint: must be set"],
    [
      "a fingerprint that is not hex",
      (b) => (b.alerts[1].fingerprint = "order; drop"),
      "alerts.1.fingerprint: must be hex digits",
    ],
    ["alerts that are not an array", (b) => (b.alerts = {}), "alerts: must be an array of alerts"],
    ["no alerts at all", (b) => (b.alerts = []), "alerts: must not be empty"],
    ["a negative truncatedAlerts", (b) => (b.truncatedAlerts = -1), "truncatedAlerts: must not be negative"],
    [
      "annotations that are not strings",
      (b) => (b.alerts[0].annotations = { summary: 1 }),
      "alerts.0.annotations.summary: must be a string",
    ],
  ])("%s is refused, naming the field", (_name, change, problem) => {
    const body = sample();
    change(body);
    const problems = problemsOf(body);
    expect(problems.some((p) => p.startsWith(problem))).toBe(true);
  });

  test("a body that is not an object is refused as a whole", () => {
    expect(problemsOf([ALERTMANAGER_SAMPLE])).toHaveLength(1);
    expect(problemsOf("alerts")).toEqual(["(body): must be an Alertmanager webhook payload (a JSON object)"]);
  });
});
