import { cpuMicros, parseProcStat, readProcStat, sampleProcesses } from "../../apps/bench/proc";

// A real line's shape (proc(5)): pid (comm) state ppid ... utime(14) stime(15) ... rss(24) ...
const line = (comm: string, utime: number, stime: number, rss: number) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 1234 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 987654 1234567890 ${rss} 18446744073709551615 1 1 0 0 0 0 0 16781312 134234626 0 0 0 17 1 0 0 0 0 0\n`;

describe("/proc/<pid>/stat", () => {
  test("utime, stime and rss are fields 14, 15 and 24", () => {
    expect(parseProcStat(line("node", 250, 40, 12_000))).toEqual({ utimeTicks: 250, stimeTicks: 40, rssPages: 12_000 });
  });

  test("a command name with spaces and parentheses does not shift the fields", () => {
    expect(parseProcStat(line("MainThread) (x y", 7, 3, 99))).toEqual({ utimeTicks: 7, stimeTicks: 3, rssPages: 99 });
  });

  test("a truncated or foreign line is refused", () => {
    expect(() => parseProcStat("4242 (node) S 1 2 3")).toThrow(/field 14/);
    expect(() => parseProcStat("no parentheses here")).toThrow(/command name/);
  });

  test("CPU time is (utime + stime) clock ticks in microseconds", () => {
    expect(cpuMicros({ utimeTicks: 250, stimeTicks: 40, rssPages: 0 }, 100)).toBe(2_900_000);
    expect(cpuMicros({ utimeTicks: 1, stimeTicks: 0, rssPages: 0 }, 1_000)).toBe(1_000);
  });

  test("this process can be read, and its CPU time only grows", () => {
    const before = sampleProcesses([process.pid]);
    let x = 0;
    const until = Date.now() + 60;
    while (Date.now() < until) x += Math.sqrt(x + 1); // burn a little CPU
    const after = sampleProcesses([process.pid]);
    expect(readProcStat(process.pid).rssPages).toBeGreaterThan(0);
    expect(after.cpuUs).toBeGreaterThanOrEqual(before.cpuUs);
    expect(after.rssBytes).toBeGreaterThan(0);
    expect(x).toBeGreaterThan(0);
  });
});
