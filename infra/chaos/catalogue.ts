import type { ExperimentDefinition } from "./experiments";

/**
 * The starter catalogue: every fault family, every service. An SLO-burn experiment states its premise (the
 * share of requests the fault makes bad) and the runner plans its fault length and limits from the stack's
 * objective, burn-rate pairs and Prometheus' history (plan.ts); the others state their limits, which follow
 * from rules with fixed `for` durations rather than from the budget.
 */
export const CATALOGUE: ExperimentDefinition[] = [
  {
    name: "product-errors",
    description:
      "product fails half its API requests: order's availability page fires, its ticket reaches nobody while it does",
    target: "product",
    fault: { kind: "http-errors", errorRate: 0.5, errorStatus: 500 },
    // order fails when any item's product lookup fails: about half its requests with the demo's mix
    burn: { service: "order", slo: "availability", badRatio: 0.4 },
    hypothesis: { mustNotFire: [], sliServices: ["order"] },
  },

  {
    name: "product-killed",
    description: "product's pod (locally: its process) is killed: ServiceTargetDown fires, and clears once it is back",
    target: "product",
    fault: { kind: "pod-kill" },
    durationSeconds: 60,
    hypothesis: {
      mustFire: [{ alertname: "ServiceTargetDown", labels: { service: "product" } }],
      mustNotFire: [],
      maxDetectSeconds: 240,
      maxRecoverSeconds: 300,
      maxBudgetConsumed: 0.1,
      sliServices: ["order"],
    },
  },
  {
    name: "user-latency",
    description: "user answers 1.5 s late (below order's 2 s timeout): user's latency SLO pages",
    target: "user",
    fault: { kind: "http-latency", latencyMs: 1500, jitterMs: 100 },
    burn: { service: "user", slo: "latency", badRatio: 0.9 },
    hypothesis: {
      mustNotFire: [{ alertname: "ServiceTargetDown", labels: { service: "user" } }],
      sliServices: ["user"],
    },
  },

  {
    name: "order-checkout-outage",
    description: "order's checkout route (POST /orders) is down (503): order's availability page fires",
    target: "order",
    fault: { kind: "route-outage", route: "/orders" },
    // placing orders is most of order's traffic; reads of /orders/:id go on
    burn: { service: "order", slo: "availability", badRatio: 0.7 },
    hypothesis: {
      mustNotFire: [{ alertname: "ServiceTargetDown", labels: { service: "order" } }],
      sliServices: ["order"],
    },
  },

  {
    name: "order-to-product-delay",
    description: "300 ms more on every packet from order to product: order's latency SLO pages",
    target: "order",
    fault: { kind: "network-delay", towards: "product", latencyMs: 300, jitterMs: 50 },
    // every order placed waits on product at least once: 300 ms per call, above the 0.5 s threshold from two
    burn: { service: "order", slo: "latency", badRatio: 0.5 },
    hypothesis: {
      mustNotFire: [{ alertname: "ServiceTargetDown", labels: { service: "product" } }],
      sliServices: ["order"],
    },
    schedule: "0 10 * * 2",
  },

  {
    name: "order-to-user-loss",
    description:
      "30 % of packets from order to user are lost: retransmissions run into timeouts, order's availability pages",
    target: "order",
    fault: { kind: "network-loss", towards: "user", lossPercent: 30 },
    burn: { service: "order", slo: "availability", badRatio: 0.2 },
    hypothesis: {
      mustNotFire: [{ alertname: "ServiceTargetDown", labels: { service: "user" } }],
      sliServices: ["order"],
    },
  },

  {
    name: "user-cpu-stress",
    description: "two workers burn 80 % CPU in user's pods: no page while user keeps within its SLO (headroom holds)",
    target: "user",
    fault: { kind: "cpu-stress", workers: 2, loadPercent: 80 },
    durationSeconds: 300,
    hypothesis: {
      mustFire: [],
      mustNotFire: [{ alertname: "SLOFastBurn", labels: { service: "user" } }],
      maxDetectSeconds: 0,
      maxRecoverSeconds: 300,
      maxBudgetConsumed: 0.02,
      sliServices: ["user"],
    },
    schedule: "0 11 * * 3",
  },
  {
    name: "product-memory-stress",
    description: "product's pods hold 200 MiB more: no restart, no page (its memory limit has room)",
    target: "product",
    fault: { kind: "memory-stress", workers: 1, size: "200MiB" },
    durationSeconds: 300,
    hypothesis: {
      mustFire: [],
      mustNotFire: [
        { alertname: "ServicePodCrashLooping", labels: { service: "product" } },
        { alertname: "SLOFastBurn", labels: { service: "product" } },
      ],
      maxDetectSeconds: 0,
      maxRecoverSeconds: 300,
      maxBudgetConsumed: 0.02,
      sliServices: ["product"],
    },
  },
  {
    name: "user-container-killed",
    description: "user's container is killed in one pod: the other replicas serve, no page",
    target: "user",
    fault: { kind: "container-kill" },
    durationSeconds: 60,
    hypothesis: {
      mustFire: [],
      mustNotFire: [{ alertname: "SLOFastBurn", labels: { service: "order" } }],
      maxDetectSeconds: 0,
      maxRecoverSeconds: 300,
      maxBudgetConsumed: 0.02,
      sliServices: ["order", "user"],
    },
  },
];
