import { runCli } from "./cli";

/** `npm run dashboards:render`: every generated dashboard of a stack as a PNG for review (docs/dashboards/). */
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`dashboards:render: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
