import type { BufferSpec, Resolved } from "./optimizer.js";
import { OptimizerBase, booleanOption, numberOption, readOptions } from "./optimizer.js";

/** torch.optim.SGD's options, camelCased. `lr` is required, as in PyTorch. */
export interface SGDOptions {
  readonly lr: number;
  /** Default 0 (plain gradient descent). */
  readonly momentum?: number;
  /** Default 0. Not applied on the first step, where the momentum buffer starts as the gradient itself. */
  readonly dampening?: number;
  /** L2 penalty added to the gradient. Default 0. */
  readonly weightDecay?: number;
  /** Needs momentum > 0 and dampening 0. Default false. */
  readonly nesterov?: boolean;
}

const KEYS = ["lr", "momentum", "dampening", "weightDecay", "nesterov"];

function parseSGDOptions(where: string, given: unknown): Resolved<SGDOptions> {
  const o = readOptions(where, given, KEYS);
  const ge0 = (v: number): boolean => v >= 0;
  const lr = numberOption(where, o, "lr", undefined, ge0, "≥ 0");
  const momentum = numberOption(where, o, "momentum", 0, ge0, "≥ 0");
  const dampening = numberOption(where, o, "dampening", 0, () => true, "finite");
  const weightDecay = numberOption(where, o, "weightDecay", 0, ge0, "≥ 0");
  const nesterov = booleanOption(where, o, "nesterov", false);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(`${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${momentum} and dampening ${dampening}`);
  }
  return { lr, momentum, dampening, weightDecay, nesterov };
}

/**
 * Stochastic gradient descent with optional momentum, as torch.optim.SGD. For each element, at step t:
 *
 *   g ← g + weightDecay·p                                   (if weightDecay ≠ 0)
 *   b ← g  at t = 1,   momentum·b + (1 − dampening)·g  after (if momentum ≠ 0)
 *   g ← g + momentum·b  with nesterov,  else  g ← b
 *   p ← p − lr·g
 *
 *   const sgd = new SGD({ lr: 0.1, momentum: 0.9 });
 *   sgd.step(store.values, store.grads);
 */
export class SGD extends OptimizerBase<Resolved<SGDOptions>> {
  constructor(options: SGDOptions) {
    super("SGD", parseSGDOptions("SGD", options));
  }

  protected parseOptions(where: string, given: unknown): Resolved<SGDOptions> {
    return parseSGDOptions(where, given);
  }

  protected bufferSpecs(hp: Resolved<SGDOptions>): readonly BufferSpec[] {
    return hp.momentum !== 0 ? [{ name: "momentumBuffer", init: 0, nonNegative: false }] : [];
  }

  protected update(values: Float32Array, grads: Float32Array, t: number): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = this.hp;
    const n = values.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) {
        const p = values[i]!;
        let g = grads[i]!;
        if (weightDecay !== 0) g += weightDecay * p;
        values[i] = p - lr * g;
      }
      return;
    }
    const buf = this.buffer("momentumBuffer");
    for (let i = 0; i < n; i++) {
      const p = values[i]!;
      let g = grads[i]!;
      if (weightDecay !== 0) g += weightDecay * p;
      const b = t === 1 ? g : momentum * buf[i]! + (1 - dampening) * g;
      buf[i] = b;
      g = nesterov ? g + momentum * b : b;
      values[i] = p - lr * g;
    }
  }
}
