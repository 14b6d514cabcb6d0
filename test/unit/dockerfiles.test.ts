import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { CONTAINER_PORT, RESPONDER_NAME, SERVICE_NAMES } from "../../contract";
import { ROOT } from "../support/services";

/** The project's compiled files an entrypoint loads, following relative require() calls. */
function compiledClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
      const base = path.resolve(path.dirname(file), spec as string);
      const target = [base, `${base}.js`, path.join(base, "index.js")].find((p) => p.endsWith(".js") && existsSync(p));
      if (!target) throw new Error(`${file} requires ${spec}, which is not compiled`);
      visit(target);
    }
  };
  visit(entry);
  return [...seen];
}

/** The images cannot be built here; these checks hold each Dockerfile to what the platform relies on. */
describe.each([...SERVICE_NAMES, RESPONDER_NAME])("apps/%s/Dockerfile", (service) => {
  const text = readFileSync(path.join(ROOT, "apps", service, "Dockerfile"), "utf8");
  const lines = text.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  const finalStage = lines.slice(lines.map((l) => l.startsWith("FROM")).lastIndexOf(true));
  const engines = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node as string;

  test("is multi-stage, on a Node image pinned to an exact version that satisfies engines", () => {
    expect(lines.filter((l) => l.startsWith("FROM")).length).toBeGreaterThanOrEqual(2);
    const image = /^ARG NODE_IMAGE=(node:(\d+)\.\d+\.\d+-[a-z]+-slim(?:@sha256:[0-9a-f]{64})?)$/m.exec(text);
    expect(image).not.toBeNull();
    expect(Number(image?.[2])).toBeGreaterThanOrEqual(Number(/\d+/.exec(engines)?.[0]));
  });

  test("runs as a non-root numeric user in the final stage", () => {
    const user = finalStage.find((l) => l.startsWith("USER"));
    expect(user).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
  });

  test("ships only production dependencies and the compiled apps", () => {
    expect(text).toMatch(/npm prune --omit=dev/);
    expect(finalStage.some((l) => /COPY --from=build \S*dist\/apps/.test(l))).toBe(true);
    expect(finalStage.some((l) => /COPY .*\btest\b/.test(l))).toBe(false);
  });

  test("copies every compiled file the entrypoint requires into the final stage (the image starts)", () => {
    const copied = finalStage.flatMap((l) => /^COPY --from=build \/src\/(dist\/\S+) /.exec(l)?.[1] ?? []);
    const required = compiledClosure(path.join(ROOT, "dist", "apps", service, "main.js"));
    expect(required.length).toBeGreaterThan(3);
    const missing = required
      .map((file) => path.relative(ROOT, file))
      .filter((file) => !copied.some((dir) => file.startsWith(`${dir}/`)));
    expect(missing).toEqual([]);
  });

  test("starts this service's compiled entrypoint on the contract's port", () => {
    const cmd = finalStage.find((l) => l.startsWith("CMD"));
    const entry = JSON.parse((cmd ?? "").replace(/^CMD /, "")) as string[];
    expect(entry).toEqual(["node", `dist/apps/${service}/main.js`]);
    expect(existsSync(path.join(ROOT, entry[1] as string))).toBe(true);
    expect(finalStage).toContain(`EXPOSE ${CONTAINER_PORT}`);
    expect(text).toContain(`PORT=${CONTAINER_PORT}`);
  });
});
