import type { ResourceValidationPolicy } from "@pulumi/policy";
import { chartProps, containersOf, isChart, podSpecOf } from "../lib/kubernetes";
import { findKeyed, isRecord } from "../lib/values";

/** The tag of an image reference, undefined when untagged; a digest counts as pinned. */
export function imageTag(image: string): string | undefined {
  if (image.includes("@sha256:")) return "digest";
  const last = image.split("/").pop() ?? "";
  return last.includes(":") ? last.split(":").pop() : undefined;
}

const unpinned = (tag: string | undefined) => tag === undefined || tag === "" || tag === "latest";

/** A moving tag makes rollouts unreproducible and rollbacks meaningless. */
export const imagePinned: ResourceValidationPolicy = {
  name: "image-pinned",
  description: 'Container images (and chart image overrides) use a fixed tag or digest, never "latest" or no tag.',
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (isChart(args.type)) {
      // Chart values override images as {repository, tag}; an unset tag falls back to the chart's pin.
      for (const { path, value } of findKeyed(chartProps(args.props).values, "image")) {
        if (isRecord(value) && value.tag === "latest") report(`chart values ${path}.tag is "latest"`);
        if (typeof value === "string" && unpinned(imageTag(value)))
          report(`chart values ${path} "${value}" is not pinned`);
      }
      return;
    }
    const pod = podSpecOf(args.type, args.props);
    if (!pod) return args.notApplicable("not a workload");
    for (const { name, spec } of containersOf(pod)) {
      if (unpinned(imageTag(String(spec.image ?? ""))))
        report(`container ${name}: image "${spec.image}" is not pinned`);
    }
  },
};
