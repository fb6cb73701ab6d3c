import { formatShape } from "../errors.js";
import { Rng } from "../tensor/random.js";
import { shapeSize } from "../tensor/tensor.js";
import type { StateDict, LoadOptions } from "./state-dict.js";
import { loadEntries, readEntries } from "./state-dict.js";

/** Fills a new parameter's values (a view of exactly its elements) from the store's generator. */
export type ParamInit = (value: Float32Array, rng: Rng) => void;

/**
 * One named parameter: `value` and `grad` are views into the store's flat `values` and `grads` at `offset`.
 * The views are replaced when the store grows, so read them from the Param at use, never keep them.
 */
export class Param {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly offset: number;
  value: Float32Array;
  grad: Float32Array;

  constructor(name: string, shape: readonly number[], offset: number, values: Float32Array, grads: Float32Array) {
    this.name = name;
    this.shape = [...shape];
    this.size = shapeSize(shape);
    this.offset = offset;
    this.value = values.subarray(offset, offset + this.size);
    this.grad = grads.subarray(offset, offset + this.size);
  }
}

/**
 * All parameters of a model in one flat Float32Array of values and one of gradients, with named views, so an
 * optimizer, gradient clipping or a save treats the whole model as one vector:
 *
 *   const store = new ParamStore(seededRng(1));
 *   const lstm = new LSTM({ inputSize: 8, hiddenSize: 32, name: "rnn" }, store);   // adds rnn.weight_ih_l0, …
 *   const head = new Linear({ inputSize: 32, outputSize: 10, name: "fc" }, store);
 *   clipGradNorm(store.grads, 1.0); adam.step(store.values, store.grads); store.zeroGrad();
 *
 * Layers add their parameters when they are built, initialised from the store's generator in order, so the same
 * seed and the same construction give the same weights. Adding a parameter replaces `values` and `grads` (their
 * contents carry over): take them from the store after the model is built.
 */
export class ParamStore {
  readonly rng: Rng;
  values: Float32Array = new Float32Array(0);
  grads: Float32Array = new Float32Array(0);
  private readonly list: Param[] = [];
  private readonly byName = new Map<string, Param>();

  constructor(rng: Rng | number = 0) {
    this.rng = typeof rng === "number" ? new Rng(rng) : rng;
  }

  /** The number of scalar parameters. */
  get size(): number {
    return this.values.length;
  }

  /** Every parameter, in the order they were added. */
  get params(): readonly Param[] {
    return this.list;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): Param {
    const p = this.byName.get(name);
    if (p === undefined) throw new RangeError(`ParamStore: no parameter named '${name}' (have ${[...this.byName.keys()].join(", ") || "none"})`);
    return p;
  }

  /** Adds a parameter of `shape` and fills it with `init`. */
  add(name: string, shape: readonly number[], init: ParamInit): Param {
    if (this.byName.has(name)) {
      throw new RangeError(`ParamStore: a parameter named '${name}' already exists; give each layer in a shared store its own name`);
    }
    if (!shape.every((d) => Number.isInteger(d) && d >= 1)) throw new RangeError(`ParamStore: ${name} must have a positive integer shape, got ${formatShape(shape)}`);
    const offset = this.values.length;
    const total = offset + shapeSize(shape);
    const values = new Float32Array(total);
    const grads = new Float32Array(total);
    values.set(this.values);
    grads.set(this.grads);
    const param = new Param(name, shape, offset, values, grads);
    init(param.value, this.rng); // before anything is committed: an init that throws leaves the store as it was
    this.values = values;
    this.grads = grads;
    for (const p of this.list) {
      p.value = values.subarray(p.offset, p.offset + p.size);
      p.grad = grads.subarray(p.offset, p.offset + p.size);
    }
    this.list.push(param);
    this.byName.set(name, param);
    return param;
  }

  /**
   * Moves the store onto `values` and `grads` (each of exactly `size` elements), e.g. views of a SharedArrayBuffer
   * that worker threads read: copies the current values and gradients into them and points every parameter there.
   * Add no parameter afterwards (adding one allocates new, unshared buffers again).
   */
  bind(values: Float32Array, grads: Float32Array): void {
    for (const [what, a] of [["values", values], ["grads", grads]] as const) {
      if (!(a instanceof Float32Array)) throw new TypeError(`ParamStore.bind: ${what} must be a Float32Array, got ${a === null ? "null" : typeof a}`);
      if (a.length !== this.size) throw new RangeError(`ParamStore.bind: ${what} must hold the store's ${this.size} elements, got ${a.length}`);
    }
    if (values.buffer === grads.buffer && values.byteOffset < grads.byteOffset + grads.byteLength && grads.byteOffset < values.byteOffset + values.byteLength) {
      throw new RangeError("ParamStore.bind: values and grads overlap");
    }
    values.set(this.values);
    grads.set(this.grads);
    this.values = values;
    this.grads = grads;
    for (const p of this.list) {
      p.value = values.subarray(p.offset, p.offset + p.size);
      p.grad = grads.subarray(p.offset, p.offset + p.size);
    }
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    this.grads.fill(0);
  }

  /** Every parameter's values, keyed by name, in PyTorch's state-dict layout. */
  stateDict(): StateDict {
    return readEntries(this.list.map((p) => [p.name, p]), "value");
  }

  /** Every parameter's gradient, in the same layout as stateDict(). */
  gradDict(): StateDict {
    return readEntries(this.list.map((p) => [p.name, p]), "grad");
  }

  /** Loads values by name; checks every key, shape and value first and changes nothing if any is wrong. */
  loadStateDict(dict: unknown, options: LoadOptions = {}): void {
    loadEntries("ParamStore.loadStateDict", this.list.map((p) => [p.name, p]), dict, options);
  }
}
