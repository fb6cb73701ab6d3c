import { describeKind, expectShape, formatShape, unravel } from "../errors.js";
import type { Param } from "../params/param-store.js";
import type { ParamStore } from "../params/param-store.js";
import type { LoadOptions, StateDict } from "../params/state-dict.js";
import { loadEntries, readEntries } from "../params/state-dict.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor, shapeSize } from "../tensor/tensor.js";
import { checkKeys, checkName, checkPositiveInt, checkStore } from "./config.js";

export interface EmbeddingConfig {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** This id's row is zero and never receives a gradient (PyTorch's padding_idx). */
  readonly paddingIdx?: number;
  readonly name?: string;
  readonly seed?: number;
}

/**
 * A lookup table, as torch.nn.Embedding: ids [...] → vectors [..., embeddingDim]; weight [numEmbeddings,
 * embeddingDim] starts standard normal. Backward adds into the rows of the ids that were used, and only those.
 */
export class Embedding {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly name: string;
  readonly store: ParamStore;
  readonly weight: Param;
  private readonly where: string;
  private ids: Int32Array = new Int32Array(0);
  private lastShape: readonly number[] | null = null;

  constructor(config: EmbeddingConfig, store?: ParamStore) {
    const where = "Embedding";
    if (config === null || typeof config !== "object") throw new TypeError(`${where}: config must be an object, got ${describeKind(config)}`);
    checkKeys(where, config, ["numEmbeddings", "embeddingDim", "paddingIdx", "name", "seed"]);
    this.numEmbeddings = checkPositiveInt(where, "numEmbeddings", config.numEmbeddings);
    this.embeddingDim = checkPositiveInt(where, "embeddingDim", config.embeddingDim);
    const pad = config.paddingIdx;
    if (pad !== undefined && (!Number.isInteger(pad) || pad < 0 || pad >= this.numEmbeddings)) {
      throw new RangeError(`${where}: paddingIdx must be an integer in [0, ${this.numEmbeddings}), got ${pad}`);
    }
    this.paddingIdx = pad ?? null;
    this.name = checkName(where, config.name);
    this.where = this.name ? `${where}(${this.name})` : where;
    this.store = checkStore(where, store, config.seed);
    const V = this.numEmbeddings, E = this.embeddingDim;
    this.weight = this.store.add(`${this.name ? `${this.name}.` : ""}weight`, [V, E], (v, rng) => {
      for (let i = 0; i < v.length; i++) v[i] = rng.normal();
      if (pad !== undefined) v.fill(0, pad * E, (pad + 1) * E);
    });
  }

  parameters(): Param[] {
    return [this.weight];
  }

  stateDict(): StateDict {
    return readEntries([["weight", this.weight]], "value");
  }

  gradDict(): StateDict {
    return readEntries([["weight", this.weight]], "grad");
  }

  loadStateDict(dict: unknown, options: LoadOptions = {}): void {
    loadEntries(`${this.where}.loadStateDict`, [["weight", this.weight]], dict, options);
  }

  /** ids (integers in [0, numEmbeddings)) of `shape` (default [ids.length]) → [...shape, embeddingDim]. */
  forward(ids: ArrayLike<number>, shape: readonly number[] = [ids?.length ?? 0]): Tensor {
    const where = `${this.where}.forward`;
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") throw new TypeError(`${where}: ids must be an array of integers, got ${describeKind(ids)}`);
    if (!Array.isArray(shape) || shapeSize(shape) !== ids.length) throw new RangeError(`${where}: ${ids.length} ids do not fill shape ${Array.isArray(shape) ? formatShape(shape) : describeKind(shape)}`);
    const V = this.numEmbeddings, E = this.embeddingDim, n = ids.length;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`${where}: ids must be integers in [0, ${V}), got ${id} at ${formatShape(unravel(i, shape))}`);
    }
    if (this.ids.length < n) this.ids = new Int32Array(n);
    const out = new Float32Array(n * E);
    const w = this.weight.value;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      this.ids[i] = id;
      out.set(w.subarray(id * E, (id + 1) * E), i * E);
    }
    this.lastShape = [...shape];
    return { data: out, shape: [...shape, E] };
  }

  /** Adds dOut's rows into the used rows of weight.grad (never the padding row). */
  backward(dOut: Tensor): void {
    const where = `${this.where}.backward`;
    const shape = this.lastShape;
    if (shape === null) throw new Error(`${where}: call forward first; backward differentiates the last forward`);
    expectTensor(where, "dOutput", dOut);
    expectShape(where, "dOutput", dOut.shape, [...shape, this.embeddingDim]);
    const E = this.embeddingDim, g = this.weight.grad, d = dOut.data, n = d.length / E;
    for (let i = 0; i < n; i++) {
      const id = this.ids[i]!;
      if (id === this.paddingIdx) continue;
      const o = id * E, so = i * E;
      for (let j = 0; j < E; j++) g[o + j]! += d[so + j]!;
    }
  }
}
