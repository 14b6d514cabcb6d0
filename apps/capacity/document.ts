/**
 * The report as a list of blocks, rendered to Markdown (docs/capacity-report.md) and to one
 * self-contained HTML page (out/capacity/report.html, plots inlined) from the same content.
 */

import type { MachineInfo } from "../bench/machine";
import { type Table, renderMarkdown as tableMarkdown } from "../bench/table";
import { CAPACITY_PLOTS } from "./plots";
import type { CapacityReport } from "./report";
import {
  kneeTable,
  replicasTable,
  serviceStagesTable,
  stagesTable,
  storageTable,
  verdictTable,
  volumesTable,
} from "./tables";

export type Block =
  | { kind: "heading"; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "banner"; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "table"; table: Table }
  | { kind: "plot"; file: string; alt: string };

export const FIXTURE_BANNER =
  "FIXTURE DATA — not a measurement. These numbers come from a hand-written test fixture, not from a load test; no capacity decision may rest on them. Run `npm run loadtest -- stress`, then `npm run capacity-report`.";

const plot = (file: string): Block => {
  const p = CAPACITY_PLOTS.find((x) => x.file === file) as (typeof CAPACITY_PLOTS)[number];
  return { kind: "plot", file: p.file, alt: p.alt };
};

const machineLine = (m: Pick<MachineInfo, "cpus" | "cpuModel" | "memoryGiB" | "node">) =>
  `${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, Node ${m.node}`;

const quotas = (cores: Record<string, number>) =>
  Object.entries(cores)
    .map(([service, n]) => `${service} ${n} cores`)
    .join(", ");

export function reportBlocks(report: CapacityReport): Block[] {
  const r = report.result;
  const g = report.generated.machine;
  return [
    ...(report.fixture ? [{ kind: "banner", text: FIXTURE_BANNER } as Block] : []),
    {
      kind: "paragraph",
      text: "The knee of each service in a stress run (the highest rate it served within its SLO), what that means for each stack's replicas, HPA and storage, and what to change. How it is computed, its assumptions and how to act on it: [capacity.md](capacity.md).",
    },
    {
      kind: "list",
      items: [
        `Result: \`${report.source}\` — scenario \`${r.scenario}\`, ${r.startedAt} to ${r.finishedAt}, ${r.stages.length} stages, the load test's verdict: ${r.passed ? "passed" : "failed"}`,
        r.cpuLimitCores === undefined
          ? `Measured on: ${machineLine(r.machine)}; the services ran as processes next to the load generator, unlimited, so their knee is this machine's, per process`
          : `Measured on: ${machineLine(r.machine)}; each service ran as a process held by a CFS quota (as a Kubernetes CPU limit) to ${quotas(r.cpuLimitCores)}, the load generator keeping the rest; each stack scales a knee to its replica's cores (its cpuLimit, at most one core for a Node process)`,
        ...report.services
          .filter((s) => s.source !== report.source)
          .map(
            (s) =>
              `${s.service}'s knee comes from \`${s.source}\`${s.cores === undefined ? "" : ` (${s.service} held to ${s.cores} cores)`}: the run where it is highest per core — in the others a dependency saturated first`,
          ),
        `Access lines written: ${r.accessLogSamplingPercent === undefined ? "not recorded" : `${r.accessLogSamplingPercent} % of successful fast requests`} (log bytes per request depend on it)`,
        `Report generated ${report.generated.at} on: ${machineLine(g)}, ${g.platform}`,
        `Stacks: ${report.environments.map((e) => `\`Pulumi.${e.stack}.yaml\``).join(", ")}; each judged against its own SLO and \`capacity\` block`,
      ],
    },
    { kind: "heading", text: "Verdicts" },
    { kind: "table", table: verdictTable(report) },
    { kind: "heading", text: "Knees" },
    { kind: "table", table: kneeTable(report) },
    plot("capacity-latency.png"),
    plot("capacity-cpu.png"),
    { kind: "heading", text: "Replicas at peak" },
    ...report.environments.map((env): Block => ({ kind: "table", table: replicasTable(env) })),
    plot("capacity-replicas.png"),
    { kind: "heading", text: "Storage" },
    { kind: "table", table: storageTable(report) },
    plot("capacity-storage.png"),
    { kind: "heading", text: "Volumes" },
    { kind: "table", table: volumesTable(report) },
    { kind: "heading", text: "Stages" },
    { kind: "table", table: stagesTable(report) },
    { kind: "table", table: serviceStagesTable(report) },
  ];
}

const TITLE = "Capacity report";

/** Markdown; `imageDir` is where the PNGs are, relative to the document. */
export function reportMarkdown(blocks: readonly Block[], imageDir = "img"): string {
  const out = [
    `# ${TITLE}`,
    "",
    "<!-- Written by `npm run capacity-report` (apps/capacity) from a load-test result; edits are overwritten by the next run. -->",
    "",
  ];
  for (const b of blocks) {
    if (b.kind === "heading") out.push(`## ${b.text}`);
    else if (b.kind === "paragraph") out.push(b.text);
    else if (b.kind === "banner") out.push(`> **${b.text.replace(/\. /, ".** ")}`);
    else if (b.kind === "list") out.push(...b.items.map((i) => `- ${i}`));
    else if (b.kind === "table") out.push(tableMarkdown(b.table));
    else out.push(`![${b.alt}](${imageDir}/${b.file})`);
    out.push("");
  }
  return out.join("\n");
}

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** The little Markdown the report's own text uses: `code`, **bold**, [links](…) (relative ones under `linkBase`). */
function inline(text: string, linkBase = ""): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(
      /\[([^\]]+)\]\(([^)]+)\)/g,
      (_, label: string, href: string) =>
        `<a href="${/^[a-z]+:/.test(href) ? href : `${linkBase}${href}`}">${label}</a>`,
    );
}

function tableHtml(t: Table): string {
  const align = (i: number) => ((t.align?.[i] ?? (i === 0 ? "l" : "r")) === "l" ? "left" : "right");
  const cells = (row: string[], tag: "th" | "td") =>
    `<tr>${row.map((c, i) => `<${tag} style="text-align:${align(i)}">${inline(c)}</${tag}>`).join("")}</tr>`;
  return [
    `<h3>${inline(t.title)}</h3>`,
    "<table>",
    `<thead>${cells(t.headers, "th")}</thead>`,
    `<tbody>${t.rows.map((r) => cells(r, "td")).join("\n")}</tbody>`,
    "</table>",
    ...(t.notes ?? []).map((n) => `<p class="note">${inline(n.replace(/^- /, ""))}</p>`),
  ].join("\n");
}

const STYLE = `body{font-family:"DejaVu Sans",system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:14px}th,td{border:1px solid #ccc;padding:3px 8px;vertical-align:top}
th{background:#f3f3f3}code{background:#f3f3f3;padding:0 3px}.note{font-size:13px;color:#555;margin:.2em 0}
.banner{border:3px solid #b22222;background:#fdecea;padding:1em;font-weight:bold;font-size:18px}img{max-width:100%}`;

/**
 * One HTML page with everything inside: `pngs` maps each plot's file name to its bytes; `linkBase` leads
 * from the page to the docs folder (relative links in the text point there).
 */
export function reportHtml(blocks: readonly Block[], pngs: ReadonlyMap<string, Buffer>, linkBase = ""): string {
  const body = blocks.map((b) => {
    if (b.kind === "heading") return `<h2>${inline(b.text)}</h2>`;
    if (b.kind === "paragraph") return `<p>${inline(b.text, linkBase)}</p>`;
    if (b.kind === "banner") return `<p class="banner">${inline(b.text)}</p>`;
    if (b.kind === "list") return `<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join("")}</ul>`;
    if (b.kind === "table") return tableHtml(b.table);
    const png = pngs.get(b.file);
    return png ? `<p><img alt="${escapeHtml(b.alt)}" src="data:image/png;base64,${png.toString("base64")}"></p>` : "";
  });
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${TITLE}</title><style>${STYLE}</style></head>\n<body>\n<h1>${TITLE}</h1>\n${body.join("\n")}\n</body></html>\n`;
}
