// Preloaded into a service process by the kubelet-probe tests (NODE_OPTIONS=--require): on SIGUSR2 the
// main thread busy-waits, as a runaway synchronous loop in a handler would, until the test creates the file
// BLOCK_EVENT_LOOP_RELEASE (or BLOCK_EVENT_LOOP_MAX_MS passes). The test decides when the loop is free, so a
// slow, loaded machine cannot end the block before the probe arrives. The line on stderr (written
// synchronously to a pipe) tells the test the loop is blocked before it probes.
const fs = require("node:fs");

process.on("SIGUSR2", () => {
  const release = process.env.BLOCK_EVENT_LOOP_RELEASE;
  const maxMs = Number(process.env.BLOCK_EVENT_LOOP_MAX_MS ?? "60000");
  process.stderr.write(`event loop blocked until ${release} exists (at most ${maxMs} ms)\n`);
  const until = Date.now() + maxMs;
  while (Date.now() < until && !(release && fs.existsSync(release))) {
    // spin
  }
  process.stderr.write("event loop free\n");
});
