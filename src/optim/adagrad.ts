import type { BufferSpec, Resolved } from "./optimizer.js";
import { OptimizerBase, numberOption, readOptions } from "./optimizer.js";

/** torch.optim.Adagrad's options, camelCased, with its defaults. */
export interface AdagradOptions {
  /** Default 1e-2. */
  readonly lr?: number;
  /** Step t uses lr / (1 + (t − 1)·lrDecay). Default 0. */
  readonly lrDecay?: number;
  /** L2 penalty added to the gradient. Default 0. */
  readonly weightDecay?: number;
  /** The starting value of the sum of squared gradients. Default 0. */
  readonly initialAccumulatorValue?: number;
  /** Added to the root of the sum; must be > 0. Default 1e-10. */
  readonly eps?: number;
}

const KEYS = ["lr", "lrDecay", "weightDecay", "initialAccumulatorValue", "eps"];

function parseAdagradOptions(where: string, given: unknown): Resolved<AdagradOptions> {
  const o = readOptions(where, given, KEYS);
  const ge0 = (v: number): boolean => v >= 0;
  return {
    lr: numberOption(where, o, "lr", 1e-2, ge0, "≥ 0"),
    lrDecay: numberOption(where, o, "lrDecay", 0, ge0, "≥ 0"),
    weightDecay: numberOption(where, o, "weightDecay", 0, ge0, "≥ 0"),
    initialAccumulatorValue: numberOption(where, o, "initialAccumulatorValue", 0, ge0, "≥ 0"),
    eps: numberOption(where, o, "eps", 1e-10, (v) => v > 0, "> 0"),
  };
}

/**
 * Adagrad, as torch.optim.Adagrad. The sum starts at initialAccumulatorValue. For each element, at step t:
 *
 *   g ← g + weightDecay·p                                   (if weightDecay ≠ 0)
 *   s ← s + g²                                              sum
 *   p ← p − lr/(1 + (t − 1)·lrDecay) · g/(√s + eps)
 */
export class Adagrad extends OptimizerBase<Resolved<AdagradOptions>> {
  constructor(options: AdagradOptions = {}) {
    super("Adagrad", parseAdagradOptions("Adagrad", options));
  }

  protected parseOptions(where: string, given: unknown): Resolved<AdagradOptions> {
    return parseAdagradOptions(where, given);
  }

  protected bufferSpecs(hp: Resolved<AdagradOptions>): readonly BufferSpec[] {
    return [{ name: "sum", init: hp.initialAccumulatorValue, nonNegative: true }];
  }

  protected update(values: Float32Array, grads: Float32Array, t: number): void {
    const { lr, lrDecay, weightDecay, eps } = this.hp;
    const n = values.length;
    const sum = this.buffer("sum");
    const clr = lr / (1 + (t - 1) * lrDecay);
    for (let i = 0; i < n; i++) {
      const p = values[i]!;
      let g = grads[i]!;
      if (weightDecay !== 0) g += weightDecay * p;
      const s = sum[i]! + g * g;
      sum[i] = s;
      values[i] = p - clr * (g / (Math.sqrt(s) + eps));
    }
  }
}
