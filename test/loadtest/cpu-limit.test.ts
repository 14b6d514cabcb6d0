import { spawn } from "node:child_process";
import fs, { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CFS_PERIOD_US,
  CpuLimitError,
  cgroupLayout,
  cpuLimiter,
  quotaMicros,
  servicesCoreBudget,
} from "../../apps/loadtest/cpu-limit";
import { cpuFlag, UsageError } from "../../apps/loadtest/options";

/** A directory shaped like a cgroup root (files only: this proves the protocol, not the kernel). */
function fakeRoot(version: 1 | 2): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "cgroup-"));
  if (version === 1) {
    mkdirSync(path.join(root, "cpu"));
    writeFileSync(path.join(root, "cpu", "cpu.cfs_quota_us"), "-1");
  } else {
    writeFileSync(path.join(root, "cgroup.controllers"), "cpuset cpu io memory pids");
    writeFileSync(path.join(root, "cgroup.subtree_control"), "");
  }
  return root;
}

describe("CPU limits of the loopback services (the files a CFS quota is set through)", () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  const root = (version: 1 | 2) => {
    const r = fakeRoot(version);
    roots.push(r);
    return r;
  };

  test("a quota is cores × the 100 ms CFS period, as the kubelet sets limits.cpu", () => {
    expect(CFS_PERIOD_US).toBe(100_000);
    expect([quotaMicros(0.25), quotaMicros(1), quotaMicros(0.333)]).toEqual([25_000, 100_000, 33_300]);
  });

  test("cgroup v1: a group per service under cpu/ with period, quota and the pid; release removes it", () => {
    const r = root(1);
    const limiter = cpuLimiter(r);
    limiter.limit(4242, "order", 0.3);
    const group = path.join(r, "cpu", `loadtest-${process.pid}-order`);
    expect(readFileSync(path.join(group, "cpu.cfs_period_us"), "utf8")).toBe("100000");
    expect(readFileSync(path.join(group, "cpu.cfs_quota_us"), "utf8")).toBe("30000");
    expect(readFileSync(path.join(group, "cgroup.procs"), "utf8")).toBe("4242");
    // a real group has no files of its own to delete; the fake's make rmdir fail, which release tolerates
    for (const f of ["cpu.cfs_period_us", "cpu.cfs_quota_us", "cgroup.procs"]) rmSync(path.join(group, f));
    limiter.release();
    expect(existsSync(group)).toBe(false);
  });

  test("cgroup v2: the cpu controller enabled for children, cpu.max holds quota and period", () => {
    const r = root(2);
    const limiter = cpuLimiter(r);
    expect(readFileSync(path.join(r, "cgroup.subtree_control"), "utf8")).toBe("+cpu");
    limiter.limit(7, "user", 0.25);
    const group = path.join(r, `loadtest-${process.pid}-user`);
    expect(readFileSync(path.join(group, "cpu.max"), "utf8")).toBe("25000 100000");
    expect(readFileSync(path.join(group, "cgroup.procs"), "utf8")).toBe("7");
  });

  test("another run's group still holding a process is left alone when a new run starts", () => {
    const r = root(1);
    const busy = path.join(r, "cpu", "loadtest-2-order");
    mkdirSync(busy);
    writeFileSync(path.join(busy, "cgroup.procs"), "99\n");
    cpuLimiter(r);
    expect(readFileSync(path.join(busy, "cgroup.procs"), "utf8")).toBe("99\n");
  });

  test("no cpu controller: an error naming --cpu and what is missing, not a crash", () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "cgroup-none-"));
    roots.push(empty);
    expect(cgroupLayout(empty)).toBeUndefined();
    expect(() => cpuLimiter(empty)).toThrow(CpuLimitError);
    expect(() => cpuLimiter(empty)).toThrow(/--cpu needs the cgroup cpu controller/);
  });

  test("--cpu leaves the load generator a core: the services' cores add up to at most CPUs − 1, loopback only", () => {
    expect([servicesCoreBudget(2), servicesCoreBudget(8), servicesCoreBudget(1)]).toEqual([1, 7, 0]);
    expect(cpuFlag(undefined, false, 2)).toBeUndefined();
    expect(cpuFlag("0.33", false, 2)).toEqual({ order: 0.33, product: 0.33, user: 0.33 });
    expect(cpuFlag("order=0.5, product=0.25,user=0.25", false, 2)).toEqual({ order: 0.5, product: 0.25, user: 0.25 });
    expect(cpuFlag("2", false, 8)).toEqual({ order: 2, product: 2, user: 2 });
    expect(() => cpuFlag("0.34", false, 2)).toThrow(/add up to 1.02, more than the 1 this machine leaves them/);
    expect(() => cpuFlag("order=0.5,product=0.3,user=0.3", false, 2)).toThrow(/add up to 1.1/);
    expect(() => cpuFlag("lots", false, 2)).toThrow(UsageError);
    expect(() => cpuFlag("0.01", false, 2)).toThrow(/at least 0.05 cores, got "0.01"/);
    expect(() => cpuFlag("order=0.3,product=0.3", false, 2)).toThrow(/name every service; missing user/);
    expect(() => cpuFlag("order=0.3,order=0.3,user=0.1", false, 2)).toThrow(/"order=0.3" must name one of/);
    expect(() => cpuFlag("billing=0.3", false, 2)).toThrow(/must name one of order, product, user once/);
    expect(() => cpuFlag("0.3", false, 1)).toThrow(/needs at least 2 CPUs/);
    expect(() => cpuFlag("0.3", true, 2)).toThrow(/--cpu limits the loopback services/);
  });
});

/**
 * The kernel enforces it: a busy loop held to 0.2 cores gets no more than 0.2 CPU-seconds per second. Needs
 * the cgroup cpu controller writable (root); `.ci/run` requires it (REQUIRE_CPU_QUOTA=1), elsewhere it skips.
 */
const SYSTEM_CGROUPS = "/sys/fs/cgroup";
const quotaAvailable = (() => {
  try {
    const layout = cgroupLayout(SYSTEM_CGROUPS);
    if (layout === undefined) return false;
    fs.accessSync(layout.dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();
const required = process.env.REQUIRE_CPU_QUOTA === "1";
const realQuota = quotaAvailable || required ? test : test.skip;

describe("a CFS quota on a real process", () => {
  realQuota(
    "a busy loop limited to 0.2 cores uses at most 0.2 CPU-seconds per wall second",
    async () => {
      expect({ cgroupCpuControllerWritable: quotaAvailable }).toEqual({ cgroupCpuControllerWritable: true });
      const limiter = cpuLimiter(SYSTEM_CGROUPS);
      // the child reports its own CPU time and wall time after 1.5 s of spinning
      const child = spawn(
        process.execPath,
        [
          "-e",
          "const t=Date.now(),c=process.cpuUsage();while(Date.now()-t<1500){}const u=process.cpuUsage(c);" +
            "console.log(JSON.stringify({cpuS:(u.user+u.system)/1e6,wallS:(Date.now()-t)/1e3}))",
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      try {
        limiter.limit(child.pid as number, "quota-test", 0.2);
        let out = "";
        child.stdout.on("data", (chunk) => {
          out += chunk;
        });
        await new Promise((resolve) => child.once("exit", resolve));
        const { cpuS, wallS } = JSON.parse(out) as { cpuS: number; wallS: number };
        // unlimited, the loop would take close to a whole core; one period's quota (20 ms) of slack
        expect(cpuS).toBeLessThanOrEqual(0.2 * wallS + 0.02);
        expect(cpuS).toBeGreaterThan(0);
      } finally {
        child.kill();
        limiter.release();
      }
    },
    15_000,
  );
});
