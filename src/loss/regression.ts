import { ShapeError, describeKind, expectShape, formatShape, unravel } from "../errors.js";
import { checkKeys } from "../layers/config.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor, shapeSize } from "../tensor/tensor.js";

/**
 * Regression losses, as torch.nn.functional.mse_loss and huber_loss, each a kernel (writes dPred into a buffer it is
 * given, allocates nothing) plus a wrapper that checks everything first.
 *
 * A mask excludes padded elements. It holds 1/true (counts) or 0/false (excluded) and has either
 *   - one flag per element (pred's shape, flattened), or
 *   - one flag per row: pred's shape without the last axis, e.g. [T, B] for predictions [T, B, F], each flag
 *     covering the F values of its row.
 * The two are told apart by length; they coincide only when the last axis is 1, where they mean the same thing.
 * "mean" divides by the number of counted elements (rows × F for a row mask), so it equals PyTorch's loss on
 * pred[mask]. Excluded elements get zero gradient and are not read: their predictions and targets may be anything.
 */

export interface RegressionLossOptions {
  /** "mean" (default) divides by the number of counted elements; "sum" does not. */
  readonly reduction?: "mean" | "sum";
  /** 1/true where an element counts, 0/false where it is padding: one flag per element or one per row (see above). */
  readonly mask?: ArrayLike<number | boolean>;
}

export interface HuberLossOptions extends RegressionLossOptions {
  /** Where the loss turns from quadratic to linear, > 0. Default 1, as PyTorch. */
  readonly delta?: number;
}

export interface RegressionLossResult {
  /** The reduced loss (NaN or ±Infinity when a counted prediction was not finite: the caller decides what to do). */
  readonly loss: number;
  /** dLoss/dPred, pred's shape; zero at excluded elements. */
  readonly dPred: Tensor;
  /** Elements that counted (not masked out). */
  readonly count: number;
}

/** The flag of row r (per-row mask) or element i (per-element mask) as a boolean; no mask counts everything. */
function counts(mask: ArrayLike<number | boolean> | null, perElement: boolean, r: number, i: number): boolean {
  return mask === null || !!mask[perElement ? i : r]; // checked to hold 0, 1, false or true
}

/**
 * Mean squared error, as F.mse_loss, over pred and target of R rows × F values (flat, row-major). `mask` null counts
 * everything; of length R·F it flags elements, of length R rows (see the file comment). Writes dPred[R·F].
 *
 *   loss = Σ_counted (p − t)² / (mean ? count : 1)   ⇒   dloss/dp = 2(p − t) / (mean ? count : 1)
 *
 * A mean over nothing counted is 0 with zero gradient (PyTorch gives NaN there).
 */
export function mseForwardBackward(
  dPred: Float32Array, pred: Float32Array, target: Float32Array, R: number, F: number, mean: boolean,
  mask: ArrayLike<number | boolean> | null,
): { loss: number; count: number } {
  const perElement = mask !== null && mask.length === R * F;
  let total = 0, count = 0;
  for (let r = 0; r < R; r++) {
    for (let f = 0, i = r * F; f < F; f++, i++) {
      if (!counts(mask, perElement, r, i)) { dPred[i] = 0; continue; }
      const d = pred[i]! - target[i]!;
      total += d * d;
      dPred[i] = 2 * d;
      count++;
    }
  }
  const scale = mean ? (count > 0 ? 1 / count : 0) : 1;
  if (scale !== 1) for (let i = 0; i < R * F; i++) dPred[i]! *= scale;
  return { loss: mean && count === 0 ? 0 : total * scale, count };
}

/**
 * Huber loss, as F.huber_loss, with the same layout and mask as mseForwardBackward. Writes dPred[R·F].
 *
 *   d = p − t;  loss_i = ½d² if |d| < δ, else δ(|d| − ½δ)   ⇒   dloss_i/dp = d if |d| ≤ δ, else δ·sign(d)
 */
export function huberForwardBackward(
  dPred: Float32Array, pred: Float32Array, target: Float32Array, R: number, F: number, mean: boolean,
  mask: ArrayLike<number | boolean> | null, delta: number,
): { loss: number; count: number } {
  const perElement = mask !== null && mask.length === R * F;
  let total = 0, count = 0;
  for (let r = 0; r < R; r++) {
    for (let f = 0, i = r * F; f < F; f++, i++) {
      if (!counts(mask, perElement, r, i)) { dPred[i] = 0; continue; }
      const d = pred[i]! - target[i]!;
      const a = Math.abs(d);
      if (a < delta) {
        total += 0.5 * d * d;
        dPred[i] = d;
      } else {
        total += delta * (a - 0.5 * delta);
        dPred[i] = d > 0 ? delta : d < 0 ? -delta : d; // d itself when NaN
      }
      count++;
    }
  }
  const scale = mean ? (count > 0 ? 1 / count : 0) : 1;
  if (scale !== 1) for (let i = 0; i < R * F; i++) dPred[i]! *= scale;
  return { loss: mean && count === 0 ? 0 : total * scale, count };
}

/** What a loss wrapper learned from checking its arguments. */
export interface CheckedLossInputs {
  readonly R: number;
  readonly F: number;
  readonly mean: boolean;
  readonly mask: ArrayLike<number | boolean> | null;
}

/**
 * The checks every elementwise loss shares: pred a tensor (non-finite values allowed), target a tensor of pred's shape
 * whose counted values are finite, options known, reduction "mean" or "sum", mask of the right length holding 0/1.
 */
export function checkElementwiseLoss(
  where: string, predName: string, pred: unknown, targetName: string, target: unknown, options: unknown, known: readonly string[],
): CheckedLossInputs {
  expectTensor(where, predName, pred, true);
  expectTensor(where, targetName, target, true);
  if (target.shape.length !== pred.shape.length || target.shape.some((d, k) => d !== pred.shape[k])) {
    expectShape(where, targetName, target.shape, pred.shape);
  }
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
  checkKeys(where, options, known);
  const { reduction = "mean", mask = null } = options as { reduction?: unknown; mask?: unknown };
  if (reduction !== "mean" && reduction !== "sum") throw new TypeError(`${where}: reduction must be "mean" or "sum", got ${JSON.stringify(reduction)}`);
  const shape = pred.shape;
  const n = pred.data.length;
  const F = shape.length > 0 ? shape[shape.length - 1]! : 1;
  const rows = shapeSize(shape.slice(0, -1));
  const R = F > 0 ? n / F : rows;
  if (mask !== null) {
    if (typeof mask !== "object" || typeof (mask as { length?: unknown }).length !== "number") {
      throw new TypeError(`${where}: mask must be an array of 0/1 or booleans, got ${describeKind(mask)}`);
    }
    const m = mask as ArrayLike<unknown>;
    if (m.length !== n && m.length !== rows) {
      throw new ShapeError(`${where}: mask must hold one flag per element of ${predName} ${formatShape(shape)} (${n}) or one per row ${formatShape(shape.slice(0, -1))} (${rows}), got ${m.length}`);
    }
    for (let i = 0; i < m.length; i++) {
      const v = m[i];
      if (v !== 0 && v !== 1 && v !== true && v !== false) throw new RangeError(`${where}: mask[${i}] must be 0, 1, true or false, got ${typeof v === "number" ? v : describeKind(v)}`);
    }
  }
  const checkedMask = mask as ArrayLike<number | boolean> | null;
  const perElement = checkedMask !== null && checkedMask.length === n;
  const t = target.data;
  for (let r = 0; r < R; r++) {
    for (let f = 0, i = r * F; f < F; f++, i++) {
      if (counts(checkedMask, perElement, r, i) && !Number.isFinite(t[i]!)) {
        throw new RangeError(`${where}: ${targetName} must be finite, got ${t[i]} at ${formatShape(unravel(i, shape))}`);
      }
    }
  }
  return { R, F, mean: reduction === "mean", mask: checkedMask };
}

/**
 * Mean squared error of `pred` against `target` (same shape), as F.mse_loss, with its gradient.
 *
 *   const { loss, dPred } = mseLoss(head.forward(out), target, { mask });   // mask: [T, B] for pred [T, B, F]
 *   head.backward(dPred);
 */
export function mseLoss(pred: Tensor, target: Tensor, options: RegressionLossOptions = {}): RegressionLossResult {
  const { R, F, mean, mask } = checkElementwiseLoss("mseLoss", "pred", pred, "target", target, options, ["reduction", "mask"]);
  const dPred = new Float32Array(pred.data.length);
  const { loss, count } = mseForwardBackward(dPred, pred.data, target.data, R, F, mean, mask);
  return { loss, dPred: { data: dPred, shape: [...pred.shape] }, count };
}

/**
 * Huber loss of `pred` against `target` (same shape), as F.huber_loss: quadratic within δ of the target, linear
 * beyond, so outliers pull with at most δ. With δ = 1 it equals smooth_l1_loss.
 */
export function huberLoss(pred: Tensor, target: Tensor, options: HuberLossOptions = {}): RegressionLossResult {
  const where = "huberLoss";
  const { R, F, mean, mask } = checkElementwiseLoss(where, "pred", pred, "target", target, options, ["reduction", "mask", "delta"]);
  const delta = options.delta ?? 1;
  if (typeof delta !== "number" || !(Number.isFinite(delta) && delta > 0)) throw new RangeError(`${where}: delta must be a finite number > 0, got ${typeof delta === "number" ? delta : describeKind(delta)}`);
  const dPred = new Float32Array(pred.data.length);
  const { loss, count } = huberForwardBackward(dPred, pred.data, target.data, R, F, mean, mask, delta);
  return { loss, dPred: { data: dPred, shape: [...pred.shape] }, count };
}
