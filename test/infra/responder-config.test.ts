import { parseStackConfig, RESPONDER_DEFAULTS } from "../../infra/config/schema";
import { devConfig, problemsOf } from "./config-problems";

const withEnvironment = (environment: string, responder?: object) => {
  const raw = devConfig();
  raw.environment = environment;
  raw.storage.persistent = true;
  if (responder) raw.responder = responder;
  else delete raw.responder;
  return parseStackConfig(raw);
};

describe("stack config: the responder block", () => {
  test("without a responder block prod decides in dry-run and dev and staging act, with the safe defaults", () => {
    expect(withEnvironment("prod").responder).toEqual({ ...RESPONDER_DEFAULTS, mode: "dry-run" });
    expect(withEnvironment("staging").responder.mode).toBe("act");
    expect(withEnvironment("dev").responder.mode).toBe("act");
  });

  test("a mode set in the stack wins over the environment's default (prod switched to act, dev to off)", () => {
    expect(withEnvironment("prod", { mode: "act" }).responder.mode).toBe("act");
    expect(withEnvironment("dev", { mode: "off" }).responder.mode).toBe("off");
  });

  test.each([
    ["an unknown mode", { mode: "auto" }, "responder.mode: must be one of: off, dry-run, act"],
    ["a zero cooldown", { cooldownMinutes: 0 }, "responder.cooldownMinutes: must be an integer from 1 to 1440"],
    [
      "an hourly cap over 60",
      { maxActionsPerHour: 61 },
      "responder.maxActionsPerHour: must be an integer from 1 to 60",
    ],
    ["a verify window of 30s", { verifyWindow: "30s" }, "responder.verifyWindow:"],
    ["one burning service as a hold", { holdWhenServicesBurning: 1 }, "responder.holdWhenServicesBurning:"],
    ["a raise lasting 1m", { raise: { duration: "1m" } }, "responder.raise.duration:"],
    ["an unknown key", { restartEverything: true }, 'responder: Unrecognized key: "restartEverything"'],
  ])("%s is refused, naming the field", (_name, responder, message) => {
    const problems = problemsOf((c) => (c.responder = responder));
    expect(problems.some((p) => p.startsWith(message))).toBe(true);
  });

  test("a raise cap not above every service's maxReplicas is refused: no raise could ever happen", () => {
    const problems = problemsOf((c) => {
      c.services.order.maxReplicas = 8;
      c.responder = { raise: { maxReplicasCap: 8 } };
    });
    expect(problems).toEqual([
      "responder.raise.maxReplicasCap: must be above the largest services.*.maxReplicas (8), or no raise is ever possible",
    ]);
  });
});
