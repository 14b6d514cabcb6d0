import { runCli } from "./cli";

/** `npm run cost-report`: cost, right-sizing, unused metrics and telemetry volume from a live Prometheus (docs/cost.md). */
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`cost-report: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
