/**
 * The examples' progress line: formatProgress redrawn in place (`\r`) on a terminal; on a pipe or in a log, a plain
 * line `lines` times per epoch, so CI logs stay short.
 */
import { formatProgress } from "recurrent-ts";
import type { BatchReport } from "recurrent-ts";

export function progressLine(epochs: number, lines = 4): (r: BatchReport) => void {
  const tty = process.stdout.isTTY === true;
  return (r) => {
    const last = r.batch === r.batches;
    if (tty) {
      process.stdout.write(`\r${formatProgress(r, epochs)}${last ? "\n" : ""}`);
    } else if (last || Math.floor((r.batch * lines) / r.batches) !== Math.floor(((r.batch - 1) * lines) / r.batches)) {
      console.log(formatProgress(r, epochs));
    }
  };
}

/** Seconds since `t0` (a performance.now() reading), for the summary lines. */
export function secondsSince(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

/** `--name value` from the command line as a number, or the default. */
export function numberArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new RangeError(`--${name} must be followed by a number, got ${process.argv[i + 1] ?? "nothing"}`);
  return v;
}

/** The run's mode from --smoke / --long (the default is neither). */
export function runMode(): "smoke" | "default" | "long" {
  const smoke = process.argv.includes("--smoke"), long = process.argv.includes("--long");
  if (smoke && long) throw new TypeError("pass --smoke or --long, not both");
  return smoke ? "smoke" : long ? "long" : "default";
}
