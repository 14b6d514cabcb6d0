import { parseDuration, parseOptions, UsageError } from "../../apps/loadtest/options";
import { planStages } from "../../apps/loadtest/scenarios";

describe("load-test flags", () => {
  test("defaults: loopback (no target), the dev stack's thresholds, seed 1, the scenario's own stages", () => {
    expect(parseOptions(["average"])).toEqual({
      scenario: "average",
      plan: planStages("average"),
      target: undefined,
      stack: "dev",
      seed: 1,
      outDir: undefined,
    });
  });

  test("every flag", () => {
    const o = parseOptions([
      "stress",
      "--target",
      "http://127.0.0.1:8080",
      "--product=https://product.example:8443/",
      "--user",
      "http://localhost:8082",
      "--duration",
      "2s",
      "--rate",
      "20",
      "--step",
      "20",
      "--max-rate",
      "60",
      "--stack",
      "prod",
      "--seed",
      "42",
      "--out",
      "somewhere",
    ]);
    expect(o).toEqual({
      scenario: "stress",
      plan: planStages("stress", { rate: 20, step: 20, maxRate: 60, durationS: 2 }),
      target: {
        order: "http://127.0.0.1:8080",
        product: "https://product.example:8443",
        user: "http://localhost:8082",
      },
      stack: "prod",
      seed: 42,
      outDir: "somewhere",
    });
  });

  test.each([
    ["90", 90],
    ["90s", 90],
    ["1.5m", 90],
    ["2h", 7_200],
    ["500ms", 0.5],
    [" 3 ", 3],
    ["soon", undefined],
    ["5 m", undefined],
    ["-5", undefined],
    ["1d", undefined],
  ])("duration %j is %p seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  test.each([
    [[], /name a scenario: smoke, average, stress, spike, soak/],
    [["load"], /unknown scenario "load"; the scenarios are: smoke, average, stress, spike, soak/],
    [["smoke", "soak"], /one scenario at a time; unexpected "soak"/],
    [
      ["smoke", "--target", "ftp://127.0.0.1:21"],
      /--target must be an http:\/\/ or https:\/\/ URL, got the scheme "ftp:"/,
    ],
    [["smoke", "--target", "file:///etc/passwd"], /--target must be an http:\/\/ or https:\/\/ URL/],
    [["smoke", "--target", "127.0.0.1:8080"], /--target must be an http:\/\/ or https:\/\/ URL/],
    [["smoke", "--target", "not a url"], /--target must be an http:\/\/ or https:\/\/ URL such as/],
    [["smoke", "--target", "http://127.0.0.1:8080/orders"], /--target must be a bare origin/],
    [["smoke", "--target", "http://user:pw@127.0.0.1:8080"], /--target must be a bare origin/],
    [["smoke", "--target", "http://127.0.0.1", "--product", "ws://x"], /--product must be an http/],
    [["smoke", "--product", "http://127.0.0.1:3001"], /--product and --user go with --target/],
    [["smoke", "--duration", "soon"], /--duration must be a duration such as 90, 90s, 5m or 1h, got "soon"/],
    [["smoke", "--duration", "0"], /--duration must be a duration/],
    [["smoke", "--duration", "0.2"], /stages need at least 0.5 s/],
    [["smoke", "--rate", "0"], /--rate must be a number of requests per second from 0.1 to 5000, got "0"/],
    [["smoke", "--rate", "fast"], /--rate must be a number/],
    [["smoke", "--rate", "6000"], /--rate must be a number .* to 5000/],
    [["smoke", "--step", "5"], /--step and --max-rate apply to stress only, not to smoke/],
    [["stress", "--max-rate=-1"], /--max-rate must be a number/],
    [["smoke", "--stack", "qa"], /--stack must be one of: dev, staging, prod, got "qa"/],
    [["smoke", "--seed", "1.5"], /--seed must be an integer from 0/],
    [["smoke", "--out", ""], /--out needs a directory/],
    [["smoke", "--verbose"], /Unknown option '--verbose'/],
    [["smoke", "--rate"], /--rate/],
  ])("refuses %j, naming the flag and what it accepts", (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });

  test("--help is a usage error without a message (the CLI prints the usage and exits 0)", () => {
    expect(() => parseOptions(["--help"])).toThrow(new UsageError(""));
  });
});
