/**
 * A CPU limit for each loopback service, enforced the way the kubelet enforces a container's `limits.cpu`:
 * a CFS quota on a cgroup of its own (cgroup v1 `cpu.cfs_quota_us`, or v2 `cpu.max`). With the services
 * held to a share of the machine, the load generator keeps the rest, and a stress run finds the services'
 * knee instead of the generator's.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The CFS period Kubernetes uses (the kernel default): the quota is cores × this. */
export const CFS_PERIOD_US = 100_000;

export class CpuLimitError extends Error {}

/** Which cgroup interface holds the cpu controller: v1's own hierarchy, or v2's unified root. */
export type CgroupLayout = { version: 1; dir: string } | { version: 2; dir: string };

/** Where the cpu controller can be used under `root` (normally /sys/fs/cgroup); undefined: nowhere. */
export function cgroupLayout(root: string): CgroupLayout | undefined {
  const v1 = path.join(root, "cpu");
  if (existsSync(path.join(v1, "cpu.cfs_quota_us"))) return { version: 1, dir: v1 };
  const controllers = path.join(root, "cgroup.controllers");
  if (existsSync(controllers) && readFileSync(controllers, "utf8").split(/\s+/).includes("cpu")) {
    return { version: 2, dir: root };
  }
  return undefined;
}

/** Quota in microseconds per CFS period for a limit in cores (Kubernetes rounds to whole microseconds). */
export function quotaMicros(cores: number): number {
  return Math.round(cores * CFS_PERIOD_US);
}

/** Prefix of the groups this tool makes; a crashed run's leftovers are removed by the next one. */
const GROUP_PREFIX = "loadtest-";

export interface CpuLimiter {
  /** Moves the process (with all its threads) into a new group limited to `cores`. */
  limit(pid: number, name: string, cores: number): void;
  /** Removes the groups once their processes have exited. */
  release(): void;
}

/**
 * Groups with a CPU quota each, under the cgroup root; throws CpuLimitError saying what is missing when
 * the cpu controller is not writable here (not Linux, not root, or a container without cgroup access).
 */
export function cpuLimiter(root = "/sys/fs/cgroup"): CpuLimiter {
  const layout = cgroupLayout(root);
  if (!layout) {
    throw new CpuLimitError(
      `--cpu needs the cgroup cpu controller (${root}/cpu or cgroup v2 with cpu enabled); none was found on this machine`,
    );
  }
  removeStaleGroups(layout.dir);
  if (layout.version === 2) {
    try {
      writeFileSync(path.join(layout.dir, "cgroup.subtree_control"), "+cpu");
    } catch (err) {
      throw new CpuLimitError(`--cpu could not enable the cpu controller: ${(err as Error).message}`);
    }
  }
  const made: string[] = [];
  return {
    limit(pid, name, cores) {
      const dir = path.join(layout.dir, `${GROUP_PREFIX}${process.pid}-${name}`);
      try {
        mkdirSync(dir, { recursive: true });
        if (layout.version === 1) {
          writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(CFS_PERIOD_US));
          writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(quotaMicros(cores)));
        } else {
          writeFileSync(path.join(dir, "cpu.max"), `${quotaMicros(cores)} ${CFS_PERIOD_US}`);
        }
        made.push(dir);
        writeFileSync(path.join(dir, "cgroup.procs"), String(pid));
      } catch (err) {
        throw new CpuLimitError(
          `--cpu could not limit ${name} (pid ${pid}) in ${dir}: ${(err as Error).message} (it needs root)`,
        );
      }
    },
    release() {
      for (const dir of made.splice(0)) removeGroup(dir);
    },
  };
}

/** A group can only be removed once empty; one still holding a process is left for the next run. */
function removeGroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // still busy (a process not yet reaped) or already gone
  }
}

function removeStaleGroups(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(GROUP_PREFIX)) continue;
    const group = path.join(dir, entry.name);
    const procs = readFileSync(path.join(group, "cgroup.procs"), "utf8").trim();
    if (procs === "") removeGroup(group);
  }
}

/**
 * The cores the services may be limited to together so the generator keeps a core of its own: cpus − 1.
 * On 2 cores and 3 services that is 0.33 cores each.
 */
export function servicesCoreBudget(cpus: number): number {
  return Math.max(0, cpus - 1);
}
