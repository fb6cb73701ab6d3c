import { describeKind } from "../errors.js";
import { Rng } from "../tensor/random.js";
import type { RngState } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor } from "../tensor/tensor.js";
import { checkKeys } from "./config.js";

/**
 * Inverted dropout: out = inp ⊙ mask with mask[i] = 1/(1 − p) with probability 1 − p, else 0, so the expected value
 * is unchanged and inference needs no rescaling. Writes the mask for the backward.
 */
export function dropoutForward(out: Float32Array, mask: Float32Array, inp: Float32Array, n: number, p: number, rng: Rng): void {
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    const m = rng.uniform() >= p ? keep : 0;
    mask[i] = m;
    out[i] = inp[i]! * m;
  }
}

/** out = inp ⊙ mask  ⇒  dInp = dOut ⊙ mask. */
export function dropoutBackward(dInp: Float32Array, dOut: Float32Array, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dInp[i] = dOut[i]! * mask[i]!;
}

export function checkDropoutP(where: string, p: unknown): number {
  if (typeof p !== "number" || !(p >= 0 && p < 1)) throw new RangeError(`${where}: dropout probability must be in [0, 1), got ${typeof p === "number" ? p : describeKind(p)}`);
  return p;
}

export interface DropoutConfig {
  /** Probability of zeroing each element, in [0, 1). */
  readonly p: number;
  /** Seed of its own generator. Default 0. */
  readonly seed?: number;
}

/**
 * Dropout as torch.nn.Dropout: active only in `forward(x, true)` (training); in inference it passes x through.
 * Seeded: the same seed and the same calls give the same masks.
 */
export class Dropout {
  readonly p: number;
  private readonly rng: Rng;
  private mask: Float32Array = new Float32Array(0);
  private last: { shape: readonly number[]; training: boolean } | null = null;

  constructor(config: DropoutConfig) {
    if (config === null || typeof config !== "object") throw new TypeError(`Dropout: config must be an object, got ${describeKind(config)}`);
    checkKeys("Dropout", config, ["p", "seed"]);
    this.p = checkDropoutP("Dropout", config.p);
    this.rng = config.seed === undefined ? new Rng(0) : new Rng(config.seed);
  }

  /** The generator's state: save it to resume training exactly, or set it to replay the same masks. */
  getState(): RngState {
    return this.rng.getState();
  }

  setState(state: RngState): void {
    this.rng.setState(state);
  }

  forward(x: Tensor, training: boolean): Tensor {
    expectTensor("Dropout.forward", "input", x);
    const n = x.data.length;
    this.last = { shape: [...x.shape], training };
    if (!training || this.p === 0) return { data: Float32Array.from(x.data), shape: [...x.shape] };
    if (this.mask.length < n) this.mask = new Float32Array(n);
    const out = new Float32Array(n);
    dropoutForward(out, this.mask, x.data, n, this.p, this.rng);
    return { data: out, shape: [...x.shape] };
  }

  backward(dOut: Tensor): Tensor {
    const last = this.last;
    if (last === null) throw new Error("Dropout.backward: call forward first; backward differentiates the last forward");
    expectTensor("Dropout.backward", "dOutput", dOut);
    const n = dOut.data.length;
    if (n !== last.shape.reduce((a, b) => a * b, 1)) throw new RangeError(`Dropout.backward: dOutput must have ${last.shape.reduce((a, b) => a * b, 1)} values like the forward's input, got ${n}`);
    if (!last.training || this.p === 0) return { data: Float32Array.from(dOut.data), shape: [...last.shape] };
    const d = new Float32Array(n);
    dropoutBackward(d, dOut.data, this.mask, n);
    return { data: d, shape: [...last.shape] };
  }
}
