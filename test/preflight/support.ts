import type { KubernetesObject, RenderedObject } from "../../infra/render/render";

/** A rendered object for check tests. */
export const obj = (object: Record<string, unknown>, origin = "test"): RenderedObject => ({
  object: object as unknown as KubernetesObject,
  origin,
});

export function deployment(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  podSpec: Record<string, unknown> = {},
) {
  return obj({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name, ports: [{ name: "http", containerPort: 8080 }] }], ...podSpec },
      },
    },
  });
}
