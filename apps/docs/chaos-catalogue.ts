import type { Experiment } from "../../infra/chaos/experiments";
import {
  alertLabel,
  describeFault,
  faultMechanism,
  formatDuration,
  formatSeconds,
  formatShare,
  runsLocally,
} from "../chaos/describe";

/** The generated section of docs/chaos.md: the catalogue with each experiment's hypothesis. */

const cell = (text: string) => text.replaceAll("|", "\\|");
const code = (text: string) => `\`${text}\``;

function row(e: Experiment): string {
  const h = e.hypothesis;
  const runs = [
    runsLocally(e.fault) ? "local, cluster" : "cluster",
    ...(e.schedule ? [`scheduled ${code(e.schedule)}`] : []),
  ];
  const cells = [
    code(e.name),
    e.target,
    `${describeFault(e.fault)} (${faultMechanism(e.fault)})`,
    formatDuration(e.durationSeconds),
    runs.join("; "),
    h.mustFire.length
      ? `${h.mustFire.map((a) => code(alertLabel(a))).join(", ")} within ${formatSeconds(h.maxDetectSeconds)}`
      : "none",
    h.mustNotFire.length ? h.mustNotFire.map((a) => code(alertLabel(a))).join(", ") : "—",
    formatSeconds(h.maxRecoverSeconds),
    `${formatShare(h.maxBudgetConsumed)} (${h.sliServices.join(", ")})`,
  ];
  return `| ${cells.map(cell).join(" | ")} |`;
}

/** One row per experiment, then what each one shows. */
export function catalogueTable(experiments: readonly Experiment[]): string {
  return [
    "| experiment | target | fault | for | runs | must fire (within) | must not fire | recovered within | budget at most (SLIs of) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...experiments.map(row),
    "",
    ...experiments.map((e) => `- ${code(e.name)}: ${e.description}.`),
  ].join("\n");
}

/** Every generated section of docs/chaos.md by marker name. */
export function chaosSections(experiments: readonly Experiment[]): Record<string, string> {
  return { catalogue: catalogueTable(experiments) };
}
