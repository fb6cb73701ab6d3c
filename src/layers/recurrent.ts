import type { Cell, Tape, TapeGrad } from "../cells/cell.js";
import { GruCell } from "../cells/gru-cell.js";
import { LstmCell } from "../cells/lstm-cell.js";
import { RnnCell } from "../cells/rnn-cell.js";
import { describeKind, expectShape, formatShape, unravel } from "../errors.js";
import type { Param, ParamInit } from "../params/param-store.js";
import type { ParamStore } from "../params/param-store.js";
import type { Entries, LoadOptions, StateDict } from "../params/state-dict.js";
import { loadEntries, readEntries } from "../params/state-dict.js";
import { addColumnSums, broadcastRows } from "../tensor/elementwise.js";
import type { PackedMatrix } from "../tensor/gemm.js";
import { gemm, gemmPacked, packMatrix } from "../tensor/gemm.js";
import { initOrthogonal, initUniform, initXavierNormal, initXavierUniform } from "../tensor/init.js";
import { Rng } from "../tensor/random.js";
import type { RngState } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor } from "../tensor/tensor.js";
import { checkBool, checkKeys, checkName, checkPositiveInt, checkStore, ensure } from "./config.js";
import { checkDropoutP, dropoutBackward, dropoutForward } from "./dropout.js";
import type { StreamState } from "./stream.js";
import { RecurrentStream } from "./stream.js";

/** PyTorch's `mode` names for the four recurrent layers. */
export type RecurrentMode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

/** How a weight matrix starts. "pytorch" is uniform(±1/√H), PyTorch's default for every recurrent weight and bias. */
export type WeightInit = "pytorch" | "xavier-uniform" | "xavier-normal" | "orthogonal" | "zeros";

/**
 * Initialisation of a recurrent layer; every field defaults to PyTorch's uniform(±1/√H).
 * "xavier-*" treat weight_ih [G*H, I] as one matrix (fan-in I, fan-out G*H), as nn.init.xavier_uniform_ would;
 * "orthogonal" makes each gate's [H, ·] block (semi-)orthogonal, so each gate's recurrence preserves norm.
 */
export interface RecurrentInit {
  readonly inputWeights?: WeightInit;
  readonly recurrentWeights?: WeightInit;
  readonly bias?: "pytorch" | "zeros";
  /** LSTM only: sets the forget gate's bias_ih rows to this value and its bias_hh rows to 0 (their sum is the bias). */
  readonly forgetBias?: number;
}

/** Options shared by RNN, LSTM and GRU; names and defaults are PyTorch's. */
export interface RecurrentConfig {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Stacked layers; layer k > 0 reads the output of layer k − 1. Default 1. */
  readonly numLayers?: number;
  /** Run each layer both ways; the output is [forward, backward] concatenated. Default false. */
  readonly bidirectional?: boolean;
  /** Input and output are [B, T, ·] instead of [T, B, ·]. States stay [L*D, B, H], as in PyTorch. Default false. */
  readonly batchFirst?: boolean;
  /** Use bias_ih and bias_hh. Default true. */
  readonly bias?: boolean;
  /** Dropout on the output of every layer but the last, in training forwards only (PyTorch's dropout). Default 0. */
  readonly dropout?: number;
  /** Prefix of this layer's parameter names in a shared ParamStore ("rnn" → "rnn.weight_ih_l0"). */
  readonly name?: string;
  /** Seed for the layer's own ParamStore when none is passed. Default 0. */
  readonly seed?: number;
  readonly init?: RecurrentInit;
}

export interface RNNConfig extends RecurrentConfig {
  /** Default "tanh". */
  readonly nonlinearity?: "tanh" | "relu";
}

export interface ForwardOptions {
  /** Initial hidden state [L*D, B, H]; zeros when absent. */
  readonly h0?: Tensor;
  /** LSTM only: initial cell state [L*D, B, H]; zeros when absent. */
  readonly c0?: Tensor;
  /**
   * Real length of each sequence of a padded batch (B integers in [1, T]). Steps past a sequence's length neither
   * change its state nor produce output (those outputs are 0), the final state is the one at its last real step,
   * and the backward direction starts at its real end: PyTorch's packed sequences.
   */
  readonly lengths?: ArrayLike<number>;
  /** Apply the layer's dropout (a training forward). Default false. */
  readonly training?: boolean;
}

export interface RecurrentOutput {
  /** Every step's top-layer output: [T, B, D*H] ([B, T, D*H] with batchFirst). */
  readonly output: Tensor;
  /** Final hidden state of every layer and direction: [L*D, B, H], layer-major, direction-minor. */
  readonly h: Tensor;
}

export interface LSTMOutput extends RecurrentOutput {
  /** Final cell state: [L*D, B, H]. */
  readonly c: Tensor;
}

/** Gradients of the loss with respect to the final states, for backward. */
export interface FinalStateGrads {
  readonly dh?: Tensor;
  readonly dc?: Tensor;
}

export interface RecurrentInputGrads {
  /** dL/dinput, in the input's layout. */
  readonly dInput: Tensor;
  /** dL/dh0: [L*D, B, H]. */
  readonly dh0: Tensor;
}

export interface LSTMInputGrads extends RecurrentInputGrads {
  readonly dc0: Tensor;
}

/** The parameters of one layer and direction. */
interface Direction {
  readonly l: number;
  readonly d: number;
  readonly inSize: number;
  readonly wIh: Param;   // [G*H, In]
  readonly wHh: Param;   // [G*H, H]
  readonly bIh: Param | null;
  readonly bHh: Param | null;
  readonly tape: Tape;
  rin: Float32Array;     // [T, B, In] this direction's input in its processing order (backward direction only)
}

/** What the last forward left for backward. */
interface ForwardRecord {
  readonly T: number;
  readonly B: number;
  readonly lengths: Int32Array | null; // in the caller's batch order
  readonly outputShape: readonly number[];
  readonly inputShape: readonly number[];
  readonly dropped: boolean;          // dropout masks were applied between layers
  readonly ids: boolean;              // layer 0 read one-hot ids (forwardIds)
}

const CONFIG_KEYS = ["inputSize", "hiddenSize", "numLayers", "bidirectional", "batchFirst", "bias", "dropout", "name", "seed", "init", "nonlinearity"];
const INIT_KEYS = ["inputWeights", "recurrentWeights", "bias", "forgetBias"];
const WEIGHT_INITS: readonly WeightInit[] = ["pytorch", "xavier-uniform", "xavier-normal", "orthogonal", "zeros"];

function weightInit(kind: WeightInit, gates: number, H: number, cols: number): ParamInit {
  const rows = gates * H;
  switch (kind) {
    case "pytorch": return (v, rng) => initUniform(v, 0, rows * cols, 1 / Math.sqrt(H), rng);
    case "xavier-uniform": return (v, rng) => initXavierUniform(v, 0, rows, cols, rng);
    case "xavier-normal": return (v, rng) => initXavierNormal(v, 0, rows, cols, rng);
    case "orthogonal": return (v, rng) => { for (let g = 0; g < gates; g++) initOrthogonal(v, g * H * cols, H, cols, rng); };
    case "zeros": return (v) => v.fill(0);
  }
}

/**
 * Runs a cell over batches of sequences: stacking, both directions, padded batches, full backpropagation through
 * time. RNN, LSTM and GRU are this class with a different cell.
 *
 * forward(x [T, B, I]) → output [T, B, D*H] and final states [L*D, B, H]; backward(dOutput, { dh, dc }) → dInput,
 * dh0 (dc0), and adds every parameter's gradient into its `grad` view (zero them with store.zeroGrad()).
 * Buffers are sized for the largest (T, B) seen and reused; the time loop allocates nothing.
 */
export abstract class RecurrentLayer<Out extends RecurrentOutput, Grads extends RecurrentInputGrads> {
  readonly mode: RecurrentMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly bias: boolean;
  readonly dropout: number;
  readonly name: string;
  /** The store holding this layer's parameters (its own unless one was passed in). */
  readonly store: ParamStore;

  protected readonly cell: Cell;
  private readonly where: string;
  private readonly dirs: Direction[] = [];   // index l*D + d
  private readonly entries: Entries;         // PyTorch keys → params

  // Workspace, grown to the largest (T, B) seen and reused.
  private x0: Float32Array = new Float32Array(0);          // [T, B, I] the input, time-major, rows sorted by length
  private ids0: Int32Array = new Int32Array(0);            // [T, B] one-hot ids (forwardIds), same layout
  private idsRev: Int32Array = new Int32Array(0);          // [T, B] the ids in the backward direction's order (−1: padding)
  private layerOut: Float32Array[] = [];                   // [T, B, D*H] per layer
  private hp: Float32Array = new Float32Array(0);          // [B, G*H]
  private dxp: Float32Array = new Float32Array(0);         // [T, B, G*H]
  private dhp: Float32Array = new Float32Array(0);         // [T, B, G*H] (GRU)
  private dLayer: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)]; // [T, B, max(I, D*H)]
  private dXrev: Float32Array = new Float32Array(0);       // [T, B, max(I, D*H)]
  private packedHh: PackedMatrix | null = null;            // W_hhᵀ (forward) or W_hh (backward) of the direction at work
  private readonly grad: TapeGrad = { dh: new Float32Array(0), dhPrev: new Float32Array(0), dc: new Float32Array(0), dxp: new Float32Array(0), dhp: new Float32Array(0) };
  private perm: Int32Array = new Int32Array(0);            // row r of every buffer is batch element perm[r]
  private lens: Int32Array = new Int32Array(0);            // length of row r
  private active: Int32Array = new Int32Array(0);          // active[s]: rows still running at step s
  private last: ForwardRecord | null = null;
  private readonly dropoutRng: Rng | null;
  private masks: Float32Array[] = [];                      // [T, B, D*H] per layer but the last

  protected constructor(kind: string, mode: RecurrentMode, config: RNNConfig, store: ParamStore | undefined) {
    const where = `${kind}`;
    if (config === null || typeof config !== "object") throw new TypeError(`${where}: config must be an object, got ${describeKind(config)}`);
    checkKeys(where, config, mode.startsWith("RNN") ? CONFIG_KEYS : CONFIG_KEYS.filter((k) => k !== "nonlinearity"));
    this.mode = mode;
    this.inputSize = checkPositiveInt(where, "inputSize", config.inputSize);
    this.hiddenSize = checkPositiveInt(where, "hiddenSize", config.hiddenSize);
    this.numLayers = config.numLayers === undefined ? 1 : checkPositiveInt(where, "numLayers", config.numLayers);
    this.bidirectional = checkBool(where, "bidirectional", config.bidirectional, false);
    this.batchFirst = checkBool(where, "batchFirst", config.batchFirst, false);
    this.bias = checkBool(where, "bias", config.bias, true);
    this.dropout = config.dropout === undefined ? 0 : checkDropoutP(where, config.dropout);
    this.name = checkName(where, config.name);
    this.where = this.name ? `${kind}(${this.name})` : kind;
    this.store = checkStore(where, store, config.seed);
    this.cell = mode === "LSTM" ? new LstmCell() : mode === "GRU" ? new GruCell() : new RnnCell(mode === "RNN_RELU" ? "relu" : "tanh");

    const init = config.init ?? {};
    if (init === null || typeof init !== "object") throw new TypeError(`${where}: init must be an object, got ${describeKind(init)}`);
    checkKeys(`${where}: init`, init, INIT_KEYS);
    for (const k of ["inputWeights", "recurrentWeights"] as const) {
      const v = init[k];
      if (v !== undefined && !WEIGHT_INITS.includes(v)) throw new TypeError(`${where}: init.${k} must be one of ${WEIGHT_INITS.join(", ")}, got ${JSON.stringify(v)}`);
    }
    if (init.bias !== undefined && init.bias !== "pytorch" && init.bias !== "zeros") throw new TypeError(`${where}: init.bias must be "pytorch" or "zeros", got ${JSON.stringify(init.bias)}`);
    if (init.forgetBias !== undefined) {
      if (mode !== "LSTM") throw new TypeError(`${where}: init.forgetBias applies to LSTM only`);
      if (!this.bias) throw new TypeError(`${where}: init.forgetBias needs bias: true`);
      if (typeof init.forgetBias !== "number" || !Number.isFinite(init.forgetBias)) throw new RangeError(`${where}: init.forgetBias must be a finite number, got ${init.forgetBias}`);
    }

    const G = this.cell.gates, H = this.hiddenSize, D = this.bidirectional ? 2 : 1;
    const prefix = this.name ? `${this.name}.` : "";
    const taken = [0, 1].flatMap((d) => Array.from({ length: this.numLayers }, (_, l) => `${prefix}weight_ih_l${l}${d ? "_reverse" : ""}`)).find((n) => this.store.has(n));
    if (taken !== undefined) throw new RangeError(`${where}: the store already has a parameter '${taken}'; give each layer in a shared store its own name`);
    const entries: Array<readonly [string, Param]> = [];
    const biasInit = (d: number): ParamInit => (v: Float32Array, rng: Rng) => {
      if (init.bias === "zeros") v.fill(0);
      else initUniform(v, 0, G * H, 1 / Math.sqrt(H), rng);
      if (init.forgetBias !== undefined) v.fill(d === 0 ? init.forgetBias : 0, H, 2 * H);
    };
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : D * H;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d ? "_reverse" : ""}`;
        const add = (key: string, shape: number[], fn: ParamInit): Param => {
          const p = this.store.add(prefix + key + sfx, shape, fn);
          entries.push([key + sfx, p]);
          return p;
        };
        const wIh = add("weight_ih", [G * H, inSize], weightInit(init.inputWeights ?? "pytorch", G, H, inSize));
        const wHh = add("weight_hh", [G * H, H], weightInit(init.recurrentWeights ?? "pytorch", G, H, H));
        const bIh = this.bias ? add("bias_ih", [G * H], biasInit(0)) : null;
        const bHh = this.bias ? add("bias_hh", [G * H], biasInit(1)) : null;
        const e = new Float32Array(0);
        this.dirs.push({ l, d, inSize, wIh, wHh, bIh, bHh, rin: e, tape: { T: 0, B: 0, H, xp: e, hp: e, h: e, c: e, acts: e } });
      }
    }
    this.entries = entries;
    // its own stream, drawn from the store's after the weights, so dropout never shifts any initialisation
    this.dropoutRng = this.dropout > 0 ? new Rng(this.store.rng.nextU32()) : null;
  }

  /** The dropout generator's state (null without dropout): save it to resume training exactly, or replay masks. */
  getDropoutState(): RngState | null {
    return this.dropoutRng?.getState() ?? null;
  }

  setDropoutState(state: RngState): void {
    if (this.dropoutRng === null) throw new TypeError(`${this.where}.setDropoutState: this layer has no dropout`);
    this.dropoutRng.setState(state);
  }

  /** Directions per layer: 2 when bidirectional, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** This layer's parameters, in PyTorch's state-dict order. */
  parameters(): Param[] {
    return this.entries.map(([, p]) => p);
  }

  /** Weights in PyTorch's state-dict layout: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, …_reverse. */
  stateDict(): StateDict {
    return readEntries(this.entries, "value");
  }

  /** Accumulated gradients, in the same layout and keys as stateDict(). */
  gradDict(): StateDict {
    return readEntries(this.entries, "grad");
  }

  /** Loads weights from PyTorch's layout. Every key, shape and value is checked first; on any error nothing changes. */
  loadStateDict(dict: unknown, options: LoadOptions = {}): void {
    loadEntries(`${this.where}.loadStateDict`, this.entries, dict, options);
  }

  /**
   * A stream over this layer's weights that runs one time step at a time for `batchSize` independent sequences,
   * carrying their state (zeros, or `state`) between calls; see RecurrentStream. Unidirectional layers only.
   */
  stream(batchSize: number = 1, state?: StreamState): RecurrentStream {
    const where = `${this.where}.stream`;
    if (this.bidirectional) throw new TypeError(`${where}: a bidirectional layer cannot run step by step (its backward direction reads each sequence from its end); use forward`);
    checkPositiveInt(where, "batchSize", batchSize);
    const s = new RecurrentStream(where, this.cell, this.dirs, this.inputSize, this.hiddenSize, batchSize);
    if (state !== undefined) s.setState(state);
    return s;
  }

  protected abstract makeOutput(output: Tensor, h: Tensor, c: Tensor | null): Out;
  protected abstract makeGrads(dInput: Tensor, dh0: Tensor, dc0: Tensor | null): Grads;

  /** Runs the layer over `input` ([T, B, I], or [B, T, I] with batchFirst) and records what backward needs. */
  forward(input: Tensor, options: ForwardOptions = {}): Out {
    const where = `${this.where}.forward`;
    expectTensor(where, "input", input);
    const dims = expectShape(where, "input", input.shape, this.batchFirst ? ["B", "T", this.inputSize] : ["T", "B", this.inputSize]);
    return this.run(where, dims.T!, dims.B!, input.data, null, [...input.shape], options);
  }

  /**
   * `forward` on one-hot inputs given as ids ([T, B], or [B, T] with batchFirst; each in [0, inputSize)), without
   * building or multiplying the one-hot matrix: the input projection reads a column of weight_ih per token, and the
   * backward adds into those columns. Same numbers as forward(oneHot(ids)); follow it with backwardIds.
   */
  forwardIds(ids: ArrayLike<number>, shape: readonly number[], options: ForwardOptions = {}): Out {
    const where = `${this.where}.forwardIds`;
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") throw new TypeError(`${where}: ids must be an array of integers, got ${describeKind(ids)}`);
    if (!Array.isArray(shape)) throw new TypeError(`${where}: shape must be ${this.batchFirst ? "[B, T]" : "[T, B]"}, got ${describeKind(shape)}`);
    const dims = expectShape(where, "ids", shape, this.batchFirst ? ["B", "T"] : ["T", "B"]);
    const T = dims.T!, B = dims.B!;
    if (ids.length !== T * B) throw new RangeError(`${where}: ${ids.length} ids do not fill shape ${formatShape(shape)}`);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.inputSize) throw new RangeError(`${where}: ids must be integers in [0, ${this.inputSize}), got ${id} at ${formatShape(unravel(i, shape))}`);
    }
    return this.run(where, T, B, null, ids, [...shape, this.inputSize], options);
  }

  private run(where: string, T: number, B: number, dense: Float32Array | null, ids: ArrayLike<number> | null, inputShape: number[], options: ForwardOptions): Out {
    const { cell } = this;
    const H = this.hiddenSize, L = this.numLayers, D = this.numDirections, G = cell.gates * H, I = this.inputSize;
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
    checkKeys(where, options, cell.hasCellState ? ["h0", "c0", "lengths", "training"] : ["h0", "lengths", "training"]);
    const training = checkBool(where, "training", options.training, false);
    const dropped = training && this.dropoutRng !== null && L > 1;
    const { h0, c0 } = options;
    if (h0 !== undefined) {
      expectTensor(where, "h0", h0);
      expectShape(where, "h0", h0.shape, [L * D, "B", H], { B });
    }
    if (c0 !== undefined) {
      expectTensor(where, "c0", c0);
      expectShape(where, "c0", c0.shape, [L * D, "B", H], { B });
    }
    const lengths = options.lengths === undefined ? null : checkLengths(where, options.lengths, T, B);

    // ---- buffers --------------------------------------------------------------------------------------------------
    const TB = T * B;
    if (dense !== null) this.x0 = ensure(this.x0, TB * this.inputSize);
    else {
      this.ids0 = this.ids0.length >= TB ? this.ids0 : new Int32Array(TB);
      if (D === 2) this.idsRev = this.idsRev.length >= TB ? this.idsRev : new Int32Array(TB);
    }
    this.hp = ensure(this.hp, B * G);
    this.perm = this.perm.length >= B ? this.perm : new Int32Array(B);
    this.lens = this.lens.length >= B ? this.lens : new Int32Array(B);
    this.active = this.active.length >= T ? this.active : new Int32Array(T);
    for (let l = 0; l < L; l++) this.layerOut[l] = ensure(this.layerOut[l] ?? new Float32Array(0), TB * D * H);
    for (const dir of this.dirs) {
      const tp = dir.tape;
      tp.T = T;
      tp.B = B;
      tp.xp = ensure(tp.xp, TB * G);
      tp.hp = this.hp;
      tp.h = ensure(tp.h, (T + 1) * B * H);
      if (cell.hasCellState) tp.c = ensure(tp.c, (T + 1) * B * H);
      tp.acts = ensure(tp.acts, TB * cell.actsPerUnit * H);
      if (dir.d === 1 && (dir.l > 0 || dense !== null)) dir.rin = ensure(dir.rin, TB * dir.inSize);
    }
    const { perm, lens, active } = this;
    sortByLength(lengths, T, B, perm, lens, active);

    // ---- the input, time-major with rows in sorted order ----------------------------------------------------------
    if (dense !== null) gatherBatch(this.x0, dense, T, B, I, perm, this.batchFirst);
    else {
      gatherIds(this.ids0, ids!, T, B, perm, this.batchFirst);
      if (D === 2) reverseIds(this.idsRev, this.ids0, T, B, lens);
    }
    const oneHot = dense === null;

    for (let l = 0; l < L; l++) {
      const xin = l === 0 ? this.x0 : this.layerOut[l - 1]!;
      const out = this.layerOut[l]!;
      if (lengths !== null) out.fill(0, 0, TB * D * H);
      for (let d = 0; d < D; d++) {
        const dir = this.dirs[l * D + d]!;
        const { tape, inSize, wIh, wHh, bIh, bHh } = dir;
        const src = d === 0 ? xin : dir.rin;
        if (d === 1 && !(oneHot && l === 0)) reverseSteps(dir.rin, xin, T, B, inSize, lens);
        const k = l * D + d;
        // initial states: row r is batch element perm[r]
        loadState(tape.h, h0?.data ?? null, k, B, H, perm);
        if (cell.hasCellState) loadState(tape.c, c0?.data ?? null, k, B, H, perm);
        // xp[T·B, G·H] = x · W_ihᵀ + b_ih, for every step at once
        if (oneHot && l === 0) {
          gatherColumns(tape.xp, d === 0 ? this.ids0 : this.idsRev, wIh.value, bIh?.value ?? null, TB, G, I);
        } else {
          broadcastRows(tape.xp, 0, G, TB, bIh?.value ?? null, 0, G);
          gemm(false, true, TB, G, inSize, 1, src, 0, inSize, wIh.value, 0, inSize, 1, tape.xp, 0, G);
        }
        const bHhV = bHh?.value ?? null;
        // W_hhᵀ in float64 panels once, for the T per-step products (see gemmPacked)
        const wHhT = this.packedHh = packMatrix(true, H, G, wHh.value, 0, H, this.packedHh);
        for (let s = 0; s < T; s++) {
          const rows = active[s]!;
          // hp[rows, G·H] = h[s] · W_hhᵀ + b_hh
          broadcastRows(tape.hp, 0, G, rows, bHhV, 0, G);
          gemmPacked(false, rows, 1, tape.h, s * B * H, H, wHhT, 1, tape.hp, 0, G);
          cell.step(tape, s, rows);
          if (rows < B) {
            // finished rows: keep their slots clean (they meet zero gradients in the weight GEMMs)
            tape.h.fill(0, ((s + 1) * B + rows) * H, (s + 2) * B * H);
            if (cell.hasCellState) tape.c.fill(0, ((s + 1) * B + rows) * H, (s + 2) * B * H);
          }
        }
        writeOutputs(out, tape.h, T, B, H, D, d, lens);
      }
      if (dropped && l < L - 1) {
        this.masks[l] = ensure(this.masks[l] ?? new Float32Array(0), TB * D * H);
        dropoutForward(out, this.masks[l]!, out, TB * D * H, this.dropout, this.dropoutRng!);
      }
    }

    // ---- results in the caller's layout ---------------------------------------------------------------------------
    const outShape = this.batchFirst ? [B, T, D * H] : [T, B, D * H];
    const output = new Float32Array(TB * D * H);
    scatterBatch(output, this.layerOut[L - 1]!, T, B, D * H, perm, this.batchFirst);
    const hN = new Float32Array(L * D * B * H);
    const cN = cell.hasCellState ? new Float32Array(L * D * B * H) : null;
    for (let k = 0; k < L * D; k++) {
      const tape = this.dirs[k]!.tape;
      storeFinal(hN, tape.h, k, B, H, perm, lens);
      if (cN !== null) storeFinal(cN, tape.c, k, B, H, perm, lens);
    }
    this.last = { T, B, lengths, outputShape: outShape, inputShape, dropped, ids: oneHot };
    const stateShape = [L * D, B, H];
    return this.makeOutput({ data: output, shape: outShape }, { data: hN, shape: stateShape }, cN === null ? null : { data: cN, shape: stateShape });
  }

  /**
   * Backpropagation through time for the last forward. `dOutput` is dL/doutput (null: the loss reads only the
   * final states); `final` holds dL/dh and dL/dc of the final states. Adds every parameter's gradient into its grad
   * view and returns dL/dinput and dL/dh0 (dL/dc0). With `inputGrad: false` dL/dinput is not computed (one GEMM
   * fewer, as PyTorch skips it for an input that does not require grad) and dInput is an empty [0] tensor.
   */
  backward(dOutput: Tensor | null, final: FinalStateGrads = {}, options: { readonly inputGrad?: boolean } = {}): Grads {
    const where = `${this.where}.backward`;
    if (this.last?.ids === true) throw new Error(`${where}: the last forward was forwardIds; use backwardIds (token ids have no input gradient)`);
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
    checkKeys(where, options, ["inputGrad"]);
    return this.runBackward(where, dOutput, final, checkBool(where, "inputGrad", options.inputGrad, true));
  }

  /** backward for the last forwardIds: parameter gradients and dL/dh0 (dL/dc0), no input gradient. */
  backwardIds(dOutput: Tensor | null, final: FinalStateGrads = {}): Omit<Grads, "dInput"> {
    const where = `${this.where}.backwardIds`;
    if (this.last?.ids === false) throw new Error(`${where}: the last forward was forward, not forwardIds; use backward`);
    const { dInput: _, ...rest } = this.runBackward(where, dOutput, final, false);
    return rest;
  }

  private runBackward(where: string, dOutput: Tensor | null, final: FinalStateGrads, inputGrad: boolean): Grads {
    const last = this.last;
    if (last === null) throw new Error(`${where}: call forward first; backward differentiates the last forward`);
    const { cell } = this;
    const { T, B } = last;
    const H = this.hiddenSize, L = this.numLayers, D = this.numDirections, G = cell.gates * H, TB = T * B;
    if (dOutput !== null) {
      expectTensor(where, "dOutput", dOutput);
      expectShape(where, "dOutput", dOutput.shape, last.outputShape);
    }
    if (final === null || typeof final !== "object") throw new TypeError(`${where}: final must be an object, got ${describeKind(final)}`);
    checkKeys(where, final, cell.hasCellState ? ["dh", "dc"] : ["dh"]);
    const { dh: dhN, dc: dcN } = final;
    for (const [what, t] of [["dh", dhN], ["dc", dcN]] as const) {
      if (t === undefined) continue;
      expectTensor(where, what, t);
      expectShape(where, what, t.shape, [L * D, "B", H], { B });
    }

    const maxIn = Math.max(this.inputSize, D * H);
    this.dxp = ensure(this.dxp, TB * G);
    if (cell.splitsRecurrent) this.dhp = ensure(this.dhp, TB * G);
    this.dLayer[0] = ensure(this.dLayer[0], TB * maxIn);
    this.dLayer[1] = ensure(this.dLayer[1], TB * maxIn);
    this.dXrev = ensure(this.dXrev, TB * maxIn);
    const grad = this.grad;
    grad.dh = ensure(grad.dh, B * H);
    grad.dhPrev = ensure(grad.dhPrev, B * H);
    grad.dc = ensure(grad.dc, B * H);
    grad.dxp = this.dxp;
    grad.dhp = cell.splitsRecurrent ? this.dhp : this.dxp;
    const { perm, lens, active } = this;

    // dL/d(top layer output), time-major, sorted rows
    let dOut = this.dLayer[0];
    if (dOutput !== null) gatherBatch(dOut, dOutput.data, T, B, D * H, perm, this.batchFirst);
    const dh0 = new Float32Array(L * D * B * H);
    const dc0 = cell.hasCellState ? new Float32Array(L * D * B * H) : null;

    for (let l = L - 1; l >= 0; l--) {
      const inSize = l === 0 ? this.inputSize : D * H;
      const dIn = dOut === this.dLayer[0] ? this.dLayer[1] : this.dLayer[0];
      dIn.fill(0, 0, TB * inSize);
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const dir = this.dirs[k]!;
        const { tape, wIh, wHh, bIh, bHh } = dir;
        const wHhP = this.packedHh = packMatrix(false, G, H, wHh.value, 0, H, this.packedHh);
        let prevRows = 0;
        for (let s = T - 1; s >= 0; s--) {
          const rows = active[s]!;
          // rows that start here (their last real step) take the final-state gradients
          for (let r = prevRows; r < rows; r++) {
            loadRow(grad.dh, dhN?.data ?? null, k, B, H, perm[r]!, r);
            if (cell.hasCellState) loadRow(grad.dc, dcN?.data ?? null, k, B, H, perm[r]!, r);
          }
          prevRows = rows;
          if (dOutput !== null || l < L - 1) addStepGrad(grad.dh, dOut, s, rows, B, H, D, d, lens);
          cell.backwardStep(tape, grad, s, rows);
          if (rows < B) {
            grad.dxp.fill(0, (s * B + rows) * G, (s + 1) * B * G);
            if (cell.splitsRecurrent) grad.dhp.fill(0, (s * B + rows) * G, (s + 1) * B * G);
          }
          // h[s+1] = f(W_hh·h[s] + …)  ⇒  dh[s] += dhp[s] · W_hh
          gemmPacked(false, rows, 1, grad.dhp, s * B * G, G, wHhP, 1, grad.dhPrev, 0, H);
          const t = grad.dh;
          grad.dh = grad.dhPrev;
          grad.dhPrev = t;
        }
        storeRows(dh0, grad.dh, k, B, H, perm);
        if (dc0 !== null) storeRows(dc0, grad.dc, k, B, H, perm);
        // parameter gradients for all steps at once: dW_hh += dhpᵀ·h[0..T−1], dW_ih += dxpᵀ·x, biases += column sums
        gemm(true, false, G, H, TB, 1, grad.dhp, 0, G, tape.h, 0, H, 1, wHh.grad, 0, H);
        if (grad.dhp === grad.dxp && bHh !== null && bIh !== null) addColumnSums(bHh.grad, 0, grad.dhp, 0, G, TB, G, bIh.grad);
        else {
          if (bHh !== null) addColumnSums(bHh.grad, 0, grad.dhp, 0, G, TB, G);
          if (bIh !== null) addColumnSums(bIh.grad, 0, grad.dxp, 0, G, TB, G);
        }
        if (last.ids && l === 0) {
          // one-hot input: dW_ih[:, id] += dxp row; no input gradient
          scatterColumns(wIh.grad, d === 0 ? this.ids0 : this.idsRev, grad.dxp, TB, G, inSize);
          continue;
        }
        const src = d === 0 ? (l === 0 ? this.x0 : this.layerOut[l - 1]!) : dir.rin;
        gemm(true, false, G, inSize, TB, 1, grad.dxp, 0, G, src, 0, inSize, 1, wIh.grad, 0, inSize);
        if (l === 0 && !inputGrad) continue;
        // dx = dxp · W_ih (the backward direction's steps go back to their time positions)
        if (d === 0) {
          gemm(false, false, TB, inSize, G, 1, grad.dxp, 0, G, wIh.value, 0, inSize, 1, dIn, 0, inSize);
        } else {
          gemm(false, false, TB, inSize, G, 1, grad.dxp, 0, G, wIh.value, 0, inSize, 0, this.dXrev, 0, inSize);
          addReversedSteps(dIn, this.dXrev, T, B, inSize, lens);
        }
      }
      // layer l read layer l−1's output after dropout: out ⊙ mask  ⇒  d(out) = d(input) ⊙ mask
      if (last.dropped && l > 0) dropoutBackward(dIn, dIn, this.masks[l - 1]!, TB * inSize);
      dOut = dIn;
    }

    // after forwardIds there is no input gradient (backwardIds drops this empty placeholder), nor with inputGrad false
    let dInput: Tensor = { data: new Float32Array(0), shape: [0] };
    if (!last.ids && inputGrad) {
      const data = new Float32Array(TB * this.inputSize);
      scatterBatch(data, dOut, T, B, this.inputSize, perm, this.batchFirst);
      dInput = { data, shape: [...last.inputShape] };
    }
    const stateShape = [L * D, B, H];
    return this.makeGrads(dInput, { data: dh0, shape: stateShape }, dc0 === null ? null : { data: dc0, shape: stateShape });
  }
}

// ---- helpers: layout changes at the layer's boundary (run once per call, never per step) ------------------------

/** dst[d, d + n) = src[s, s + n), without making subarray views. */
function copy(dst: Float32Array, d: number, src: Float32Array, s: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}

function checkLengths(where: string, lengths: ArrayLike<number>, T: number, B: number): Int32Array {
  if (lengths === null || typeof lengths !== "object" || typeof lengths.length !== "number") throw new TypeError(`${where}: lengths must be an array of B integers, got ${describeKind(lengths)}`);
  if (lengths.length !== B) throw new RangeError(`${where}: lengths must hold B=${B} values, got ${lengths.length}`);
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > T) throw new RangeError(`${where}: lengths[${b}] must be an integer in [1, T=${T}], got ${n}`);
    out[b] = n;
  }
  return out;
}

/** perm: rows sorted by length, longest first (stable); lens[r]: row r's length; active[s]: rows with length > s. */
function sortByLength(lengths: Int32Array | null, T: number, B: number, perm: Int32Array, lens: Int32Array, active: Int32Array): void {
  for (let b = 0; b < B; b++) perm[b] = b;
  if (lengths === null) {
    lens.fill(T, 0, B);
    active.fill(B, 0, T);
    return;
  }
  const order = Array.from({ length: B }, (_, b) => b).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  for (let r = 0; r < B; r++) {
    perm[r] = order[r]!;
    lens[r] = lengths[order[r]!]!;
  }
  let r = B;
  for (let s = 0; s < T; s++) {
    while (r > 0 && lens[r - 1]! <= s) r--;
    active[s] = r;
  }
}

/** dst[t, r, :] = src at (time t, batch perm[r]), src being [T, B, F] or [B, T, F]. */
function gatherBatch(dst: Float32Array, src: Float32Array, T: number, B: number, F: number, perm: Int32Array, batchFirst: boolean): void {
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < B; r++) {
      const b = perm[r]!;
      const so = batchFirst ? (b * T + t) * F : (t * B + b) * F;
      copy(dst, (t * B + r) * F, src, so, F);
    }
  }
}

/** The inverse of gatherBatch. */
function scatterBatch(dst: Float32Array, src: Float32Array, T: number, B: number, F: number, perm: Int32Array, batchFirst: boolean): void {
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < B; r++) {
      const b = perm[r]!;
      const o = batchFirst ? (b * T + t) * F : (t * B + b) * F;
      const so = (t * B + r) * F;
      copy(dst, o, src, so, F);
    }
  }
}

/** dst[t, r] = ids at (time t, batch perm[r]), ids being [T, B] or [B, T]. */
function gatherIds(dst: Int32Array, ids: ArrayLike<number>, T: number, B: number, perm: Int32Array, batchFirst: boolean): void {
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < B; r++) {
      const b = perm[r]!;
      dst[t * B + r] = ids[batchFirst ? b * T + t : t * B + b]!;
    }
  }
}

/** dst[s, r] = src[len_r − 1 − s, r] for s < len_r, else −1 (no token). */
function reverseIds(dst: Int32Array, src: Int32Array, T: number, B: number, lens: Int32Array): void {
  for (let s = 0; s < T; s++) {
    for (let r = 0; r < B; r++) {
      const n = lens[r]!;
      dst[s * B + r] = s < n ? src[(n - 1 - s) * B + r]! : -1;
    }
  }
}

/** xp[n] = b_ih + W_ih[:, ids[n]] for n < N (b_ih alone for id −1): W_ih·onehot + b_ih without the multiply. */
function gatherColumns(xp: Float32Array, ids: Int32Array, w: Float32Array, bias: Float32Array | null, N: number, G: number, I: number): void {
  for (let n = 0; n < N; n++) {
    const id = ids[n]!, o = n * G;
    for (let g = 0; g < G; g++) xp[o + g] = (bias === null ? 0 : bias[g]!) + (id >= 0 ? w[g * I + id]! : 0);
  }
}

/** dW_ih[:, ids[n]] += dxp[n] for n < N: dW_ih += dxpᵀ·onehot without the multiply. */
function scatterColumns(dw: Float32Array, ids: Int32Array, dxp: Float32Array, N: number, G: number, I: number): void {
  for (let n = 0; n < N; n++) {
    const id = ids[n]!, o = n * G;
    if (id < 0) continue;
    for (let g = 0; g < G; g++) dw[g * I + id]! += dxp[o + g]!;
  }
}

/** dst[s, r] = src[len_r − 1 − s, r] for s < len_r, else 0: each sequence read from its real end. */
function reverseSteps(dst: Float32Array, src: Float32Array, T: number, B: number, F: number, lens: Int32Array): void {
  for (let s = 0; s < T; s++) {
    for (let r = 0; r < B; r++) {
      const o = (s * B + r) * F;
      const n = lens[r]!;
      if (s < n) {
        const so = ((n - 1 - s) * B + r) * F;
        copy(dst, o, src, so, F);
      } else {
        dst.fill(0, o, o + F);
      }
    }
  }
}

/** dst[len_r − 1 − s, r] += src[s, r] for s < len_r. */
function addReversedSteps(dst: Float32Array, src: Float32Array, T: number, B: number, F: number, lens: Int32Array): void {
  for (let r = 0; r < B; r++) {
    const n = lens[r]!;
    for (let s = 0; s < n && s < T; s++) {
      const o = ((n - 1 - s) * B + r) * F, so = (s * B + r) * F;
      for (let i = 0; i < F; i++) dst[o + i]! += src[so + i]!;
    }
  }
}

/** out[t, r, d·H : (d+1)·H] = h[s+1, r] for each real step s of row r (t = s forward, len_r − 1 − s backward). */
function writeOutputs(out: Float32Array, h: Float32Array, T: number, B: number, H: number, D: number, d: number, lens: Int32Array): void {
  for (let r = 0; r < B; r++) {
    const n = lens[r]!;
    for (let s = 0; s < n && s < T; s++) {
      const t = d === 0 ? s : n - 1 - s;
      const so = ((s + 1) * B + r) * H;
      copy(out, (t * B + r) * D * H + d * H, h, so, H);
    }
  }
}

/** dh[r] += dOut[t, r, d·H : (d+1)·H] for rows r < rows at step s. */
function addStepGrad(dh: Float32Array, dOut: Float32Array, s: number, rows: number, B: number, H: number, D: number, d: number, lens: Int32Array): void {
  for (let r = 0; r < rows; r++) {
    const t = d === 0 ? s : lens[r]! - 1 - s;
    const so = (t * B + r) * D * H + d * H, o = r * H;
    for (let j = 0; j < H; j++) dh[o + j]! += dOut[so + j]!;
  }
}

/** buf[0, r] = state[k, perm[r]] (zeros when state is null). */
function loadState(buf: Float32Array, state: Float32Array | null, k: number, B: number, H: number, perm: Int32Array): void {
  for (let r = 0; r < B; r++) loadRow(buf, state, k, B, H, perm[r]!, r);
}

/** buf[r] = state[k, b] (zeros when state is null). */
function loadRow(buf: Float32Array, state: Float32Array | null, k: number, B: number, H: number, b: number, r: number): void {
  if (state === null) buf.fill(0, r * H, (r + 1) * H);
  else copy(buf, r * H, state, (k * B + b) * H, H);
}

/** out[k, perm[r]] = buf[len_r, r]: each row's state after its last real step. */
function storeFinal(out: Float32Array, buf: Float32Array, k: number, B: number, H: number, perm: Int32Array, lens: Int32Array): void {
  for (let r = 0; r < B; r++) {
    const so = (lens[r]! * B + r) * H;
    copy(out, (k * B + perm[r]!) * H, buf, so, H);
  }
}

/** out[k, perm[r]] = buf[r]. */
function storeRows(out: Float32Array, buf: Float32Array, k: number, B: number, H: number, perm: Int32Array): void {
  for (let r = 0; r < B; r++) copy(out, (k * B + perm[r]!) * H, buf, r * H, H);
}

/** Vanilla RNN, h' = tanh or relu(W_ih·x + b_ih + W_hh·h + b_hh), as torch.nn.RNN. */
export class RNN extends RecurrentLayer<RecurrentOutput, RecurrentInputGrads> {
  readonly nonlinearity: "tanh" | "relu";

  constructor(config: RNNConfig, store?: ParamStore) {
    const nl = config?.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") throw new TypeError(`RNN: nonlinearity must be "tanh" or "relu", got ${JSON.stringify(nl)}`);
    super("RNN", nl === "relu" ? "RNN_RELU" : "RNN_TANH", config, store);
    this.nonlinearity = nl;
  }

  protected makeOutput(output: Tensor, h: Tensor): RecurrentOutput {
    return { output, h };
  }

  protected makeGrads(dInput: Tensor, dh0: Tensor): RecurrentInputGrads {
    return { dInput, dh0 };
  }
}

/** Long short-term memory, gate rows i, f, g, o, as torch.nn.LSTM. */
export class LSTM extends RecurrentLayer<LSTMOutput, LSTMInputGrads> {
  constructor(config: RecurrentConfig, store?: ParamStore) {
    super("LSTM", "LSTM", config, store);
  }

  protected makeOutput(output: Tensor, h: Tensor, c: Tensor | null): LSTMOutput {
    if (c === null) throw new Error("LSTM: internal error, no cell state");
    return { output, h, c };
  }

  protected makeGrads(dInput: Tensor, dh0: Tensor, dc0: Tensor | null): LSTMInputGrads {
    if (dc0 === null) throw new Error("LSTM: internal error, no cell-state gradient");
    return { dInput, dh0, dc0 };
  }
}

/** Gated recurrent unit, gate rows r, z, n (reset applied after the recurrent product), as torch.nn.GRU. */
export class GRU extends RecurrentLayer<RecurrentOutput, RecurrentInputGrads> {
  constructor(config: RecurrentConfig, store?: ParamStore) {
    super("GRU", "GRU", config, store);
  }

  protected makeOutput(output: Tensor, h: Tensor): RecurrentOutput {
    return { output, h };
  }

  protected makeGrads(dInput: Tensor, dh0: Tensor): RecurrentInputGrads {
    return { dInput, dh0 };
  }
}
