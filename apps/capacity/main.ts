import { runCli } from "./cli";

/** `npm run capacity-report`: knees, replicas, HPA and storage per stack from a load-test result (docs/capacity-report.md). */
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`capacity-report: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
