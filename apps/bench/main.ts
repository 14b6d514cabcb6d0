import { runCli } from "./cli";

/** `npm run bench:telemetry`: what metrics, logs and traces cost on the order flow (docs/performance.md). */
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
