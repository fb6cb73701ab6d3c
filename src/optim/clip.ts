import { describeKind } from "../errors.js";

/**
 * Scales `grads` in place so that their global norm is at most `maxNorm`, as torch.nn.utils.clip_grad_norm_ over
 * all parameters at once, and returns the norm before clipping (for logging and for spotting divergence):
 *
 *   total = ‖grads‖₂  (normType 2)  or  max |gᵢ|  (normType Infinity), accumulated in float64
 *   coef  = maxNorm / (total + 1e-6);   grads ← grads·coef  only when coef < 1
 *
 * The 1e-6 means grads whose norm equals maxNorm are still scaled, by maxNorm/(maxNorm + 1e-6), exactly as PyTorch.
 * A non-finite norm (an Infinity or NaN gradient) is returned and the grads are left unchanged, so the caller can
 * report it and skip the step; PyTorch would instead scale everything by 0 or NaN.
 */
export function clipGradNorm(grads: Float32Array, maxNorm: number, normType: number = 2): number {
  if (!(grads instanceof Float32Array)) throw new TypeError(`clipGradNorm: grads must be a Float32Array, got ${describeKind(grads)}`);
  if (typeof maxNorm !== "number" || !(maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be a number ≥ 0, got ${String(maxNorm)}`);
  if (normType !== 2 && normType !== Infinity) throw new RangeError(`clipGradNorm: normType must be 2 or Infinity, got ${String(normType)}`);
  const n = grads.length;
  let total = 0;
  if (normType === 2) {
    for (let i = 0; i < n; i++) total += grads[i]! * grads[i]!;
    total = Math.sqrt(total);
  } else {
    for (let i = 0; i < n; i++) {
      const a = Math.abs(grads[i]!);
      if (a > total) total = a;
      else if (a !== a) { total = NaN; break; }
    }
  }
  if (!Number.isFinite(total)) return total;
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (let i = 0; i < n; i++) grads[i] = grads[i]! * coef;
  return total;
}

/** Clamps every gradient to [−clipValue, clipValue] in place, as torch.nn.utils.clip_grad_value_ (NaN stays NaN). */
export function clipGradValue(grads: Float32Array, clipValue: number): void {
  if (!(grads instanceof Float32Array)) throw new TypeError(`clipGradValue: grads must be a Float32Array, got ${describeKind(grads)}`);
  if (typeof clipValue !== "number" || !(clipValue >= 0)) throw new RangeError(`clipGradValue: clipValue must be a number ≥ 0, got ${String(clipValue)}`);
  const n = grads.length;
  for (let i = 0; i < n; i++) {
    const g = grads[i]!;
    if (g > clipValue) grads[i] = clipValue;
    else if (g < -clipValue) grads[i] = -clipValue;
  }
}
