import { describeKind } from "../errors.js";
import { checkKeys, checkPositiveInt } from "../layers/config.js";
import type { Tensor } from "../tensor/tensor.js";

/** One chunk of language-model training data: Tc steps of B tracks, time-major. */
export interface LMChunk {
  /** [Tc, B]: input[t·B + b] is track b's token at step start + t. */
  readonly input: Int32Array;
  /** [Tc, B]: the token after each input, target[t·B + b] = track b's token at step start + t + 1. */
  readonly target: Int32Array;
  /** [Tc, B], for Embedding.forward(input, shape). */
  readonly shape: readonly number[];
  /** Steps in this chunk: T, or fewer in the last chunk. */
  readonly T: number;
  readonly B: number;
  /** The step within each track at which this chunk begins (0, T, 2T, …). */
  readonly start: number;
}

/**
 * Cuts a token stream into language-model chunks for truncated BPTT ("batchify" as in PyTorch's
 * word_language_model example). The stream is split into B contiguous tracks of L = ⌊(n − 1)/B⌋ steps:
 *
 *   track b, step s:  input ids[b·L + s],  target ids[b·L + s + 1]        (s in [0, L))
 *
 * and each chunk holds T consecutive steps of all tracks, time-major [Tc, B] (track b is column b); the last chunk
 * has the L mod T steps left over, if any. Chunk c + 1 continues every track where chunk c stopped, so carry the
 * recurrent state from one chunk to the next (detached, as in truncated BPTT) and reset it once per epoch.
 *
 * Every token of ids[0, B·L) is an input exactly once and every token of ids[1, B·L] a target exactly once: unlike
 * the PyTorch example, track b's last target is the first token of track b + 1, so no pair is lost between tracks.
 * The last n − 1 − B·L tokens (fewer than B) are not used.
 */
export function lmBatches(ids: ArrayLike<number>, T: number, B: number): LMChunk[] {
  const where = "lmBatches";
  if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") throw new TypeError(`${where}: ids must be an array of token ids (e.g. vocab.encode(text)), got ${describeKind(ids)}`);
  checkPositiveInt(where, "T", T);
  checkPositiveInt(where, "B", B);
  const n = ids.length;
  if (n < B + 1) throw new RangeError(`${where}: ids must hold at least B + 1 = ${B + 1} tokens to give each of the B=${B} tracks one step, got ${n}`);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (!(Number.isInteger(id) && id >= 0)) throw new RangeError(`${where}: ids[${i}] must be a non-negative integer, got ${id}`);
  }
  const L = Math.floor((n - 1) / B);
  const chunks: LMChunk[] = [];
  for (let start = 0; start < L; start += T) {
    const Tc = Math.min(T, L - start);
    const input = new Int32Array(Tc * B), target = new Int32Array(Tc * B);
    for (let t = 0; t < Tc; t++) {
      for (let b = 0; b < B; b++) {
        const at = b * L + start + t;
        input[t * B + b] = ids[at]!;
        target[t * B + b] = ids[at + 1]!;
      }
    }
    chunks.push({ input, target, shape: [Tc, B], T: Tc, B, start });
  }
  return chunks;
}

export interface TimeSeriesWindowOptions {
  /** Input steps per window. */
  readonly window: number;
  /** Steps to predict after each window. */
  readonly horizon: number;
  /** Steps between the starts of consecutive windows. Default 1. */
  readonly stride?: number;
  /** Values per step: the series is [S, features], row-major. Default 1. */
  readonly features?: number;
}

export interface TimeSeriesWindows {
  /** [N, window, features]: window n is steps [n·stride, n·stride + window). Batch-first: use batchFirst: true. */
  readonly inputs: Tensor;
  /** [N, horizon, features]: the horizon steps right after window n. */
  readonly targets: Tensor;
  /** N, the number of windows. */
  readonly count: number;
}

/**
 * Cuts a series of S steps ([S, features], row-major) into forecasting examples: window n takes steps
 * [s, s + window) as input and [s + window, s + window + horizon) as target, s = n·stride, for every s with
 * s + window + horizon ≤ S. So N = ⌊(S − window − horizon)/stride⌋ + 1, and steps at the end that do not complete
 * a window are not used. Values are copied as they are.
 */
export function timeSeriesWindows(series: Float32Array, options: TimeSeriesWindowOptions): TimeSeriesWindows {
  const where = "timeSeriesWindows";
  if (!(series instanceof Float32Array)) throw new TypeError(`${where}: series must be a Float32Array, got ${describeKind(series)}`);
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object { window, horizon, stride?, features? }, got ${describeKind(options)}`);
  checkKeys(where, options, ["window", "horizon", "stride", "features"]);
  const W = checkPositiveInt(where, "window", options.window);
  const Hz = checkPositiveInt(where, "horizon", options.horizon);
  const stride = checkPositiveInt(where, "stride", options.stride ?? 1);
  const F = checkPositiveInt(where, "features", options.features ?? 1);
  if (series.length % F !== 0) throw new RangeError(`${where}: series must hold whole steps of features=${F} values, got ${series.length} values`);
  const S = series.length / F;
  if (S < W + Hz) throw new RangeError(`${where}: series is too short: ${S} steps, need at least window + horizon = ${W} + ${Hz} = ${W + Hz}`);
  const N = Math.floor((S - W - Hz) / stride) + 1;
  const inputs = new Float32Array(N * W * F), targets = new Float32Array(N * Hz * F);
  for (let k = 0; k < N; k++) {
    const s = k * stride * F;
    inputs.set(series.subarray(s, s + W * F), k * W * F);
    targets.set(series.subarray(s + W * F, s + (W + Hz) * F), k * Hz * F);
  }
  return { inputs: { data: inputs, shape: [N, W, F] }, targets: { data: targets, shape: [N, Hz, F] }, count: N };
}
