/**
 * The manifest next to the committed PNGs: per dashboard, hashes of the JSON model it was drawn from and
 * of the SVG drawn. A PNG is current when both hashes match a fresh build; the PNG bytes themselves are not
 * compared, since they depend on the machine's rasteriser and fonts.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { describeIssues, dottedPath } from "../../contract";

export const MANIFEST_FILE = "manifest.json";

const sha = z.string().regex(/^[0-9a-f]{64}$/, { error: "must be a sha256 in hex (64 characters)" });
const entry = z.strictObject({
  key: z.string().min(1),
  uid: z.string().min(1),
  title: z.string(),
  png: z.string().regex(/^[a-z0-9][a-z0-9-]*\.png$/, { error: "must be <key>.png" }),
  jsonSha256: sha,
  svgSha256: sha,
});
const manifestSchema = z.strictObject({
  environment: z.string().min(1),
  pngWidth: z.number().int().positive(),
  dashboards: z.array(entry),
});
export type ManifestEntry = z.infer<typeof entry>;
export type Manifest = z.infer<typeof manifestSchema>;

export class ManifestError extends Error {
  override name = "ManifestError";
}

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** What the manifest records of one rendered dashboard; the JSON hash is of JSON.stringify of the model. */
export function manifestEntry(
  key: string,
  dashboard: { uid: string; title: string; json: Record<string, unknown> },
  svg: string,
): ManifestEntry {
  const { uid, title } = dashboard;
  return {
    key,
    uid,
    title,
    png: `${key}.png`,
    jsonSha256: sha256(JSON.stringify(dashboard.json)),
    svgSha256: sha256(svg),
  };
}

/** The committed manifest's text, validated; an error names each bad field. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`${MANIFEST_FILE} is not JSON: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success)
    throw new ManifestError(`${MANIFEST_FILE}: ${describeIssues(parsed.error, dottedPath).join("; ")}`);
  return parsed.data;
}

export const formatManifest = (manifest: Manifest) => `${JSON.stringify(manifest, null, 2)}\n`;

/**
 * Why the committed PNGs do not show the current dashboards, one line per dashboard (empty: current).
 * `pngFiles` are the file names present next to the committed manifest.
 */
export function staleDashboards(committed: Manifest, current: Manifest, pngFiles: ReadonlySet<string>): string[] {
  if (committed.environment !== current.environment) {
    return [`the committed PNGs are of ${committed.environment}, not ${current.environment}`];
  }
  const problems: string[] = [];
  if (committed.pngWidth !== current.pngWidth) {
    problems.push(`every PNG: rendered ${committed.pngWidth} px wide, the renderer now draws ${current.pngWidth} px`);
  }
  const before = new Map(committed.dashboards.map((d) => [d.key, d]));
  for (const now of current.dashboards) {
    const then = before.get(now.key);
    if (!then) problems.push(`${now.key}: new dashboard, no PNG rendered yet`);
    else if (then.jsonSha256 !== now.jsonSha256)
      problems.push(`${now.key}: the dashboard changed since ${then.png} was rendered`);
    else if (then.svgSha256 !== now.svgSha256)
      problems.push(`${now.key}: the renderer draws ${then.png} differently now`);
    else if (!pngFiles.has(then.png)) problems.push(`${now.key}: ${then.png} is missing`);
  }
  const keys = new Set(current.dashboards.map((d) => d.key));
  for (const then of committed.dashboards) {
    if (!keys.has(then.key)) problems.push(`${then.key}: no longer generated, but ${then.png} is still committed`);
  }
  return problems;
}
