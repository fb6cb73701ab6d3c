import type { BufferSpec, OptimizerKind, Resolved } from "./optimizer.js";
import { OptimizerBase, booleanOption, numberOption, readOptions } from "./optimizer.js";
import { describeKind } from "../errors.js";

/** torch.optim.Adam's and AdamW's options, camelCased, with their defaults. */
export interface AdamOptions {
  /** Default 1e-3. */
  readonly lr?: number;
  /** Decay rates of the running averages of g and g², each in [0, 1). Default [0.9, 0.999]. */
  readonly betas?: readonly [number, number];
  /** Added to the denominator; must be > 0. Default 1e-8. */
  readonly eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay p ← p·(1 − lr·weightDecay) (default 1e-2). */
  readonly weightDecay?: number;
  /** Normalise by the largest second moment seen so far (AMSGrad). Default false. */
  readonly amsgrad?: boolean;
}

/** The options as held: betas as a plain pair. */
export type AdamSettings = Omit<Resolved<AdamOptions>, "betas"> & { betas: [number, number] };

const KEYS = ["lr", "betas", "eps", "weightDecay", "amsgrad"];

function parseAdamOptions(where: string, given: unknown, defaultWeightDecay: number): AdamSettings {
  const o = readOptions(where, given, KEYS);
  const ge0 = (v: number): boolean => v >= 0;
  const lr = numberOption(where, o, "lr", 1e-3, ge0, "≥ 0");
  const b = o["betas"] === undefined ? [0.9, 0.999] : o["betas"];
  if (!Array.isArray(b) || b.length !== 2 || typeof b[0] !== "number" || typeof b[1] !== "number") {
    const got = Array.isArray(b) ? `[${b.map(String).join(", ")}]` : describeKind(b);
    throw new TypeError(`${where}: betas must be [beta1, beta2], got ${got}`);
  }
  const [beta1, beta2] = b as [number, number];
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
    throw new RangeError(`${where}: betas must each be in [0, 1), got [${beta1}, ${beta2}]`);
  }
  const eps = numberOption(where, o, "eps", 1e-8, (v) => v > 0, "> 0");
  const weightDecay = numberOption(where, o, "weightDecay", defaultWeightDecay, ge0, "≥ 0");
  const amsgrad = booleanOption(where, o, "amsgrad", false);
  return { lr, betas: [beta1, beta2], eps, weightDecay, amsgrad };
}

/**
 * Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW. m, v (and v̂max) start at 0. For each element, at
 * step t = 1, 2, …:
 *
 *   p ← p·(1 − lr·weightDecay)                        AdamW (decoupled decay, before the update)
 *   g ← g + weightDecay·p                             Adam (L2 penalty, if weightDecay ≠ 0)
 *   m ← β1·m + (1 − β1)·g                             expAvg
 *   v ← β2·v + (1 − β2)·g²                            expAvgSq
 *   vmax ← max(vmax, v);  v ← vmax                    maxExpAvgSq, if amsgrad
 *   p ← p − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + eps)  bias-corrected
 */
export abstract class AdamBase extends OptimizerBase<AdamSettings> {
  private readonly decoupled: boolean;
  private readonly defaultWeightDecay: number;

  protected constructor(kind: OptimizerKind, options: AdamOptions, decoupled: boolean, defaultWeightDecay: number) {
    super(kind, parseAdamOptions(kind, options, defaultWeightDecay));
    this.decoupled = decoupled;
    this.defaultWeightDecay = defaultWeightDecay;
  }

  protected parseOptions(where: string, given: unknown): AdamSettings {
    return parseAdamOptions(where, given, this.defaultWeightDecay);
  }

  protected bufferSpecs(hp: AdamSettings): readonly BufferSpec[] {
    const specs: BufferSpec[] = [{ name: "expAvg", init: 0, nonNegative: false }, { name: "expAvgSq", init: 0, nonNegative: true }];
    if (hp.amsgrad) specs.push({ name: "maxExpAvgSq", init: 0, nonNegative: true });
    return specs;
  }

  protected update(values: Float32Array, grads: Float32Array, t: number): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay, amsgrad } = this.hp;
    const n = values.length;
    const mBuf = this.buffer("expAvg"), vBuf = this.buffer("expAvgSq");
    const vMaxBuf = this.optionalBuffer("maxExpAvgSq");  // empty unless amsgrad
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    const decay = 1 - lr * weightDecay;
    const coupled = !this.decoupled && weightDecay !== 0;
    if (!this.decoupled && !coupled && !amsgrad) {
      // plain Adam, the common case: the same arithmetic as below without the per-element branches
      for (let i = 0; i < n; i++) {
        const g = grads[i]!;
        const m = beta1 * mBuf[i]! + (1 - beta1) * g;
        const v = beta2 * vBuf[i]! + (1 - beta2) * g * g;
        mBuf[i] = m;
        vBuf[i] = v;
        values[i] = values[i]! - stepSize * (m / (Math.sqrt(v) / bc2Sqrt + eps));
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      let p = values[i]!;
      let g = grads[i]!;
      if (this.decoupled) p *= decay;
      else if (coupled) g += weightDecay * p;
      const m = beta1 * mBuf[i]! + (1 - beta1) * g;
      let v = beta2 * vBuf[i]! + (1 - beta2) * g * g;
      mBuf[i] = m;
      vBuf[i] = v;
      if (amsgrad) {
        v = Math.max(vMaxBuf[i]!, v);
        vMaxBuf[i] = v;
      }
      values[i] = p - stepSize * (m / (Math.sqrt(v) / bc2Sqrt + eps));
    }
  }
}

/** Adam with the L2 penalty added to the gradient (weightDecay default 0). See AdamBase for the update. */
export class Adam extends AdamBase {
  constructor(options: AdamOptions = {}) {
    super("Adam", options, false, 0);
  }
}

/** Adam with decoupled weight decay, p ← p·(1 − lr·weightDecay) before the Adam update (weightDecay default 1e-2). */
export class AdamW extends AdamBase {
  constructor(options: AdamOptions = {}) {
    super("AdamW", options, true, 1e-2);
  }
}
