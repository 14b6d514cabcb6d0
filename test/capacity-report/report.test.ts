import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describeMachine } from "../../apps/bench/machine";
import { runCli } from "../../apps/capacity/cli";
import { FIXTURE_BANNER } from "../../apps/capacity/document";
import { CAPACITY_PLOTS } from "../../apps/capacity/plots";
import { buildReport } from "../../apps/capacity/report";
import { kneeTable } from "../../apps/capacity/tables";
import { ENVIRONMENTS } from "../../infra/config/schema";
import { FIXTURE, result, stackConfig, stage } from "./builders";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function run(argv: string[]) {
  const io = { stdout: "", stderr: "" };
  const code = await runCli(argv, { out: (t) => (io.stdout += t), err: (t) => (io.stderr += t) });
  return { code, ...io };
}

describe("npm run capacity-report", () => {
  let dir: string;
  let md: string;
  let html: string;
  let outcome: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "capacity-report-"));
    outcome = await run(["--from", FIXTURE, "--docs", path.join(dir, "docs"), "--out", path.join(dir, "out")]);
    md = readFileSync(path.join(dir, "docs", "capacity-report.md"), "utf8");
    html = readFileSync(path.join(dir, "out", "report.html"), "utf8");
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a fixture result makes a report (exit 0), banner-marked as fixture data in the Markdown, the HTML and the log", () => {
    expect(outcome.code).toBe(0);
    expect(md).toContain(`> **FIXTURE DATA — not a measurement.**`);
    expect(html).toContain('<p class="banner">FIXTURE DATA — not a measurement.');
    expect(outcome.stderr).toContain("FIXTURE DATA — not a measurement");
    expect(FIXTURE_BANNER).toMatch(/^FIXTURE DATA — not a measurement\./);
  });

  test("the knee table: order 200 req/s (p99 misses at ramp-400), product not reached, user 400 (5xx over dev's budget at ramp-800)", () => {
    expect(md).toContain("### Knee per service (the run's SLO, dev: p99 ≤ 0.5 s, 5xx ≤ 1 %)");
    expect(md).toContain(
      "| service | knee (req/s) | stage | processes | per replica (req/s) | CPU ms/request | RSS/process (MiB) | first miss |",
    );
    expect(md).toContain(
      "| order | 200 | ramp-200 | 1 | 200 | 2.000 | 84 | ramp-400 at 400 req/s: p99 0.75 s > 0.5 s |",
    );
    expect(md).toContain(
      "| product | ≥ 1200 (not reached) | ramp-800 | 1 | ≥ 1200 | 0.700 | 80 | none up to the highest tested rate |",
    );
    expect(md).toContain(
      "| user | 400 | ramp-400 | 1 | 400 | 0.700 | 69 | ramp-800 at 600 req/s: 5xx 1.5 % > budget 1 % |",
    );
  });

  test("one replicas table per stack, a row per service with a verdict; storage has every signal of every stack", () => {
    for (const stack of ENVIRONMENTS) {
      const table = md.split(`### ${stack}: replicas at peak`)[1]?.split("\n\n")[1] ?? "";
      const rows = table.split("\n").slice(2);
      expect(rows.map((r) => r.split(" | ")[0])).toEqual(["| order", "| product", "| user"]);
      for (const row of rows) expect(row).toMatch(/ \| (ok|.*(raise|lower|no knee|inconclusive).*) \|$/);
      for (const signal of ["metrics", "logs", "traces"])
        expect(md).toMatch(new RegExp(`\\| ${stack} \\| ${signal} \\| [\\d.]+ \\|`));
    }
  });

  test("the volumes table says which volumes were measured and which came from the stack config", () => {
    expect(md).toContain(
      "| log bytes (three services, every line) | 1,200 | 1,200 (measured) | 1,200 (measured) | 1,200 (measured) |",
    );
    expect(md).toContain("| spans (before sampling) | 7 | 7 (measured) |");
    expect(md).toMatch(/\| platform series \| not in the run \| [\d,]+ \(config\) \|/);
    expect(md).toContain("Measured over ramp-50, ramp-100, ramp-200");
  });

  test("the machines are stated and no absolute path leaks into the Markdown", () => {
    expect(md).toContain(
      "Measured on: 2 cores (FIXTURE (hand-written, not a measurement)), 4 GiB memory, Node v24.0.0",
    );
    expect(md).toMatch(/Report generated \S+ on: \d+ cores \(/);
    expect(md).toContain("Result: `test/capacity-report/fixtures/stress.json`");
    expect(md).not.toMatch(/\/(home|tmp|work|root|Users)\//);
  });

  test("four plots, each a PNG of real size, linked from the Markdown and inlined in the HTML", () => {
    for (const plot of CAPACITY_PLOTS) {
      const png = readFileSync(path.join(dir, "docs", "img", plot.file));
      expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
      expect(png.length).toBeGreaterThan(8_000);
      expect(png.readUInt32BE(16)).toBeGreaterThan(400); // IHDR width, rendered at twice the chart's size
      expect(md).toContain(`](img/${plot.file})`);
    }
    expect(html.match(/src="data:image\/png;base64,[A-Za-z0-9+/=]{1000,}"/g)).toHaveLength(CAPACITY_PLOTS.length);
    expect(html).not.toMatch(/<(link|script)|src="(?!data:)/);
  });

  test("the HTML has the same tables as the Markdown", () => {
    const mdTitles = [...md.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    expect(mdTitles.length).toBeGreaterThanOrEqual(8);
    for (const title of mdTitles) {
      expect(html).toContain(
        `<h3>${(title as string).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")}</h3>`,
      );
    }
  });
});

describe("the knee table's notes", () => {
  const generated = { at: "2025-06-01T10:02:00Z", machine: describeMachine() };
  const services = { order: { rps: 100 }, product: { rps: 200 }, user: { rps: 100 } };

  test("a stage that failed on the client while every service stayed within its SLO is pointed out", () => {
    const run = result([
      stage("s1", services),
      stage("s2", services, { passed: false, failures: ["p99 0.6 s > 0.5 s"] }),
    ]);
    const report = buildReport(run, "r.json", [{ stack: "prod", config: stackConfig() }], generated);
    expect(kneeTable(report).notes).toEqual([
      expect.stringMatching(
        /^Stage s2 failed the run's client-side thresholds \(p99 0\.6 s > 0\.5 s\) while every service's own p99/,
      ),
    ]);
  });

  test("a stage that failed because a service missed its SLO gets no such note", () => {
    const run = result([
      stage("s1", services),
      stage("s2", { ...services, order: { rps: 100, p99Seconds: 1 } }, { passed: false, failures: ["p99"] }),
    ]);
    const report = buildReport(run, "r.json", [{ stack: "prod", config: stackConfig() }], generated);
    expect(kneeTable(report).notes).toEqual([]);
  });
});

describe("bad input to the CLI", () => {
  test("an unknown flag: exit 2, the flag named, the usage, no stack trace", async () => {
    const { code, stderr } = await run(["--nope"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^capacity-report: Unknown option '--nope'/);
    expect(stderr).toContain("usage: npm run capacity-report");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  test("a missing result file: exit 2, the file named, nothing written", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "capacity-missing-"));
    try {
      const missing = path.join(dir, "latest-stress.json");
      const { code, stderr } = await run(["--from", missing, "--docs", dir, "--out", dir]);
      expect(code).toBe(2);
      expect(stderr).toContain(`cannot read the load-test result ${missing}: ENOENT`);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(dir, "capacity-report.md"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
