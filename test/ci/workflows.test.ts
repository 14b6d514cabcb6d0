import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { RESPONDER_NAME, SERVICE_NAMES } from "../../contract";
import { ROOT } from "../support/services";

const dir = path.join(ROOT, ".github", "workflows");
const workflows = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith(".yml"))
    .map((f) => [f, parse(readFileSync(path.join(dir, f), "utf8"))]),
) as Record<string, any>;
const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
const steps = (wf: any) => Object.values(wf.jobs as Record<string, any>).flatMap((j) => (j.steps ?? []) as any[]);

describe("GitHub workflows for users of the platform", () => {
  test("every workflow is valid YAML with jobs, and every job has steps or calls a workflow", () => {
    expect(Object.keys(workflows).sort()).toEqual(["deploy.yml", "kind-smoke.yml", "main.yml", "pull-request.yml"]);
    for (const [file, wf] of Object.entries(workflows)) {
      expect([file, typeof wf.on]).toEqual([file, "object"]);
      for (const [name, job] of Object.entries(wf.jobs as Record<string, any>)) {
        expect([file, name, Array.isArray(job.steps) || typeof job.uses === "string"]).toEqual([file, name, true]);
      }
    }
  });

  test("every npm script a workflow runs exists in package.json", () => {
    const runs = Object.values(workflows).flatMap((wf) => steps(wf).map((s) => String(s.run ?? "")));
    const called = runs.flatMap((r) => [...r.matchAll(/npm run (\S+)/g)].map((m) => m[1] as string));
    expect(called.length).toBeGreaterThanOrEqual(5);
    for (const script of called) expect([script, scripts[script]]).toEqual([script, expect.any(String)]);
  });

  test("every action is pinned to a major version", () => {
    const uses = Object.values(workflows).flatMap((wf) => steps(wf).flatMap((s) => (s.uses ? [String(s.uses)] : [])));
    expect(uses.length).toBeGreaterThan(5);
    for (const u of uses) expect(u).toMatch(/@v\d+$/);
  });

  test("pull requests: tests, preflight of every stack, and a preview with the policy pack that is skipped without credentials", () => {
    const pr = workflows["pull-request.yml"];
    expect(pr.on).toHaveProperty("pull_request");
    expect(pr.jobs.preflight.strategy.matrix.stack).toEqual(["dev", "staging", "prod"]);
    expect(steps({ jobs: { t: pr.jobs.test } }).map((s: any) => s.run)).toEqual(
      expect.arrayContaining(["npm run lint", "npm run typecheck", "npm run jest"]),
    );
    const preview = pr.jobs.preview.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions"));
    expect(preview.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policies" });
    expect(preview.if).toContain("steps.creds.outputs.available == 'true'");
    expect(pr.jobs.preview.steps[0].run).toContain("::notice");
    expect(pr.permissions["pull-requests"]).toBe("write");
  });

  test("main: images are built before deploying, dev → staging → prod, prod behind an environment gate", () => {
    const main = workflows["main.yml"];
    expect(main.on.push.branches).toEqual(["main"]);
    expect(main.jobs["deploy-dev"].needs).toBe("images");
    expect(main.jobs["deploy-staging"].needs).toBe("deploy-dev");
    expect(main.jobs["deploy-prod"].needs).toBe("deploy-staging");
    expect(main.jobs["deploy-prod"].with.environment).toBe("production");
    // an image per deployed app: the three services and the responder, each with its Dockerfile
    expect(main.jobs.images.strategy.matrix.service).toEqual([...SERVICE_NAMES, RESPONDER_NAME]);
    const build = main.jobs.images.steps.find((s: any) => String(s.uses).startsWith("docker/build-push-action"));
    expect(build.with.tags).toContain("${{ github.sha }}");
    const deploy = workflows["deploy.yml"];
    expect(deploy.jobs.up.environment).toBe("${{ inputs.environment }}");
    expect(steps(deploy).map((s: any) => s.run)).toContain("npm run preflight -- ${{ inputs.stack }}");
  });

  test("the policy pack config each workflow passes exists for every stack", () => {
    const text = Object.keys(workflows)
      .map((f) => readFileSync(path.join(dir, f), "utf8"))
      .join("\n");
    expect(text).toContain("policies/config/${{ matrix.stack }}.json");
    for (const stack of ["dev", "staging", "prod"])
      expect(() => readFileSync(path.join(ROOT, "policies", "config", `${stack}.json`))).not.toThrow();
  });
});
