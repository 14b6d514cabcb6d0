import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** What the benchmark reads from /proc/<pid>/stat: CPU time in clock ticks and resident memory in pages. */
export interface ProcStat {
  utimeTicks: number;
  stimeTicks: number;
  rssPages: number;
}

/**
 * Parses /proc/<pid>/stat. The second field (the command name, in parentheses) may itself contain
 * spaces and parentheses, so the fields are counted from the last ")": utime and stime are fields 14
 * and 15, rss field 24 (proc(5)).
 */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(")");
  if (close < 0) throw new Error("not a /proc/<pid>/stat line: no command name");
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state)
  const field = (n: number) => {
    const value = Number(fields[n - 3]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`not a /proc/<pid>/stat line: field ${n} is missing`);
    return value;
  };
  return { utimeTicks: field(14), stimeTicks: field(15), rssPages: field(24) };
}

function getconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync("getconf", [name], { encoding: "utf8" }).trim());
    return Number.isInteger(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

let clockTicks: number | undefined;
let pageSize: number | undefined;

/** USER_HZ: the unit of utime and stime (100 on practically every Linux). */
export function clockTicksPerSecond(): number {
  clockTicks ??= getconf("CLK_TCK", 100);
  return clockTicks;
}

export function pageSizeBytes(): number {
  pageSize ??= getconf("PAGESIZE", 4096);
  return pageSize;
}

/** CPU time (user + system, all threads) of a process, in microseconds. */
export function cpuMicros(stat: ProcStat, ticksPerSecond = clockTicksPerSecond()): number {
  return ((stat.utimeTicks + stat.stimeTicks) * 1e6) / ticksPerSecond;
}

export function readProcStat(pid: number): ProcStat {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** Summed CPU time (µs) and resident memory (bytes) of a group of processes. */
export function sampleProcesses(pids: readonly number[]): { cpuUs: number; rssBytes: number } {
  let cpuUs = 0;
  let rssBytes = 0;
  for (const pid of pids) {
    const stat = readProcStat(pid);
    cpuUs += cpuMicros(stat);
    rssBytes += stat.rssPages * pageSizeBytes();
  }
  return { cpuUs, rssBytes };
}
