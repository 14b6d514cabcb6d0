import { runCli } from "./cli";

/** `npm run loadtest -- <scenario>`: load scenarios against the services, judged by a stack's SLO (docs/capacity.md). */
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`loadtest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
