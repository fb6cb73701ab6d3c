import type { BufferSpec, Resolved } from "./optimizer.js";
import { OptimizerBase, booleanOption, numberOption, readOptions } from "./optimizer.js";

/** torch.optim.RMSprop's options, camelCased, with its defaults. */
export interface RMSpropOptions {
  /** Default 1e-2. */
  readonly lr?: number;
  /** Smoothing constant of the running averages. Default 0.99. */
  readonly alpha?: number;
  /** Added to the root mean square; must be > 0. Default 1e-8. */
  readonly eps?: number;
  /** L2 penalty added to the gradient. Default 0. */
  readonly weightDecay?: number;
  /** Default 0. */
  readonly momentum?: number;
  /** Normalise by the estimated variance (mean square minus squared mean) instead of the mean square. Default false. */
  readonly centered?: boolean;
}

const KEYS = ["lr", "alpha", "eps", "weightDecay", "momentum", "centered"];

function parseRMSpropOptions(where: string, given: unknown): Resolved<RMSpropOptions> {
  const o = readOptions(where, given, KEYS);
  const ge0 = (v: number): boolean => v >= 0;
  return {
    lr: numberOption(where, o, "lr", 1e-2, ge0, "≥ 0"),
    alpha: numberOption(where, o, "alpha", 0.99, ge0, "≥ 0"),
    eps: numberOption(where, o, "eps", 1e-8, (v) => v > 0, "> 0"),
    weightDecay: numberOption(where, o, "weightDecay", 0, ge0, "≥ 0"),
    momentum: numberOption(where, o, "momentum", 0, ge0, "≥ 0"),
    centered: booleanOption(where, o, "centered", false),
  };
}

/**
 * RMSprop, as torch.optim.RMSprop. Every buffer starts at 0. For each element:
 *
 *   g ← g + weightDecay·p                                        (if weightDecay ≠ 0)
 *   v ← alpha·v + (1 − alpha)·g²                                 squareAvg
 *   ḡ ← alpha·ḡ + (1 − alpha)·g;  d ← √(v − ḡ²) + eps           gradAvg, if centered
 *                                   d ← √v + eps                 otherwise
 *   b ← momentum·b + g/d;  p ← p − lr·b                          momentumBuffer, if momentum > 0
 *                          p ← p − lr·g/d                        otherwise
 *
 * Unlike SGD the momentum buffer starts at 0, so the first step is lr·g/d either way.
 */
export class RMSprop extends OptimizerBase<Resolved<RMSpropOptions>> {
  constructor(options: RMSpropOptions = {}) {
    super("RMSprop", parseRMSpropOptions("RMSprop", options));
  }

  protected parseOptions(where: string, given: unknown): Resolved<RMSpropOptions> {
    return parseRMSpropOptions(where, given);
  }

  protected bufferSpecs(hp: Resolved<RMSpropOptions>): readonly BufferSpec[] {
    const specs: BufferSpec[] = [{ name: "squareAvg", init: 0, nonNegative: true }];
    if (hp.momentum > 0) specs.push({ name: "momentumBuffer", init: 0, nonNegative: false });
    if (hp.centered) specs.push({ name: "gradAvg", init: 0, nonNegative: false });
    return specs;
  }

  protected update(values: Float32Array, grads: Float32Array): void {
    const { lr, alpha, eps, weightDecay, momentum, centered } = this.hp;
    const n = values.length;
    const sq = this.buffer("squareAvg");
    const buf = this.optionalBuffer("momentumBuffer");  // empty unless momentum > 0
    const avgG = this.optionalBuffer("gradAvg");        // empty unless centered
    for (let i = 0; i < n; i++) {
      const p = values[i]!;
      let g = grads[i]!;
      if (weightDecay !== 0) g += weightDecay * p;
      const v = alpha * sq[i]! + (1 - alpha) * g * g;
      sq[i] = v;
      let d: number;
      if (centered) {
        const m = alpha * avgG[i]! + (1 - alpha) * g;
        avgG[i] = m;
        d = Math.sqrt(v - m * m) + eps;
      } else {
        d = Math.sqrt(v) + eps;
      }
      if (momentum > 0) {
        const b = momentum * buf[i]! + g / d;
        buf[i] = b;
        values[i] = p - lr * b;
      } else {
        values[i] = p - lr * (g / d);
      }
    }
  }
}
