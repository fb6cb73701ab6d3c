import { describeKind, expectShape } from "../errors.js";
import type { Param } from "../params/param-store.js";
import { ParamStore } from "../params/param-store.js";
import type { LoadOptions, StateDict } from "../params/state-dict.js";
import { loadEntries, readEntries } from "../params/state-dict.js";
import { addColumnSums, broadcastRows } from "../tensor/elementwise.js";
import type { PackedMatrix } from "../tensor/gemm.js";
import { gemm, gemmPacked } from "../tensor/gemm.js";
import { initUniform } from "../tensor/init.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor } from "../tensor/tensor.js";
import { checkBool, checkKeys, checkName, checkPositiveInt, checkStore, ensure } from "./config.js";

/** out[N, O] = inp[N, K] · weight[O, K]ᵀ + bias[O]  (bias may be null) */
export function linearForward(out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null, N: number, K: number, O: number): void {
  broadcastRows(out, 0, O, N, bias, 0, O);
  gemm(false, true, N, O, K, 1, inp, 0, K, weight, 0, K, 1, out, 0, O);
}

/**
 * linearForward with the weight packed once (`packMatrix(true, K, O, weight, 0, K)`): for loops that apply the same
 * layer to one row at a time, such as the head of a generation loop. The same results, bit for bit.
 */
export function linearForwardPacked(out: Float32Array, inp: Float32Array, weight: PackedMatrix, bias: Float32Array | null, N: number): void {
  const O = weight.N;
  broadcastRows(out, 0, O, N, bias, 0, O);
  gemmPacked(false, N, 1, inp, 0, weight.K, weight, 1, out, 0, O);
}

/**
 * Adds into dWeight and dBias; writes dInp (when not null). Reads dOut and the forward's inp.
 *   out = inp·Wᵀ + b  ⇒  dW += dOutᵀ·inp,  db += Σ_n dOut[n],  dInp = dOut·W
 */
export function linearBackward(dInp: Float32Array | null, dWeight: Float32Array, dBias: Float32Array | null, dOut: Float32Array, inp: Float32Array, weight: Float32Array, N: number, K: number, O: number): void {
  gemm(true, false, O, K, N, 1, dOut, 0, O, inp, 0, K, 1, dWeight, 0, K);
  if (dBias !== null) addColumnSums(dBias, 0, dOut, 0, O, N, O);
  if (dInp !== null) gemm(false, false, N, K, O, 1, dOut, 0, O, weight, 0, K, 0, dInp, 0, K);
}

/** An activation applied after the affine map. */
export type Activation = "none" | "tanh" | "relu" | "sigmoid";
const ACTIVATIONS: readonly Activation[] = ["none", "tanh", "relu", "sigmoid"];

export interface LinearConfig {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Default true. */
  readonly bias?: boolean;
  /** Applied to x·Wᵀ + b (a dense layer). Default "none". */
  readonly activation?: Activation;
  readonly name?: string;
  /** Seed for the layer's own store when none is passed. */
  readonly seed?: number;
}

/**
 * A fully connected layer over the last axis, as torch.nn.Linear: [..., inputSize] → [..., outputSize], weight
 * [outputSize, inputSize] and bias [outputSize] initialised uniform(±1/√inputSize). Applied to a [T, B, H] sequence it
 * is the per-step dense layer (every step shares the weights).
 */
export class Linear {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly name: string;
  readonly store: ParamStore;
  readonly weight: Param;
  readonly bias: Param | null;
  readonly activation: Activation;
  private readonly where: string;
  private out: Float32Array = new Float32Array(0);   // the activation's output, for its derivative
  private inp: Float32Array = new Float32Array(0);
  private lastShape: readonly number[] | null = null;

  constructor(config: LinearConfig, store?: ParamStore) {
    const where = "Linear";
    if (config === null || typeof config !== "object") throw new TypeError(`${where}: config must be an object, got ${describeKind(config)}`);
    checkKeys(where, config, ["inputSize", "outputSize", "bias", "activation", "name", "seed"]);
    const act = config.activation ?? "none";
    if (!ACTIVATIONS.includes(act)) throw new TypeError(`${where}: activation must be one of ${ACTIVATIONS.join(", ")}, got ${JSON.stringify(act)}`);
    this.activation = act;
    this.inputSize = checkPositiveInt(where, "inputSize", config.inputSize);
    this.outputSize = checkPositiveInt(where, "outputSize", config.outputSize);
    const useBias = checkBool(where, "bias", config.bias, true);
    this.name = checkName(where, config.name);
    this.where = this.name ? `${where}(${this.name})` : where;
    this.store = checkStore(where, store, config.seed);
    const prefix = this.name ? `${this.name}.` : "";
    const bound = 1 / Math.sqrt(this.inputSize);
    const K = this.inputSize, O = this.outputSize;
    this.weight = this.store.add(`${prefix}weight`, [O, K], (v, rng) => initUniform(v, 0, O * K, bound, rng));
    this.bias = useBias ? this.store.add(`${prefix}bias`, [O], (v, rng) => initUniform(v, 0, O, bound, rng)) : null;
  }

  parameters(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  /** PyTorch's keys: weight, bias. */
  stateDict(): StateDict {
    return readEntries(this.entries(), "value");
  }

  gradDict(): StateDict {
    return readEntries(this.entries(), "grad");
  }

  loadStateDict(dict: unknown, options: LoadOptions = {}): void {
    loadEntries(`${this.where}.loadStateDict`, this.entries(), dict, options);
  }

  private entries(): Array<readonly [string, Param]> {
    return this.bias ? [["weight", this.weight], ["bias", this.bias]] : [["weight", this.weight]];
  }

  /** x [..., inputSize] → [..., outputSize]; keeps a copy of x for backward. */
  forward(x: Tensor): Tensor {
    const where = `${this.where}.forward`;
    expectTensor(where, "input", x);
    if (x.shape.length < 1) expectShape(where, "input", x.shape, ["N", this.inputSize]);
    expectShape(where, "input", x.shape.slice(-1), [this.inputSize]);
    const N = x.data.length / this.inputSize;
    this.inp = ensure(this.inp, x.data.length);
    this.inp.set(x.data);
    const out = new Float32Array(N * this.outputSize);
    linearForward(out, this.inp, this.weight.value, this.bias?.value ?? null, N, this.inputSize, this.outputSize);
    if (this.activation !== "none") {
      activate(out, out.length, this.activation);
      this.out = ensure(this.out, out.length);
      this.out.set(out);
    }
    this.lastShape = [...x.shape];
    return { data: out, shape: [...x.shape.slice(0, -1), this.outputSize] };
  }

  /** Adds weight and bias gradients; returns dL/dx in the input's shape. */
  backward(dOut: Tensor): Tensor {
    const where = `${this.where}.backward`;
    const shape = this.lastShape;
    if (shape === null) throw new Error(`${where}: call forward first; backward differentiates the last forward`);
    expectTensor(where, "dOutput", dOut);
    expectShape(where, "dOutput", dOut.shape, [...shape.slice(0, -1), this.outputSize]);
    const N = dOut.data.length / this.outputSize;
    const dInp = new Float32Array(N * this.inputSize);
    let dPre = dOut.data;
    if (this.activation !== "none") {
      // y = act(z)  ⇒  dz = dy ⊙ act'(z), from y: tanh' = 1 − y², σ' = y(1 − y), relu' = [y > 0]
      dPre = new Float32Array(dOut.data.length);
      activationBackward(dPre, dOut.data, this.out, dPre.length, this.activation);
    }
    linearBackward(dInp, this.weight.grad, this.bias?.grad ?? null, dPre, this.inp, this.weight.value, N, this.inputSize, this.outputSize);
    return { data: dInp, shape: [...shape] };
  }
}

/** x ← act(x) over x[0, n). */
export function activate(x: Float32Array, n: number, act: Exclude<Activation, "none">): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    x[i] = act === "tanh" ? Math.tanh(v) : act === "relu" ? (v > 0 ? v : 0) : 1 / (1 + Math.exp(-v));
  }
}

/** dz = dy ⊙ act'(z), with the derivative taken from the output y = act(z). */
export function activationBackward(dz: Float32Array, dy: Float32Array, y: Float32Array, n: number, act: Exclude<Activation, "none">): void {
  for (let i = 0; i < n; i++) {
    const o = y[i]!;
    dz[i] = dy[i]! * (act === "tanh" ? 1 - o * o : act === "relu" ? (o > 0 ? 1 : 0) : o * (1 - o));
  }
}
