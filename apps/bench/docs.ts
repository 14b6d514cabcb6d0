import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Report } from "./analyze";
import { PLOTS, renderPng } from "./plots";
import { SCENARIOS } from "./schedule";
import { renderMarkdown, type Table } from "./table";
import { reportTables } from "./tables";
import { VARIANTS } from "./variants";

const envList = (env: Record<string, string>) =>
  Object.entries(env)
    .map(([k, v]) => `\`${k}=${v}\``)
    .join(", ");

function method(report: Report): string[] {
  const s = report.settings;
  const sat = s.saturation;
  const weights = (name: keyof typeof SCENARIOS) =>
    Object.entries(SCENARIOS[name].weights)
      .map(([endpoint, w]) => `${endpoint} ${w}`)
      .join(", ");
  return [
    "## Method",
    "",
    "- **Workload.** The three services run as separate processes from the compiled code (`dist/apps/<service>/main.js`), as in the containers: order calls user (`GET /users/:id`) and product (`POST /products/:id/reservations`, one per item) for every `POST /orders`. Orders name a known user and one to three products with plenty of stock, so every order is placed (201).",
    `- **Variants, all up at once.** Each variant is its own set of three processes, configured only through the environment:`,
    ...VARIANTS.map((v) => `  - \`${v.name}\` — ${v.description}: ${envList(v.env)}`),
    "- **Sinks.** Every variant exports to its own local OTLP/HTTP sink inside the benchmark, which reads each export and discards it (the export cost is real, nothing is stored); the services' stdout (JSON logs) is piped to the benchmark and drained as it comes. Keep-alive connections throughout.",
    `- **Time slices.** The load visits the variants in turn, ${s.sliceS} s each, for ${s.cycles} cycles per scenario after ${s.warmupCycles} unmeasured warm-up cycle(s) (plus a short closed-loop burst per variant first, to warm the JIT). The visiting order shifts by one every cycle, so no variant always follows the same one; background noise on the machine falls on every variant alike.`,
    `- **Fixed rate, open model.** ${s.rate} requests/s, sent at fixed intervals whether or not earlier ones have been answered (undici, keep-alive pool). Latency runs from each request's *scheduled* send time to the end of its response (µs), so a stall counts against every request queued behind it (coordinated omission corrected). Scenarios: \`orders\` — ${weights("orders")}; \`mix\` — ${weights("mix")} (weights; interleaved evenly, the same requests for every variant in a cycle). \`GET /orders/:id\` reads orders the same variant placed earlier.`,
    `- **CPU per request.** utime + stime of the variant's three processes from \`/proc/<pid>/stat\`, read for every variant at every slice boundary. A turn is charged its own slice plus the ${report.settings.deferS} s after it (work its requests left behind, such as the batched span export, which runs up to 5 s later), less the variant's idle rate over those ${report.settings.deferS} s; the idle rate is pooled over the phase's intervals where the variant had nothing to do (cycles' gaps and a ${report.settings.coolDownS} s pause after each phase). That is the cost as if the load were continuous, not inflated by the time a variant waits for its next turn. Divided by the requests answered in the turn. \`idle ms/s\` is that background on its own (timers, the runtime metrics' event-loop monitor). The 10 ms clock tick is small against a turn's CPU and averages out over cycles.`,
    `- **Metrics scraping.** Variants with metrics are scraped (\`GET /metrics\` on all three) once per ${s.scrapeIntervalS} s of their own load, like a Prometheus scrape interval, inside their CPU window.`,
    `- **Saturation.** Closed loop with autocannon: ${sat.connections} connections sending \`POST /orders\` back to back, ${sat.cycles} cycles of ${sat.sliceS} s per variant, time-sliced the same way; throughput is successful requests per second. The load generator shares the machine with the services, so this is the throughput of the whole box.`,
    "- **Overhead.** Each variant is compared with `none` within the same cycle; the tables give the median of those per-cycle changes and their range [min..max]. Latency percentiles are nearest-rank over all cycles together. `tracing alone` compares `all-100` with `metrics+logs`.",
    "- **Goals** are reported, not asserted: all-100 vs none ≤ 10 % CPU per request, ≤ 5 % p50, ≤ 25 % throughput lost at saturation; tracing alone ≤ 5 % CPU per request.",
    "- **Steps.** Each step compares two variants that differ by one thing (per cycle, like the baseline): `trace-context` has the SDK on with nothing sampled, so it separates the cost of trace ids, the active context and propagation from the cost of recording and exporting spans.",
    ...(report.profile
      ? [
          `- **CPU profile.** After the measured phases, \`metrics+logs\`, \`trace-context\` and \`all-100\` are started again with the order service under \`node --cpu-prof\` (${report.profile.intervalUs} µs interval) and driven one after another with POST /orders at ${report.profile.rate} req/s for ${report.profile.secondsPerVariant} s each; each profile is read over its load plus the ${report.settings.deferS} s after it. Self time is grouped by the package or part of the runtime the running function belongs to and divided by the requests. The profiler samples wall time, so a thread waiting for a CPU inside a system call (\`writev\`) is charged there: on a busy machine the native and Node.js rows are inflated, the JavaScript rows much less. The .cpuprofile files (for Chrome DevTools or speedscope) stay in \`out/bench/profiles/\`.`,
        ]
      : []),
    ...(report.spanCost
      ? [
          "- **The SDK alone.** A separate process starts and ends SERVER and CLIENT spans shaped like the services' (attributes, a traceparent extracted, a context injected) with no HTTP around them, once with no span processor (recorded and dropped) and once with the services' batch processor and OTLP/protobuf exporter sending to a local sink; CPU from `process.cpuUsage`, queued batches flushed inside the measurement.",
        ]
      : []),
  ];
}

function machine(report: Report): string[] {
  const m = report.machine;
  return [
    "## Machine",
    "",
    `- ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, ${m.platform}, kernel ${m.kernel}`,
    `- Node ${m.node}`,
    `- load average (1, 5, 15 min): ${m.loadAverageStart.join(", ")} at the start, ${(m.loadAverageEnd ?? []).join(", ")} at the end (the benchmark's own load included)`,
    `- run: ${report.startedAt} to ${report.finishedAt} (${Math.round(report.durationS)} s), ${report.totals.requests.toLocaleString("en-US")} requests, ${report.totals.errors} errors`,
  ];
}

/** The goals table first: the verdict, then the numbers behind it. */
function goalsFirst(tables: Table[]): Table[] {
  const goals = tables.filter((t) => t.title.startsWith("Goals"));
  return [...goals, ...tables.filter((t) => !goals.includes(t))];
}

/** docs/performance.md for a report; `imageDir` is relative to the document. */
export function performanceMarkdown(report: Report, imageDir = "img"): string {
  return [
    "# Performance: what the telemetry costs",
    "",
    "<!-- Written by `npm run bench:telemetry` (apps/bench); edits are overwritten by the next run. -->",
    "",
    "The order flow (order → user, product) with no telemetry, metrics, metrics and logs, trace context only, everything with 100 % trace sampling (with and without access-log sampling) and with 10 % head sampling, measured side by side on one machine; then CPU profiles of the order service. Raw numbers: `out/bench/latest.json` after a run. What the numbers mean, where the tracing cost goes and what the roadmap's 1 % would need: [telemetry-cost.md](telemetry-cost.md).",
    "",
    "## Results",
    "",
    ...goalsFirst(reportTables(report)).flatMap((t) => [renderMarkdown(t), ""]),
    ...PLOTS.flatMap((p) => [`![${p.alt}](${imageDir}/${p.file})`, ""]),
    ...method(report),
    "",
    ...machine(report),
    "",
    "## Running it",
    "",
    "```bash",
    "npm run bench:telemetry                      # the full run (about 11 minutes), updates this page",
    "npm run bench:telemetry -- --rate 200 --cycles 6 --no-docs",
    "npm run bench:telemetry -- --smoke           # a few seconds per phase: JSON only",
    "```",
    "Flags: `--rate <req/s>`, `--slice <s>`, `--cycles <n>`, `--scenarios orders,mix`, `--connections <n>`, `--sat-slice <s>`, `--sat-cycles <n>` (0 skips saturation), `--scrape <s>` (0: never), `--profile <s>` (0 skips the profiles), `--smoke`, `--no-docs`, `--out <dir>`. The JSON goes to `out/bench/telemetry-<timestamp>.json` and `out/bench/latest.json`.",
    "",
  ].join("\n");
}

/** Writes docs/performance.md and its plots under docs/img/. */
export async function writeDocs(report: Report, docsDir: string): Promise<string[]> {
  const imgDir = path.join(docsDir, "img");
  mkdirSync(imgDir, { recursive: true });
  const written: string[] = [];
  for (const plot of PLOTS) {
    const file = path.join(imgDir, plot.file);
    writeFileSync(file, await renderPng(plot.spec(report)));
    written.push(file);
  }
  const doc = path.join(docsDir, "performance.md");
  writeFileSync(doc, performanceMarkdown(report));
  written.push(doc);
  return written;
}
