import { describeKind, expectShape, formatShape } from "../errors.js";
import { checkKeys } from "../layers/config.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor } from "../tensor/tensor.js";

export interface CrossEntropyOptions {
  /** "mean" (default) divides by the summed class weight of the non-ignored targets (their count without weights); "sum" does not. */
  readonly reduction?: "mean" | "sum";
  /** Targets equal to this contribute nothing (padded steps). Default −100, as PyTorch. */
  readonly ignoreIndex?: number;
  /** ε in [0, 1): the target distribution is (1 − ε)·one-hot + ε/V. Default 0. */
  readonly labelSmoothing?: number;
  /** A weight per class, [V]. */
  readonly weight?: ArrayLike<number>;
}

export interface CrossEntropyResult {
  /** The reduced loss (NaN or ±Infinity when a logit was not finite: the caller decides what to do). */
  readonly loss: number;
  /** dLoss/dLogits, the logits' shape. */
  readonly dLogits: Tensor;
  /** Targets that counted (not ignored). */
  readonly count: number;
}

// exp(z_j − max) of the current row, grown to the widest V and reused
let expRow = new Float64Array(0);

/**
 * Softmax + cross-entropy over the last axis, fused, as torch.nn.functional.cross_entropy: numerically stable
 * (log-sum-exp), forward and backward in one pass. Writes dLogits[N, V] and returns the reduced loss; ignored rows get
 * zero gradient. `w` null means unit weights.
 *
 *   loss_n = (1 − ε)·w_y·(logZ − z_y) + (ε/V)·Σ_c w_c·(logZ − z_c)
 *   ⇒ dloss_n/dz_j = (1 − ε)·w_y·(p_j − [j = y]) + (ε/V)·(p_j·Σ_c w_c − w_j)
 *
 * A mean over no counted targets is 0 with zero gradient (PyTorch gives NaN there).
 */
export function crossEntropyForwardBackward(
  dLogits: Float32Array, logits: Float32Array, targets: ArrayLike<number>, N: number, V: number,
  mean: boolean, ignoreIndex: number, eps: number, w: ArrayLike<number> | null,
): { loss: number; count: number } {
  let wSum = 0;
  if (w !== null) for (let c = 0; c < V; c++) wSum += w[c]!;
  else wSum = V;
  let total = 0, denom = 0, count = 0;
  if (expRow.length < V) expRow = new Float64Array(V);
  const e = expRow;
  for (let n = 0; n < N; n++) {
    const o = n * V;
    const y = targets[n]!;
    if (y === ignoreIndex) {
      dLogits.fill(0, o, o + V);
      continue;
    }
    let m = -Infinity;
    for (let j = 0; j < V; j++) if (logits[o + j]! > m) m = logits[o + j]!;
    let s = 0;
    for (let j = 0; j < V; j++) s += e[j] = Math.exp(logits[o + j]! - m);
    const logZ = m + Math.log(s), inv = 1 / s;
    const wy = w === null ? 1 : w[y]!;
    let smooth = 0;
    if (eps > 0) for (let c = 0; c < V; c++) smooth += (w === null ? 1 : w[c]!) * (logZ - logits[o + c]!);
    total += (1 - eps) * wy * (logZ - logits[o + y]!) + (eps / V) * smooth;
    denom += wy;
    count++;
    for (let j = 0; j < V; j++) {
      const p = e[j]! * inv;   // softmax, from the exponentials of the first pass
      let g = (1 - eps) * wy * (j === y ? p - 1 : p);
      if (eps > 0) g += (eps / V) * (p * wSum - (w === null ? 1 : w[j]!));
      dLogits[o + j] = g;
    }
  }
  const scale = mean ? (denom > 0 ? 1 / denom : 0) : 1;
  if (scale !== 1) for (let i = 0; i < N * V; i++) dLogits[i]! *= scale;
  return { loss: mean && denom === 0 ? 0 : total * scale, count };
}

/**
 * Softmax cross-entropy of `logits` [..., V] against integer class `targets` (one per row, [...]), with its gradient.
 *
 *   const { loss, dLogits } = softmaxCrossEntropy(head.forward(rnnOut), targets);
 *   head.backward(dLogits);
 */
export function softmaxCrossEntropy(logits: Tensor, targets: ArrayLike<number>, options: CrossEntropyOptions = {}): CrossEntropyResult {
  const where = "softmaxCrossEntropy";
  expectTensor(where, "logits", logits, true);
  if (logits.shape.length < 1) expectShape(where, "logits", logits.shape, ["N", "V"]);
  const V = logits.shape[logits.shape.length - 1]!;
  const N = V > 0 ? logits.data.length / V : 0;
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
  checkKeys(where, options, ["reduction", "ignoreIndex", "labelSmoothing", "weight"]);
  const reduction = options.reduction ?? "mean";
  if (reduction !== "mean" && reduction !== "sum") throw new TypeError(`${where}: reduction must be "mean" or "sum", got ${JSON.stringify(reduction)}`);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new RangeError(`${where}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  const eps = options.labelSmoothing ?? 0;
  if (typeof eps !== "number" || !(eps >= 0 && eps < 1)) throw new RangeError(`${where}: labelSmoothing must be in [0, 1), got ${eps}`);
  const w = options.weight ?? null;
  if (w !== null) {
    if (typeof w !== "object" || w.length !== V) throw new RangeError(`${where}: weight must hold V=${V} class weights, got ${typeof w === "object" ? w.length : describeKind(w)}`);
    for (let c = 0; c < V; c++) if (!(Number.isFinite(w[c]) && w[c]! >= 0)) throw new RangeError(`${where}: weight[${c}] must be a finite number ≥ 0, got ${w[c]}`);
  }
  if (targets === null || typeof targets !== "object" || typeof targets.length !== "number") throw new TypeError(`${where}: targets must be an array of class ids, got ${describeKind(targets)}`);
  if (targets.length !== N) throw new RangeError(`${where}: targets must hold one class per row of logits ${formatShape(logits.shape)} (${N}), got ${targets.length}`);
  for (let n = 0; n < N; n++) {
    const y = targets[n]!;
    if (y !== ignoreIndex && !(Number.isInteger(y) && y >= 0 && y < V)) throw new RangeError(`${where}: targets[${n}] must be a class in [0, ${V}) or ignoreIndex ${ignoreIndex}, got ${y}`);
  }
  const dLogits = new Float32Array(logits.data.length);
  const { loss, count } = crossEntropyForwardBackward(dLogits, logits.data, targets, N, V, reduction === "mean", ignoreIndex, eps, w);
  return { loss, dLogits: { data: dLogits, shape: [...logits.shape] }, count };
}
