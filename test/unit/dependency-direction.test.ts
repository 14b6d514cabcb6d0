import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../infra/charts/values-files";

/** Every .ts file under a top-level folder of the repository. */
function sources(folder: string): string[] {
  const root = path.join(repoRoot(), folder);
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => path.join(root, file));
}

/** The folders (relative to the repository) a file's imports and requires resolve into. */
function importedFolders(file: string, text = readFileSync(file, "utf8")): string[] {
  const specifiers = [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)["'](\.{1,2}\/[^"']+)["']/g)].map(
    (m) => m[1] as string,
  );
  return specifiers.map((s) => path.relative(repoRoot(), path.resolve(path.dirname(file), s)).split(path.sep)[0] ?? "");
}

// apps (services and tools) import the contract and infra; infra and the policy pack import the contract;
// the contract imports nothing of the project. An import the other way makes a cycle of layers.
const MAY_NOT_IMPORT: Record<string, string[]> = {
  contract: ["apps", "infra", "policies"],
  infra: ["apps"],
  policies: ["apps"],
};

describe("dependencies point one way: contract ← infra/policies ← apps", () => {
  for (const [folder, forbidden] of Object.entries(MAY_NOT_IMPORT)) {
    test(`${folder}/ imports nothing from ${forbidden.join(", ")}`, () => {
      const files = sources(folder);
      expect(files.length).toBeGreaterThan(0);
      const wrong = files.flatMap((file) =>
        importedFolders(file)
          .filter((target) => forbidden.includes(target))
          .map((target) => `${path.relative(repoRoot(), file)} → ${target}/`),
      );
      expect(wrong).toEqual([]);
    });
  }

  test("the check resolves imports, requires and type imports to their top-level folder", () => {
    const file = path.join(repoRoot(), "infra", "x", "y.ts");
    const text = [
      'import { a } from "../../apps/lib/config";',
      'import type { B } from "../z";',
      'const c = require("../../contract");',
      'import { d } from "zod";',
    ].join("\n");
    expect(importedFolders(file, text)).toEqual(["apps", "infra", "contract"]);
  });
});
