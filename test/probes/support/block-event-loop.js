// Preloaded into a service process by the kubelet-probe tests (NODE_OPTIONS=--require): on SIGUSR2 the
// main thread busy-waits BLOCK_EVENT_LOOP_MS, as a runaway synchronous loop in a handler would. The line on
// stderr (written synchronously to a pipe) tells the test the loop is blocked before it probes.
process.on("SIGUSR2", () => {
  const ms = Number(process.env.BLOCK_EVENT_LOOP_MS ?? "3000");
  process.stderr.write(`event loop blocked for ${ms} ms\n`);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
  process.stderr.write("event loop free\n");
});
