import { CAPACITY_DEFAULTS, parseStackConfig } from "../../infra/config/schema";
import { stackConfigFile } from "../../infra/preflight/collect";
import { devConfig, problemsOf } from "./config-problems";

describe("capacity config", () => {
  test("every stack file sets its own peak: dev small, prod large", () => {
    const peak = (stack: string) =>
      parseStackConfig(JSON.parse(stackConfigFile(stack)["observability-platform:platform"] as string)).capacity
        .peakRps;
    expect(peak("dev")).toBeLessThan(peak("staging"));
    expect(peak("staging")).toBeLessThan(peak("prod"));
  });

  test("a stack without a capacity block gets the documented defaults", () => {
    const config = devConfig();
    delete config.capacity;
    expect(parseStackConfig(config).capacity).toEqual(CAPACITY_DEFAULTS);
  });

  test.each([
    [
      "a zero peak",
      (c: any) => (c.capacity.peakRps = 0),
      "capacity.peakRps: must be a number above 0 and at most 1000000",
    ],
    [
      "a negative headroom",
      (c: any) => (c.capacity.headroomPercent = -5),
      "capacity.headroomPercent: must be a number from 0 to 400",
    ],
    [
      "an average above the peak",
      (c: any) => (c.capacity.averageToPeakRatio = 1.5),
      "capacity.averageToPeakRatio: must be a number above 0 and at most 1",
    ],
    [
      "a text capacity",
      (c: any) => (c.capacity.services.order.capacityPerReplicaRps = "fast"),
      "capacity.services.order.capacityPerReplicaRps: must be a number above 0 and at most 1000000",
    ],
    [
      "a service not in the contract",
      (c: any) => (c.capacity.services.billing = { capacityPerReplicaRps: 1 }),
      'capacity.services: Unrecognized key: "billing"',
    ],
    ["fractional series", (c: any) => (c.capacity.activeSeriesPerReplica = 2.5), "capacity.activeSeriesPerReplica:"],
    ["an unknown capacity key", (c: any) => (c.capacity.peakRPS = 5), 'capacity: Unrecognized key: "peakRPS"'],
  ])("%s is rejected naming the key and the allowed values", (_name, edit, expected) => {
    expect(problemsOf(edit)).toEqual([expect.stringContaining(expected)]);
  });
});
