/**
 * The fault injectors. HTTP-level faults always go through the services' own fault API (fault-api.ts);
 * locally a pod kill is a SIGKILL of the service process named in the demo supervisor's pids file; in a
 * cluster the infrastructure faults are Chaos Mesh objects created and deleted through the Kubernetes API.
 * Every removal is idempotent: the runner calls it at the fault's end and again from its `finally`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { PATHS, SERVICE_NAMES, type ServiceName } from "../../contract";
import type { Experiment } from "../../infra/chaos/experiments";
import { NO_FAULTS } from "../lib/faults";
import { type ChaosMeshApi, type ChaosObjectLike, type ChaosObjectRef, refOf, refText } from "./chaos-mesh-api";
import { describeFaultSettings, type FaultApi, faultSettingsFor, isHttpFault } from "./fault-api";

export interface Injector {
  /** Removes what an earlier run left on the target (a fault still set, a Chaos Mesh object); says what it removed. */
  removeStale(experiment: Experiment): Promise<string[]>;
  /** A fault still in force on the target (steady-state check), described; undefined when none. */
  activeFault(experiment: Experiment): Promise<string | undefined>;
  /** Injects the fault; says what it did. */
  inject(experiment: Experiment): Promise<string>;
  /** Called at every sample while the fault lasts: keeps it in force (a killed process the supervisor restarted). */
  maintain(experiment: Experiment): Promise<string | undefined>;
  /** Ends the fault; idempotent. */
  remove(experiment: Experiment): Promise<string>;
}

// ---- local pod kill ----

/** The demo supervisor's pids file: `{ "<service>": <pid> }`. */
export function readPids(file: string): Partial<Record<ServiceName, number>> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(
      `cannot read the pids file ${file} (${(err as NodeJS.ErrnoException).code}): is npm run demo running? Its supervisor writes it`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`the pids file ${file} is not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`the pids file ${file} must be an object of service → pid`);
  }
  const pids: Partial<Record<ServiceName, number>> = {};
  for (const [name, pid] of Object.entries(parsed)) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) continue;
    if (!Number.isInteger(pid) || (pid as number) <= 1) {
      throw new Error(
        `the pids file ${file}: ${name} must be a process id (an integer above 1), got ${JSON.stringify(pid)}`,
      );
    }
    pids[name as ServiceName] = pid as number;
  }
  return pids;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the pid runs the service's script (a stale pids file must not make us kill an unrelated process
 * that got the pid). Where /proc is not available the check cannot be made and passes.
 */
export function runsService(pid: number, service: ServiceName): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    try {
      readFileSync("/proc/self/cmdline");
    } catch {
      return true;
    }
    return false;
  }
  return cmdline.includes(`${path.sep}${service}${path.sep}main.js`);
}

export interface LocalInjectorOptions {
  faultApi: FaultApi;
  pidsFile: string;
  kill?: (pid: number, signal: NodeJS.Signals) => void;
  runsService?: (pid: number, service: ServiceName) => boolean;
}

/** Fault API faults and process kills on one machine (the demo). */
export function localInjector(options: LocalInjectorOptions): Injector {
  const { faultApi, pidsFile } = options;
  const kill = options.kill ?? ((pid, signal) => process.kill(pid, signal));
  const check = options.runsService ?? runsService;

  /** SIGKILL (a pod kill gives no grace period) of the service's current process; undefined when it is not running. */
  function killTarget(service: ServiceName): number | undefined {
    const pid = readPids(pidsFile)[service];
    if (pid === undefined) throw new Error(`the pids file ${pidsFile} names no ${service} process`);
    if (!processAlive(pid)) return undefined;
    if (!check(pid, service)) {
      throw new Error(`pid ${pid} of ${service} in ${pidsFile} runs something else: the pids file is stale`);
    }
    kill(pid, "SIGKILL");
    return pid;
  }

  return {
    async removeStale(experiment) {
      if (!faultApi.hasToken) return [];
      const left = describeFaultSettings(await faultApi.read(experiment.target));
      if (left === undefined) return [];
      await faultApi.set(experiment.target, NO_FAULTS);
      return [
        `${experiment.target}'s fault settings (${left}) were left set, by an earlier run or by hand: reset them`,
      ];
    },
    async activeFault(experiment) {
      if (!faultApi.hasToken) return undefined;
      const left = describeFaultSettings(await faultApi.read(experiment.target));
      return left && `${experiment.target} has faults set: ${left}`;
    },
    async inject(experiment) {
      const { target, fault } = experiment;
      if (isHttpFault(fault)) {
        const settings = faultSettingsFor(fault);
        await faultApi.set(target, settings);
        return `PUT ${PATHS.adminFaults} on ${target}: ${JSON.stringify(settings)}`;
      }
      if (fault.kind !== "pod-kill") throw new Error(`the ${fault.kind} fault needs a cluster (Chaos Mesh)`);
      const pid = killTarget(target);
      if (pid === undefined) throw new Error(`${target} is not running (its pid in ${pidsFile} is gone)`);
      return `killed ${target} (pid ${pid}); it is killed again whenever it comes back until the fault ends`;
    },
    async maintain(experiment) {
      if (experiment.fault.kind !== "pod-kill") return undefined;
      let pid: number | undefined;
      try {
        pid = killTarget(experiment.target);
      } catch {
        return undefined; // the supervisor may be rewriting the file: next sample
      }
      return pid === undefined
        ? undefined
        : `killed ${experiment.target} again (pid ${pid}, restarted by its supervisor)`;
    },
    async remove(experiment) {
      if (isHttpFault(experiment.fault)) {
        await faultApi.set(experiment.target, NO_FAULTS);
        return `reset ${experiment.target}'s fault settings`;
      }
      return `stopped killing ${experiment.target}; its supervisor starts it again`;
    },
  };
}

// ---- in a cluster ----

export interface ClusterInjectorOptions {
  api: ChaosMeshApi;
  /** The experiment's Chaos Mesh objects (infra/chaos/chaos-mesh.ts chaosObjects); Schedules are left to Pulumi. */
  objects: (experiment: Experiment) => readonly ChaosObjectLike[];
  /** HTTP-level faults: the fault API at the service URLs given (no port-forwarding here). */
  faultApi: FaultApi;
  /** How long a deletion may take (Chaos Mesh's finalizer recovers the pods first). */
  deleteTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function clusterInjector(options: ClusterInjectorOptions): Injector {
  const { api, faultApi } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const refs = (experiment: Experiment) =>
    options
      .objects(experiment)
      .filter((o) => o.kind !== "Schedule")
      .map((o) => ({ ref: refOf(o), body: o }));
  const local = localInjector({ faultApi, pidsFile: "" });

  /** Deletes and waits for the object to be gone; says whether it existed. */
  async function deleteAndWait(ref: ChaosObjectRef): Promise<boolean> {
    if (!(await api.delete(ref))) return false;
    const deadline = Date.now() + (options.deleteTimeoutMs ?? 30_000);
    while (await api.exists(ref)) {
      if (Date.now() > deadline) throw new Error(`${refText(ref)} is still there after its deletion (finalizers?)`);
      await sleep(1_000);
    }
    return true;
  }

  return {
    async removeStale(experiment) {
      if (isHttpFault(experiment.fault)) return local.removeStale(experiment);
      const removed: string[] = [];
      for (const { ref } of refs(experiment)) {
        if (await deleteAndWait(ref)) removed.push(`deleted ${refText(ref)}, left by an earlier run`);
      }
      return removed;
    },
    async activeFault(experiment) {
      if (isHttpFault(experiment.fault)) return local.activeFault(experiment);
      for (const { ref } of refs(experiment)) {
        if (await api.exists(ref)) return `${refText(ref)} exists`;
      }
      return undefined;
    },
    async inject(experiment) {
      if (isHttpFault(experiment.fault)) return local.inject(experiment);
      const objects = refs(experiment);
      if (objects.length === 0)
        throw new Error(`no Chaos Mesh object for ${experiment.name}'s ${experiment.fault.kind}`);
      const created: string[] = [];
      for (const { ref, body } of objects) {
        await api.create(ref, body);
        created.push(refText(ref));
      }
      return `created ${created.join(", ")}`;
    },
    async maintain() {
      return undefined;
    },
    async remove(experiment) {
      if (isHttpFault(experiment.fault)) return local.remove(experiment);
      // every object gets its deletion even when one fails
      const results = await Promise.allSettled(refs(experiment).map(({ ref }) => deleteAndWait(ref)));
      const failed = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
      if (failed.length) throw new Error(failed.join("; "));
      return `deleted ${refs(experiment)
        .map(({ ref }) => refText(ref))
        .join(", ")}`;
    },
  };
}
