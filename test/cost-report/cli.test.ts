import http from "node:http";
import type { AddressInfo } from "node:net";
import { parseOptions, reportFileName, runCli } from "../../apps/cost/cli";
import { baseUrlOf, PrometheusUnreachable, samplesOf } from "../../apps/cost/prometheus";

const ROOT = "/repo";
const run = async (argv: string[]) => {
  const io = { stdout: "", stderr: "" };
  const code = await runCli(argv, { io: { out: (t) => (io.stdout += t), err: (t) => (io.stderr += t) } });
  return { code, ...io };
};

describe("flags", () => {
  test("defaults: the demo's Prometheus, dev, out/cost, no trace budget, top 10", () => {
    expect(parseOptions([], ROOT)).toEqual({
      prometheus: "http://127.0.0.1:9090",
      stack: "dev",
      outDir: "/repo/out/cost",
      traceBudget: undefined,
      top: 10,
    });
    expect(
      parseOptions(["--stack", "prod", "--trace-budget", "250.5", "--top", "3", "--out", "/tmp/x"], ROOT),
    ).toMatchObject({
      stack: "prod",
      traceBudget: 250.5,
      top: 3,
      outDir: "/tmp/x",
    });
  });

  test.each([
    [["--stack", "qa"], '--stack must be one of dev, staging, prod, got "qa"'],
    [["--trace-budget", "0"], '--trace-budget must be a positive number, got "0"'],
    [["--trace-budget", "many"], '--trace-budget must be a positive number, got "many"'],
    [["--top", "2.5"], '--top must be a positive whole number, got "2.5"'],
    [["--prometheus", "localhost:9090"], '--prometheus must be an http:// or https:// URL, got "localhost:9090"'],
    [["--out", " "], "--out needs a directory"],
  ])("%j is refused: %s", (argv, message) => {
    expect(() => parseOptions(argv, ROOT)).toThrow(message);
  });

  test("an unknown flag exits 2 naming it, with the usage; --help prints the usage and exits 0", async () => {
    const bad = await run(["--prometheus-url", "http://x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--prometheus-url");
    expect(bad.stderr).toContain("usage: npm run cost-report");
    const help = await run(["--help"]);
    expect([help.code, help.stdout.startsWith("usage: npm run cost-report")]).toEqual([0, true]);
  });
});

test("a Prometheus that refuses connections: exit 2 and one line naming it and the reason, no stack trace", async () => {
  // a port that was free a moment ago: nothing listens there now
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const outcome = await run(["--prometheus", `http://127.0.0.1:${port}`]);
  expect(outcome.code).toBe(2);
  expect(outcome.stderr).toContain(`Prometheus at http://127.0.0.1:${port}/ did not answer`);
  expect(outcome.stderr).toContain("ECONNREFUSED");
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  expect(outcome.stdout).toBe("");
});

test("a URL that answers something other than Prometheus' JSON (an HTML page) is unreachable too: exit 2", async () => {
  const server = http.createServer((_req, res) =>
    res.writeHead(404, { "content-type": "text/html" }).end("<html>no</html>"),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const outcome = await run(["--prometheus", `http://127.0.0.1:${port}/prometheus`]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(`http://127.0.0.1:${port}/prometheus/api/v1/query answered 404`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("the file name carries the generation time without colons", () => {
  expect(reportFileName("2025-06-01T12:30:00Z")).toBe("cost-report-2025-06-01T12-30-00Z.md");
});

describe("the Prometheus answer", () => {
  test("a vector becomes labelled samples, a scalar one unlabelled sample, NaN stays NaN for the sections to skip", () => {
    const vector = {
      status: "success",
      data: {
        resultType: "vector",
        result: [
          { metric: { job: "a" }, value: [1, "2.5"] },
          { metric: {}, value: [1, "NaN"] },
        ],
      },
    };
    expect(samplesOf(vector, "q")).toEqual([
      { labels: { job: "a" }, value: 2.5 },
      { labels: {}, value: Number.NaN },
    ]);
    expect(samplesOf({ status: "success", data: { resultType: "scalar", result: [1, "4"] } }, "q")).toEqual([
      { labels: {}, value: 4 },
    ]);
  });

  test("a refused query throws with Prometheus' error (a bug of the report, not bad input)", () => {
    expect(() => samplesOf({ status: "error", error: "parse error" }, "sum(")).toThrow(
      "Prometheus refused sum(: parse error",
    );
  });

  test("only http(s) URLs; a path prefix is kept", () => {
    expect(baseUrlOf("http://h:9090/prometheus").href).toBe("http://h:9090/prometheus/");
    expect(() => baseUrlOf("ftp://h")).toThrow(PrometheusUnreachable);
  });
});
