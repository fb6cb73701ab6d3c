/**
 * Many-to-one pooling over each sequence's real steps: seq [T, B, F] → out [B, F].
 *   mean: the average over t < len_b;  max: the elementwise maximum over t < len_b (argmax kept for backward).
 * ("last", the final state, needs no kernel: SequenceModel reads the recurrent layer's final states.)
 */
export type Pooling = "last" | "mean" | "max";

export const POOLINGS: readonly Pooling[] = ["last", "mean", "max"];

export function poolForward(out: Float32Array, argmax: Int32Array, seq: Float32Array, T: number, B: number, F: number, lens: ArrayLike<number>, mode: "mean" | "max"): void {
  for (let b = 0; b < B; b++) {
    const n = Math.min(lens[b]!, T), o = b * F;
    for (let j = 0; j < F; j++) {
      if (mode === "mean") {
        let s = 0;
        for (let t = 0; t < n; t++) s += seq[(t * B + b) * F + j]!;
        out[o + j] = s / n;
      } else {
        let best = -Infinity, at = 0;
        for (let t = 0; t < n; t++) {
          const v = seq[(t * B + b) * F + j]!;
          if (v > best) { best = v; at = t; }
        }
        out[o + j] = best;
        argmax[o + j] = at;
      }
    }
  }
}

/** Writes dSeq[T, B, F] (zeros at padded steps and, for max, at every step but the argmax). */
export function poolBackward(dSeq: Float32Array, dOut: Float32Array, argmax: Int32Array, T: number, B: number, F: number, lens: ArrayLike<number>, mode: "mean" | "max"): void {
  dSeq.fill(0, 0, T * B * F);
  for (let b = 0; b < B; b++) {
    const n = Math.min(lens[b]!, T), o = b * F;
    for (let j = 0; j < F; j++) {
      if (mode === "mean") {
        const g = dOut[o + j]! / n;
        for (let t = 0; t < n; t++) dSeq[(t * B + b) * F + j] = g;
      } else {
        dSeq[(argmax[o + j]! * B + b) * F + j] = dOut[o + j]!;
      }
    }
  }
}
