import { describeKind, formatShape, unravel } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkElementwiseLoss } from "./regression.js";

export interface BceWithLogitsOptions {
  /** "mean" (default) divides by the number of counted elements (weights do not change the divisor, as PyTorch); "sum" does not. */
  readonly reduction?: "mean" | "sum";
  /** A weight for the positive term of each class (the last axis), [C]: > 1 raises recall, < 1 precision. */
  readonly posWeight?: ArrayLike<number>;
  /** A weight per class, [C] (broadcast over the rows), or per element (the logits' size). */
  readonly weight?: ArrayLike<number>;
  /** 1/true where an element counts, 0/false where it is padding: one flag per element or one per row, as in mseLoss. */
  readonly mask?: ArrayLike<number | boolean>;
}

export interface BceWithLogitsResult {
  /** The reduced loss (NaN or ±Infinity when a counted logit was not finite: the caller decides what to do). */
  readonly loss: number;
  /** dLoss/dLogits, the logits' shape; zero at excluded elements. */
  readonly dLogits: Tensor;
  /** Elements that counted (not masked out). */
  readonly count: number;
}

/**
 * Sigmoid + binary cross-entropy, fused and numerically stable, as F.binary_cross_entropy_with_logits, over logits and
 * targets of R rows × C classes (flat, row-major). `mask` as in mseForwardBackward (null, R·C flags or R flags);
 * `posWeight` [C] or null; `weight` [C], [R·C] or null. Writes dLogits[R·C].
 *
 *   lw = 1 + (pw_c − 1)·y
 *   loss_i = w·((1 − y)·x + lw·softplus(−x)),  softplus(−x) = log1p(exp(−|x|)) + max(−x, 0)
 *   ⇒ dloss_i/dx = w·(lw·σ(x) − pw_c·y)
 *
 * A mean over nothing counted is 0 with zero gradient (PyTorch gives NaN there).
 */
export function bceWithLogitsForwardBackward(
  dLogits: Float32Array, logits: Float32Array, targets: Float32Array, R: number, C: number, mean: boolean,
  mask: ArrayLike<number | boolean> | null, posWeight: ArrayLike<number> | null, weight: ArrayLike<number> | null,
): { loss: number; count: number } {
  const maskPerElement = mask !== null && mask.length === R * C;
  const weightPerElement = weight !== null && weight.length === R * C;
  let total = 0, count = 0;
  for (let r = 0; r < R; r++) {
    if (mask !== null && !maskPerElement && !mask[r]) { dLogits.fill(0, r * C, r * C + C); continue; }
    for (let c = 0, i = r * C; c < C; c++, i++) {
      if (maskPerElement && !mask[i]) { dLogits[i] = 0; continue; }
      const x = logits[i]!, y = targets[i]!;
      const pw = posWeight === null ? 1 : posWeight[c]!;
      const w = weight === null ? 1 : weight[weightPerElement ? i : c]!;
      const lw = 1 + (pw - 1) * y;
      const softplusNeg = Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0);
      total += w * ((1 - y) * x + lw * softplusNeg);
      const sig = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
      dLogits[i] = w * (lw * sig - pw * y);
      count++;
    }
  }
  const scale = mean ? (count > 0 ? 1 / count : 0) : 1;
  if (scale !== 1) for (let i = 0; i < R * C; i++) dLogits[i]! *= scale;
  return { loss: mean && count === 0 ? 0 : total * scale, count };
}

function checkWeights(where: string, what: string, w: unknown, sizes: readonly number[], shown: string): ArrayLike<number> | null {
  if (w === undefined) return null;
  if (w === null || typeof w !== "object" || typeof (w as { length?: unknown }).length !== "number") {
    throw new TypeError(`${where}: ${what} must be an array of numbers, got ${describeKind(w)}`);
  }
  const a = w as ArrayLike<unknown>;
  if (!sizes.includes(a.length)) throw new RangeError(`${where}: ${what} must hold ${shown}, got ${a.length}`);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== "number" || !(Number.isFinite(v) && v >= 0)) throw new RangeError(`${where}: ${what}[${i}] must be a finite number ≥ 0, got ${typeof v === "number" ? v : describeKind(v)}`);
  }
  return a as ArrayLike<number>;
}

/**
 * Binary cross-entropy of `logits` against `targets` (same shape, probabilities in [0, 1]), with the sigmoid fused in,
 * as F.binary_cross_entropy_with_logits: multi-label classification, or a yes/no decision per step.
 *
 *   const { loss, dLogits } = bceWithLogits(head.forward(out), labels, { posWeight: [3, 1, 1] });
 *   head.backward(dLogits);
 */
export function bceWithLogits(logits: Tensor, targets: Tensor, options: BceWithLogitsOptions = {}): BceWithLogitsResult {
  const where = "bceWithLogits";
  const { R, F: C, mean, mask } = checkElementwiseLoss(where, "logits", logits, "targets", targets, options, ["reduction", "posWeight", "weight", "mask"]);
  const n = logits.data.length;
  const posWeight = checkWeights(where, "posWeight", options.posWeight, [C], `C=${C} class weights (the last axis)`);
  const weight = checkWeights(where, "weight", options.weight, [C, n], `C=${C} class weights or one per element (${n})`);
  const perElement = mask !== null && mask.length === n;
  const t = targets.data;
  for (let r = 0; r < R; r++) {
    for (let c = 0, i = r * C; c < C; c++, i++) {
      if (mask !== null && !mask[perElement ? i : r]) continue;
      if (!(t[i]! >= 0 && t[i]! <= 1)) throw new RangeError(`${where}: targets must be in [0, 1], got ${t[i]} at ${formatShape(unravel(i, targets.shape))}`);
    }
  }
  const dLogits = new Float32Array(n);
  const { loss, count } = bceWithLogitsForwardBackward(dLogits, logits.data, t, R, C, mean, mask, posWeight, weight);
  return { loss, dLogits: { data: dLogits, shape: [...logits.shape] }, count };
}
