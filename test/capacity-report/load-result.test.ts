import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CapacityInputError, parseLoadTestResult, readLoadTestResult } from "../../apps/capacity/load-result";
import { FIXTURE, result, stage } from "./builders";

const fixture = () => JSON.parse(readFileSync(FIXTURE, "utf8"));
const errorOf = (fn: () => unknown): CapacityInputError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CapacityInputError) return err;
    throw err;
  }
  throw new Error("expected a CapacityInputError");
};

describe("the load-test result contract", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "capacity-result-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("the fixture is a valid result: every field of apps/loadtest/result.ts is there with its type", () => {
    const parsed = readLoadTestResult(FIXTURE);
    expect(parsed.stages.map((s) => s.name)).toEqual(["ramp-50", "ramp-100", "ramp-200", "ramp-400", "ramp-800"]);
    expect(parsed.stages[0]?.services.order?.requests).toBe(500);
  });

  test("a result built from the TypeScript types round-trips through JSON and validates", () => {
    const built = result([stage("s1", { order: { rps: 10 } })]);
    expect(parseLoadTestResult(JSON.parse(JSON.stringify(built)), "built")).toEqual(built);
  });

  test("a missing file names the file and how to make one", () => {
    const err = errorOf(() => readLoadTestResult(path.join(dir, "nope.json")));
    expect(err.message).toMatch(
      /cannot read the load-test result .*nope\.json: ENOENT \(run `npm run loadtest -- stress` first/,
    );
  });

  test("a file that is not JSON says so", () => {
    const file = path.join(dir, "bad.json");
    writeFileSync(file, "{ not json");
    expect(errorOf(() => readLoadTestResult(file)).message).toMatch(/bad\.json is not JSON: /);
  });

  test("a field of the wrong type is named by its path", () => {
    const raw = fixture();
    raw.stages[2].services.user.p99Seconds = "0.5";
    raw.stages[0].targetRps = -1;
    const message = errorOf(() => parseLoadTestResult(raw, "x.json")).message;
    expect(message).toMatch(/^x\.json is not a load-test result:/);
    expect(message).toMatch(/ {2}- stages\.2\.services\.user\.p99Seconds: /);
    expect(message).toMatch(/ {2}- stages\.0\.targetRps: /);
  });

  test("a missing field, an unknown service and another schema version are each named", () => {
    const raw = fixture();
    delete raw.stages[1].services.order.cpuSeconds;
    raw.stages[1].services.inventory = raw.stages[1].services.user;
    raw.schema = 2;
    const message = errorOf(() => parseLoadTestResult(raw, "x.json")).message;
    expect(message).toMatch(/- stages\.1\.services\.order\.cpuSeconds: /);
    expect(message).toMatch(/- stages\.1\.services: Unrecognized key: "inventory"/);
    expect(message).toMatch(/- schema: must be 1 \(this report's format\)/);
  });

  test("no stages, or no stage where order served requests, is rejected: there is nothing to size", () => {
    expect(errorOf(() => parseLoadTestResult({ ...fixture(), stages: [] }, "x.json")).message).toMatch(
      /- stages: must hold at least one stage/,
    );
    const productOnly = result([stage("s1", { product: { rps: 10 } })]);
    expect(errorOf(() => parseLoadTestResult(productOnly, "x.json")).message).toBe(
      "x.json: no stage has requests served by order (stages.*.services.order)",
    );
  });

  test("percentiles of an empty stage (NaN, written as null by JSON) are accepted as NaN", () => {
    const raw = fixture();
    raw.stages[0].latencyUs = { count: 0, p50: null, p90: null, p99: null, max: null };
    expect(parseLoadTestResult(raw, "x.json").stages[0]?.latencyUs.p99).toBeNaN();
  });
});
