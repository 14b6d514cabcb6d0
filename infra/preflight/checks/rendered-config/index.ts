import type { StackConfig } from "../../../config/schema";
import type { RenderedObject } from "../../../render/render";
import type { Finding } from "../objects";
import { collectorFindings } from "./collector";
import { jaegerFindings } from "./jaeger";
import { lokiFindings } from "./loki";
import { prometheusFindings } from "./prometheus";
import { namespaceResolver } from "./workloads";

/**
 * The rendered configuration says what the stack config says: the files the Loki, Jaeger and collector
 * workloads really start with (found through their args and volume mounts, as the kubelet would) and the
 * Prometheus resource the operator reconciles, compared with `platform` of the stack file.
 *
 * A component absent from the set is not a finding here (charts may not have been rendered); once its
 * workload is present, its config must be found, parse, and match.
 */

export {
  COLLECTOR_DEFAULT_HASH_SALT,
  exporterTargetProblems,
  pipelineProblems,
  samplingProblems,
  serviceTarget,
  traceFlowProblems,
} from "./collector";
export { jaegerStorageProblems } from "./jaeger";
export { lokiChunkProblems, lokiConfigProblems, lokiOverrideProblems } from "./loki";
export { prometheusProblems } from "./prometheus";
export { durationSeconds, prometheusBytes, quantityBytes } from "./units";
export {
  claimProblems,
  flagValues,
  imageName,
  mountAt,
  mountedFile,
  namespaceResolver,
  volumeSource,
} from "./workloads";

/** Every mismatch between the configuration the workloads will run with and the stack config. */
export function renderedConfigMatches(objects: RenderedObject[], config: StackConfig): Finding[] {
  const nsOf = namespaceResolver(objects);
  return [
    ...lokiFindings(objects, nsOf, config),
    ...jaegerFindings(objects, nsOf, config),
    ...prometheusFindings(objects, config),
    ...collectorFindings(objects, nsOf, config),
  ];
}
