import { spawn } from "node:child_process";
import path from "node:path";

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a compiled command-line tool (dist/apps/<tool>/main.js; jest's global setup builds dist/) with
 * only PATH in its environment; after `timeoutMs` it gets SIGTERM, which lets it stop its own service
 * processes. Resolves with the exit code and the output.
 */
export function runTool(tool: string, args: string[], timeoutMs: number): Promise<ToolRun> {
  const root = path.resolve(__dirname, "../..");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "dist", "apps", tool, "main.js"), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
