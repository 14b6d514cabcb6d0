/**
 * The runner's display while it waits: one status line rewritten in place on a terminal; in a log (CI, a pipe)
 * the status every `everySeconds` instead, so a long watch leaves a readable trail rather than thousands of lines.
 */
export interface Progress {
  status(line: string): void;
  /** A line that stays (injection, cleanup, verdicts). */
  log(line: string): void;
  /** Ends the status line before other output. */
  done(): void;
}

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

const CLEAR_LINE = "\r\x1b[K";

export function progressDisplay(out: Output, now: () => number, everySeconds = 15): Progress {
  let shown = false;
  let lastPrinted = Number.NEGATIVE_INFINITY;
  return {
    status(line) {
      if (out.isTTY) {
        out.write(`${CLEAR_LINE}${line}`);
        shown = true;
      } else if (now() - lastPrinted >= everySeconds * 1_000) {
        out.write(`${line}\n`);
        lastPrinted = now();
      }
    },
    log(line) {
      if (shown) out.write(CLEAR_LINE);
      shown = false;
      out.write(`${line}\n`);
    },
    done() {
      if (shown) out.write("\n");
      shown = false;
    },
  };
}

/** A display that shows nothing (tests, library use). */
export const silentProgress: Progress = { status() {}, log() {}, done() {} };
