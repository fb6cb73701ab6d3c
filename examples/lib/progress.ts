import { formatProgress } from "recurrent-ts";
import type { BatchReport } from "recurrent-ts";

/**
 * The examples' progress line: formatProgress redrawn in place (`\r`) on a terminal; on a pipe or in a log, a plain
 * line `lines` times per epoch (always at its end), and also whenever `seconds` have passed since the last line
 * (default: never), so logs stay short and long epochs still show signs of life.
 */
export function progressLine(epochs: number, lines = 4, seconds = Infinity): (r: BatchReport) => void {
  const tty = process.stdout.isTTY === true;
  let printedAt = performance.now();
  return (r) => {
    const last = r.batch === r.batches;
    if (tty) {
      process.stdout.write(`\r${formatProgress(r, epochs)}${last ? "\n" : ""}`);
    } else if (last || Math.floor((r.batch * lines) / r.batches) !== Math.floor(((r.batch - 1) * lines) / r.batches)
               || performance.now() - printedAt >= seconds * 1000) {
      console.log(formatProgress(r, epochs));
      printedAt = performance.now();
    }
  };
}

/** Seconds since `t0` (a performance.now() reading), for the summary lines. */
export function secondsSince(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

/** The run's mode from --smoke / --long (the default is neither). */
export function runMode(): "smoke" | "default" | "long" {
  const smoke = process.argv.includes("--smoke"), long = process.argv.includes("--long");
  if (smoke && long) throw new TypeError("pass --smoke or --long, not both");
  return smoke ? "smoke" : long ? "long" : "default";
}
