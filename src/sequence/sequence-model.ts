import { describeKind, expectShape } from "../errors.js";
import { checkBool, checkKeys, checkPositiveInt } from "../layers/config.js";
import { Dropout, checkDropoutP } from "../layers/dropout.js";
import { Embedding } from "../layers/embedding.js";
import { Linear, linearForwardPacked } from "../layers/linear.js";
import { GRU, LSTM, RNN } from "../layers/recurrent.js";
import type { ForwardOptions, RecurrentOutput } from "../layers/recurrent.js";
import { ParamStore } from "../params/param-store.js";
import { Sampler, checkSettings } from "../decode/sample.js";
import { packMatrix } from "../tensor/gemm.js";
import { Rng, seededRng } from "../tensor/random.js";
import type { RngState } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor } from "../tensor/tensor.js";
import type { MergeMode } from "./merge.js";
import { MERGE_MODES, mergeBackward, mergeForward, mergedWidth } from "./merge.js";
import type { Pooling } from "./pooling.js";
import { POOLINGS, poolBackward, poolForward } from "./pooling.js";

/** The recurrent cell, by PyTorch's mode name in lower case. */
export type CellType = "lstm" | "gru" | "rnn_tanh" | "rnn_relu";
export const CELLS: readonly CellType[] = ["lstm", "gru", "rnn_tanh", "rnn_relu"];

/** Token ids in, through an Embedding. */
export interface TokenInputConfig {
  readonly vocabSize: number;
  readonly embeddingDim: number;
  readonly paddingIdx?: number;
}

/**
 * Token ids in, as one-hot vectors of vocabSize (the character models of brain.js and many tutorials). No one-hot
 * matrix is built: the recurrent layer reads column `id` of its input weights (see RecurrentLayer.forwardIds). The
 * model's `dropout` does not apply to a one-hot input (it still applies between layers and before the head).
 */
export interface OneHotInputConfig {
  readonly vocabSize: number;
  readonly oneHot: true;
}

/** Feature vectors in, [T, B, features]. */
export interface FeatureInputConfig {
  readonly features: number;
}

export interface OutputConfig {
  /** Output width: classes (logits) or regression targets. */
  readonly size: number;
  /** "step": an output at every step [T, B, size] (many-to-many); "sequence": one per sequence [B, size] (many-to-one). */
  readonly per: "step" | "sequence";
  /** For per "sequence": the final state ("last", the default), or the mean or max over each sequence's real steps. */
  readonly pooling?: Pooling;
}

/**
 * A recurrent model for one sequence in, as plain JSON (it is what a model file stores):
 *
 * - many-to-many (tagging, language modelling): `output: { size, per: "step" }`
 * - many-to-one (classification, regression): `output: { size, per: "sequence", pooling: "last" | "mean" | "max" }`
 * - one-to-many (generation from a class or a feature vector): `condition: { size }` maps a vector to the initial
 *   state (h0 = tanh(W·c + b), and c0 likewise for LSTM), with per-step output and `generate`
 * - one-to-one: feature input, T = 1, per-sequence output
 * - bidirectional: any of them with `bidirectional: true` and a `merge` mode for the two directions
 */
export interface SequenceModelConfig {
  readonly input: TokenInputConfig | OneHotInputConfig | FeatureInputConfig;
  readonly cell: CellType;
  readonly hiddenSize: number;
  readonly numLayers?: number;
  readonly bidirectional?: boolean;
  /** How the two directions combine (bidirectional only). Default "concat". */
  readonly merge?: MergeMode;
  /** Dropout after the input, between recurrent layers and before the head, in training forwards. Default 0. */
  readonly dropout?: number;
  readonly output: OutputConfig;
  /** A conditioning vector that sets the initial state (one-to-many); null or absent: none. */
  readonly condition?: { readonly size: number } | null;
}

/** Token ids [T, B], time-major, as any array of integers. */
export interface TokenTensor {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

/** One batch for a SequenceModel: `tokens` or `x` (whichever the model's input is), and the optional extras. */
export interface SequenceInput {
  readonly tokens?: TokenTensor;
  readonly x?: Tensor;
  /** Real length of each sequence (padded batch); default all T. */
  readonly lengths?: ArrayLike<number>;
  /** The conditioning vectors [B, condition.size] (models with `condition` only). */
  readonly condition?: Tensor;
  /**
   * The recurrent initial state, h (and c for LSTM) [L·D, B, H], e.g. the `finalState()` of the previous chunk in
   * truncated BPTT: its values carry over, its gradient does not (the graph is cut there). Not with `condition`.
   */
  readonly state?: { readonly h: Tensor; readonly c?: Tensor };
}

export interface GenerateOptions {
  /** The first tokens of every sequence (e.g. [BOS] or a prompt), [B][≥1]. */
  readonly start: ReadonlyArray<ArrayLike<number>>;
  /** Tokens to generate after the start, at most. */
  readonly maxLength: number;
  /** Stop a sequence when it emits this token (the token is kept). */
  readonly endToken?: number;
  /** The conditioning vectors [B, condition.size] (models with `condition`). */
  readonly condition?: Tensor;
  /** 0 (default) picks the most likely token; otherwise sample from softmax(logits / temperature) with `rng`. */
  readonly temperature?: number;
  /** Sample only among the k most likely tokens (integer ≥ 1; ties with the k-th are kept). Default: all. */
  readonly topK?: number;
  /** Nucleus sampling: only the most likely tokens whose probability sums to topP, in (0, 1]. Default 1 (all). */
  readonly topP?: number;
  /**
   * > 0; 1 (default) is none. Each token already in the sequence (its start included) has its logit z replaced by
   * z/penalty if z > 0, z·penalty otherwise, as Hugging Face's `generate` does; > 1 discourages repeats. Applies at
   * temperature 0 too (greedy over the penalised logits).
   */
  readonly repetitionPenalty?: number;
  /** The random source for sampling (temperature > 0): `seededRng(seed)`. */
  readonly rng?: Rng;
}

interface ForwardRecord {
  readonly T: number;
  readonly B: number;
  readonly lens: Int32Array;
  readonly out: RecurrentOutput;
  readonly merged: Float32Array | null;   // [T, B, F] per-step merged output (mean/max pooling and per-step mul/sum/mean)
  readonly finals: Float32Array | null;   // [B, D*H] top layer's final states ("last" pooling)
  readonly argmax: Int32Array | null;
  readonly condAct: Float32Array | null;  // tanh(W·c + b), [B, k·L·D·H]
  readonly outShape: readonly number[];
}

function normalize(config: SequenceModelConfig): Required<Omit<SequenceModelConfig, "condition">> & { condition: { size: number } | null } {
  const where = "SequenceModel";
  if (config === null || typeof config !== "object") throw new TypeError(`${where}: config must be an object, got ${describeKind(config)}`);
  checkKeys(where, config, ["input", "cell", "hiddenSize", "numLayers", "bidirectional", "merge", "dropout", "output", "condition"]);
  const input = config.input;
  if (input === null || typeof input !== "object") throw new TypeError(`${where}: input must be { vocabSize, embeddingDim }, { vocabSize, oneHot: true } or { features }, got ${describeKind(input)}`);
  if ("features" in input) {
    checkKeys(`${where}: input`, input, ["features"]);
    checkPositiveInt(where, "input.features", input.features);
  } else if ("oneHot" in input) {
    checkKeys(`${where}: input`, input, ["vocabSize", "oneHot"]);
    checkPositiveInt(where, "input.vocabSize", input.vocabSize);
    if (input.oneHot !== true) throw new TypeError(`${where}: input.oneHot must be true (or give embeddingDim instead), got ${JSON.stringify(input.oneHot) ?? describeKind(input.oneHot)}`);
  } else {
    checkKeys(`${where}: input`, input, ["vocabSize", "embeddingDim", "paddingIdx"]);
    checkPositiveInt(where, "input.vocabSize", input.vocabSize);
    checkPositiveInt(where, "input.embeddingDim", input.embeddingDim);
  }
  if (!CELLS.includes(config.cell)) throw new TypeError(`${where}: cell must be one of ${CELLS.join(", ")}, got ${JSON.stringify(config.cell)}`);
  const merge = config.merge ?? "concat";
  if (!MERGE_MODES.includes(merge)) throw new TypeError(`${where}: merge must be one of ${MERGE_MODES.join(", ")}, got ${JSON.stringify(merge)}`);
  const out = config.output;
  if (out === null || typeof out !== "object") throw new TypeError(`${where}: output must be { size, per }, got ${describeKind(out)}`);
  checkKeys(`${where}: output`, out, ["size", "per", "pooling"]);
  checkPositiveInt(where, "output.size", out.size);
  if (out.per !== "step" && out.per !== "sequence") throw new TypeError(`${where}: output.per must be "step" or "sequence", got ${JSON.stringify(out.per)}`);
  if (out.pooling !== undefined && (out.per !== "sequence" || !POOLINGS.includes(out.pooling))) {
    throw new TypeError(`${where}: output.pooling must be one of ${POOLINGS.join(", ")} with per "sequence", got ${JSON.stringify(out.pooling)} with per ${JSON.stringify(out.per)}`);
  }
  const cond = config.condition ?? null;   // null too, so a model's own normalised config builds it again
  if (cond !== null) {
    if (cond === null || typeof cond !== "object") throw new TypeError(`${where}: condition must be { size }, got ${describeKind(cond)}`);
    checkKeys(`${where}: condition`, cond, ["size"]);
    checkPositiveInt(where, "condition.size", cond.size);
  }
  return {
    input: "features" in input ? { features: input.features } : { ...input },
    cell: config.cell,
    hiddenSize: checkPositiveInt(where, "hiddenSize", config.hiddenSize),
    numLayers: config.numLayers === undefined ? 1 : checkPositiveInt(where, "numLayers", config.numLayers),
    bidirectional: checkBool(where, "bidirectional", config.bidirectional, false),
    merge,
    dropout: config.dropout === undefined ? 0 : checkDropoutP(where, config.dropout),
    output: out.per === "sequence" ? { size: out.size, per: "sequence", pooling: out.pooling ?? "last" } : { size: out.size, per: "step" },
    condition: cond === null ? null : { size: cond.size },
  };
}

/**
 * Embedding or features → dropout → RNN/LSTM/GRU stack (optionally bidirectional, conditioned initial state) →
 * merge → per-step output, or pooling → one output per sequence → dropout → Linear head. Its parameters live in one
 * ParamStore under PyTorch-style names (embedding.weight, rnn.weight_ih_l0, condition.weight, head.weight, …).
 *
 *   const model = new SequenceModel({ input: { vocabSize: 50, embeddingDim: 16 }, cell: "lstm", hiddenSize: 64,
 *                                     output: { size: 3, per: "sequence" } }, 42);
 *   const logits = model.forward({ tokens: { data: ids, shape: [T, B] }, lengths }, { training: true });  // [B, 3]
 *   const { loss, dLogits } = softmaxCrossEntropy(logits, labels);
 *   model.store.zeroGrad(); model.backward(dLogits); adam.step(model.store.values, model.store.grads);
 */
export class SequenceModel {
  readonly config: ReturnType<typeof normalize>;
  readonly store: ParamStore;
  readonly embedding: Embedding | null;
  readonly rnn: RNN | LSTM | GRU;
  readonly conditioner: Linear | null;
  readonly head: Linear;
  private readonly dropIn: Dropout | null;
  private readonly dropOut: Dropout | null;
  private readonly D: number;
  private readonly F: number;     // merged feature width
  private last: ForwardRecord | null = null;

  /** `seedOrStore`: a seed for the model's own ParamStore (default 0), or a store to add its parameters to. */
  constructor(config: SequenceModelConfig, seedOrStore: number | ParamStore = 0) {
    const c = normalize(config);
    this.config = c;
    this.store = seedOrStore instanceof ParamStore ? seedOrStore : new ParamStore(seedOrStore);
    const store = this.store;
    const H = c.hiddenSize, L = c.numLayers;
    this.D = c.bidirectional ? 2 : 1;
    this.F = mergedWidth(c.merge, H, this.D);
    let inSize: number;
    if ("features" in c.input) {
      this.embedding = null;
      inSize = c.input.features;
    } else if ("oneHot" in c.input) {
      this.embedding = null;
      inSize = c.input.vocabSize;
    } else {
      const { vocabSize, embeddingDim, paddingIdx } = c.input;
      this.embedding = new Embedding({ numEmbeddings: vocabSize, embeddingDim, ...(paddingIdx === undefined ? {} : { paddingIdx }), name: "embedding" }, store);
      inSize = embeddingDim;
    }
    const rc = { inputSize: inSize, hiddenSize: H, numLayers: L, bidirectional: c.bidirectional, dropout: c.dropout, name: "rnn" };
    this.rnn = c.cell === "lstm" ? new LSTM(rc, store) : c.cell === "gru" ? new GRU(rc, store)
      : new RNN({ ...rc, nonlinearity: c.cell === "rnn_relu" ? "relu" : "tanh" }, store);
    const k = c.cell === "lstm" ? 2 : 1;
    this.conditioner = c.condition === null ? null : new Linear({ inputSize: c.condition.size, outputSize: k * L * this.D * H, name: "condition" }, store);
    this.head = new Linear({ inputSize: this.F, outputSize: c.output.size, name: "head" }, store);
    this.dropIn = c.dropout > 0 ? new Dropout({ p: c.dropout, seed: store.rng.nextU32() }) : null;
    this.dropOut = c.dropout > 0 ? new Dropout({ p: c.dropout, seed: store.rng.nextU32() }) : null;
  }

  /**
   * The state of every dropout generator in the model (null entries without dropout). Restore it to resume training
   * exactly, or to replay the same masks.
   */
  getRandomState(): { input: RngState | null; rnn: RngState | null; output: RngState | null } {
    return { input: this.dropIn?.getState() ?? null, rnn: this.rnn.getDropoutState(), output: this.dropOut?.getState() ?? null };
  }

  setRandomState(state: { input: RngState | null; rnn: RngState | null; output: RngState | null }): void {
    if (state.input !== null) this.dropIn?.setState(state.input);
    if (state.rnn !== null) this.rnn.setDropoutState(state.rnn);
    if (state.output !== null) this.dropOut?.setState(state.output);
  }

  /** The model's outputs: [T, B, size] per step, or [B, size] per sequence. */
  forward(input: SequenceInput, options: { readonly training?: boolean } = {}): Tensor {
    const where = "SequenceModel.forward";
    const c = this.config;
    if (input === null || typeof input !== "object") throw new TypeError(`${where}: input must be { tokens } or { x }, got ${describeKind(input)}`);
    checkKeys(where, input, ["tokens", "x", "lengths", "condition", "state"]);
    const training = checkBool(where, "training", options?.training, false);
    // ---- the sequence in: [T, B, I], or token ids [T, B] for a one-hot input ----
    let x: Tensor | null = null, ids: ArrayLike<number> | null = null, T: number, B: number;
    if (!("features" in c.input)) {
      const tok = input.tokens;
      if (tok === undefined || input.x !== undefined) throw new TypeError(`${where}: this model reads token ids: pass { tokens: { data, shape: [T, B] } }`);
      if (tok === null || typeof tok !== "object" || !Array.isArray(tok.shape)) throw new TypeError(`${where}: tokens must be { data, shape: [T, B] }, got ${describeKind(tok)}`);
      expectShape(where, "tokens", tok.shape, ["T", "B"]);
      if (this.embedding !== null) x = this.embedding.forward(tok.data, tok.shape);
      else ids = tok.data;             // one-hot: the recurrent layer checks the ids
      T = tok.shape[0]!;
      B = tok.shape[1]!;
    } else {
      if (input.x === undefined || input.tokens !== undefined) throw new TypeError(`${where}: this model reads feature vectors: pass { x: [T, B, ${c.input.features}] }`);
      expectTensor(where, "x", input.x);
      x = input.x;
      if (x.shape.length !== 3) expectShape(where, "x", x.shape, ["T", "B", "I"]);
      T = x.shape[0]!;
      B = x.shape[1]!;
    }
    // ---- conditioned initial state ----
    let condAct: Float32Array | null = null;
    const H = c.hiddenSize, L = c.numLayers, D = this.D;
    let h0: Tensor | undefined, c0: Tensor | undefined;
    if (this.conditioner !== null) {
      if (input.condition === undefined) throw new TypeError(`${where}: this model is conditioned: pass condition [B, ${c.condition!.size}]`);
      expectTensor(where, "condition", input.condition);
      expectShape(where, "condition", input.condition.shape, [B, c.condition!.size]);
      const z = this.conditioner.forward(input.condition).data;
      condAct = z.map(Math.tanh);
      ({ h0, c0 } = splitState(condAct, B, L * D, H, c.cell === "lstm"));
      if (input.state !== undefined) throw new TypeError(`${where}: pass condition or state, not both`);
    } else if (input.condition !== undefined) {
      throw new TypeError(`${where}: this model has no condition input`);
    } else if (input.state !== undefined) {
      if (input.state === null || typeof input.state !== "object") throw new TypeError(`${where}: state must be { h${c.cell === "lstm" ? ", c" : ""} }, got ${describeKind(input.state)}`);
      h0 = input.state.h;       // shapes are checked by the recurrent layer
      c0 = input.state.c;
    }
    const lens = new Int32Array(B).fill(T);
    if (input.lengths !== undefined) for (let b = 0; b < B; b++) lens[b] = input.lengths[b]!; // the recurrent layer checks them
    const opts: { -readonly [K in keyof ForwardOptions]: ForwardOptions[K] } = { training };
    if (h0 !== undefined) opts.h0 = h0;
    if (c0 !== undefined) opts.c0 = c0;
    if (input.lengths !== undefined) opts.lengths = input.lengths;
    const out = x !== null ? this.rnn.forward(this.dropIn !== null ? this.dropIn.forward(x, training) : x, opts)
      : this.rnn.forwardIds(ids!, [T, B], opts);
    // ---- features for the head ----
    let feats: Tensor, merged: Float32Array | null = null, finals: Float32Array | null = null, argmax: Int32Array | null = null;
    const F = this.F, mode = c.merge;
    if (c.output.per === "step" || c.output.pooling !== "last") {
      if (D === 2 && mode !== "concat") {
        merged = new Float32Array(T * B * F);
        mergeForward(merged, out.output.data, T * B, H, mode);
      } else {
        merged = out.output.data;
      }
      if (c.output.per === "step") {
        feats = { data: merged, shape: [T, B, F] };
      } else {
        const pooled = new Float32Array(B * F);
        argmax = new Int32Array(B * F);
        poolForward(pooled, argmax, merged, T, B, F, lens, c.output.pooling as "mean" | "max");
        feats = { data: pooled, shape: [B, F] };
      }
    } else {
      // the top layer's final state in each direction: forward at its last real step, backward after reading to t = 0
      finals = new Float32Array(B * D * H);
      for (let d = 0; d < D; d++) {
        for (let b = 0; b < B; b++) {
          finals.set(out.h.data.subarray((((L - 1) * D + d) * B + b) * H, (((L - 1) * D + d) * B + b + 1) * H), (b * D + d) * H);
        }
      }
      if (D === 2 && mode !== "concat") {
        const m = new Float32Array(B * F);
        mergeForward(m, finals, B, H, mode);
        feats = { data: m, shape: [B, F] };
      } else {
        feats = { data: finals, shape: [B, F] };
      }
    }
    const fd = this.dropOut !== null ? this.dropOut.forward(feats, training) : feats;
    const y = this.head.forward(fd);
    this.last = { T, B, lens, out, merged, finals, argmax, condAct, outShape: y.shape };
    return y;
  }

  /** The recurrent layer's final states of the last forward, h (and c) [L·D, B, H]: the next chunk's `state`. */
  finalState(): { h: Tensor; c?: Tensor } {
    const last = this.last;
    if (last === null) throw new Error("SequenceModel.finalState: call forward first");
    const c = (last.out as { c?: Tensor }).c;
    return c === undefined ? { h: last.out.h } : { h: last.out.h, c };
  }

  /**
   * Backpropagates dL/doutput through the whole model, adding every parameter's gradient into the store's grads.
   * Returns dL/dx for feature inputs (unless `inputGrad: false`, which saves a GEMM; Trainer passes it) and
   * dL/dcondition for conditioned models.
   */
  backward(dOutput: Tensor, options: { readonly inputGrad?: boolean } = {}): { dx?: Tensor; dCondition?: Tensor } {
    const where = "SequenceModel.backward";
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
    checkKeys(where, options, ["inputGrad"]);
    // a feature input's gradient only when asked (an embedding always needs its own)
    const inputGrad = this.embedding !== null || checkBool(where, "inputGrad", options.inputGrad, true);
    const last = this.last;
    if (last === null) throw new Error(`${where}: call forward first; backward differentiates the last forward`);
    expectTensor(where, "dOutput", dOutput);
    expectShape(where, "dOutput", dOutput.shape, last.outShape);
    const c = this.config;
    const { T, B, lens, out } = last;
    const H = c.hiddenSize, L = c.numLayers, D = this.D, F = this.F, mode = c.merge;
    const dFd = this.head.backward(dOutput);
    const dFeats = this.dropOut !== null ? this.dropOut.backward(dFd) : dFd;
    const oneHot = "oneHot" in c.input;
    let grads: Omit<ReturnType<typeof this.rnn.backward>, "dInput"> & { dInput?: Tensor };
    if (last.finals !== null) {
      let dFinals = dFeats.data;
      if (D === 2 && mode !== "concat") {
        dFinals = new Float32Array(B * D * H);
        mergeBackward(dFinals, dFeats.data, last.finals, B, H, mode);
      }
      const dh = new Float32Array(L * D * B * H);
      for (let d = 0; d < D; d++) {
        for (let b = 0; b < B; b++) dh.set(dFinals.subarray((b * D + d) * H, (b * D + d + 1) * H), (((L - 1) * D + d) * B + b) * H);
      }
      const final = { dh: { data: dh, shape: [L * D, B, H] } };
      grads = oneHot ? this.rnn.backwardIds(null, final) : this.rnn.backward(null, final, { inputGrad });
    } else {
      let dMerged = dFeats.data;
      if (c.output.per === "sequence") {
        dMerged = new Float32Array(T * B * F);
        poolBackward(dMerged, dFeats.data, last.argmax!, T, B, F, lens, c.output.pooling as "mean" | "max");
      }
      let dOut = dMerged;
      if (D === 2 && mode !== "concat") {
        dOut = new Float32Array(T * B * D * H);
        mergeBackward(dOut, dMerged, out.output.data, T * B, H, mode);
      }
      const dRnnOut = { data: dOut, shape: [T, B, D * H] };
      grads = oneHot ? this.rnn.backwardIds(dRnnOut) : this.rnn.backward(dRnnOut, {}, { inputGrad });
    }
    const result: { dx?: Tensor; dCondition?: Tensor } = {};
    if (this.conditioner !== null && last.condAct !== null) {
      // h0 = tanh(z)  ⇒  dz = dh0 ⊙ (1 − h0²)
      const a = last.condAct, dz = new Float32Array(a.length), LDH = L * D * H;
      const dc0 = (grads as { dc0?: Tensor }).dc0?.data;
      for (let b = 0; b < B; b++) {
        for (let k = 0; k < L * D; k++) {
          for (let j = 0; j < H; j++) {
            const src = (k * B + b) * H + j, at = b * a.length / B + k * H + j;
            dz[at] = grads.dh0.data[src]! * (1 - a[at]! * a[at]!);
            if (dc0 !== undefined) dz[at + LDH] = dc0[src]! * (1 - a[at + LDH]! * a[at + LDH]!);
          }
        }
      }
      result.dCondition = this.conditioner.backward({ data: dz, shape: [B, a.length / B] });
    }
    if (grads.dInput !== undefined && inputGrad) {   // none for a one-hot input, or when not asked for
      const dx = this.dropIn !== null ? this.dropIn.backward(grads.dInput) : grads.dInput;
      if (this.embedding !== null) this.embedding.backward(dx);
      else result.dx = dx;
    }
    return result;
  }

  /**
   * Autoregressive generation for token models with per-step output over the same vocabulary (language models,
   * one-to-many generators): feeds `start`, then its own choices, one step at a time through a RecurrentStream.
   * Returns each sequence's generated tokens (without the start), ending at `endToken` or after `maxLength`.
   */
  generate(options: GenerateOptions): number[][] {
    const where = "SequenceModel.generate";
    const c = this.config;
    if ("features" in c.input || c.output.per !== "step" || c.bidirectional || c.output.size !== c.input.vocabSize) {
      throw new TypeError(`${where}: generation needs a unidirectional model with token input and per-step output over the same vocabulary`);
    }
    checkKeys(where, options, ["start", "maxLength", "endToken", "condition", "temperature", "topK", "topP", "repetitionPenalty", "rng"]);
    const { start, endToken, rng } = options;
    const maxLength = checkPositiveInt(where, "maxLength", options.maxLength);
    const V = c.output.size;
    const settings = checkSettings(where, { ...options, temperature: options.temperature ?? 0 }, V, null);
    if (settings.temperature > 0 && !(rng instanceof Rng)) throw new TypeError(`${where}: sampling (temperature > 0) needs rng: seededRng(seed), got ${describeKind(rng)}`);
    if (!Array.isArray(start) || start.length < 1) throw new TypeError(`${where}: start must hold the first tokens of each sequence, got ${describeKind(start)}`);
    const B = start.length, H = c.hiddenSize, L = c.numLayers;
    const stream = this.rnn.stream(B);
    if (this.conditioner !== null) {
      if (options.condition === undefined) throw new TypeError(`${where}: this model is conditioned: pass condition [B, ${c.condition!.size}]`);
      expectTensor(where, "condition", options.condition);
      expectShape(where, "condition", options.condition.shape, [B, c.condition!.size]);
      const a = this.conditioner.forward(options.condition).data.map(Math.tanh);
      const { h0, c0 } = splitState(a, B, L, H, c.cell === "lstm");
      stream.setState(c0 === undefined ? { h: h0 } : { h: h0, c: c0 });
    }
    const embedding = this.embedding, E = embedding?.embeddingDim ?? 0;
    const headWeight = packMatrix(true, H, V, this.head.weight.value, 0, H), headBias = this.head.bias?.value ?? null;
    const x = new Float32Array(B * E), logits = new Float32Array(B * V);
    const feed = (ids: ArrayLike<number>): void => {
      for (let b = 0; b < B; b++) {
        const id = ids[b]!;
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`${where}: token ${id} of sequence ${b} is not in [0, ${V})`);
        if (embedding !== null) x.set(embedding.weight.value.subarray(id * E, (id + 1) * E), b * E);
      }
      const h = embedding !== null ? stream.step(x) : stream.stepIds(ids);
      linearForwardPacked(logits, h, headWeight, headBias, B);   // head.forward into the one buffer: nothing allocated per token
    };
    const startLen = Math.max(...start.map((s) => s.length));
    if (start.some((s) => s.length !== startLen || s.length < 1)) throw new RangeError(`${where}: every start sequence must have the same length ≥ 1`);
    for (let t = 0; t < startLen; t++) feed(start.map((s) => s[t]!));
    const outs: number[][] = Array.from({ length: B }, () => []);
    const done = new Array<boolean>(B).fill(false);
    const next = new Array<number>(B).fill(0);
    // the plain argmax, or a Sampler (which at temperature 0 takes the argmax of the penalised logits and draws nothing)
    const plain = settings.temperature === 0 && settings.repetitionPenalty === 1;
    const sampler = plain ? null : new Sampler(V, settings);
    const draws = rng ?? seededRng(0);
    // every token of each sequence so far, start included: what the repetition penalty reads
    const seen = settings.repetitionPenalty === 1 ? null : start.map((s) => Array.from(s as ArrayLike<number>));
    for (let step = 0; step < maxLength && !done.every(Boolean); step++) {
      for (let b = 0; b < B; b++) {
        next[b] = sampler === null ? argmax(logits, b * V, V) : sampler.sample(logits, b * V, draws, seen?.[b]);
        if (!done[b]) {
          outs[b]!.push(next[b]!);
          seen?.[b]!.push(next[b]!);
          if (next[b] === endToken) done[b] = true;
        }
      }
      feed(next);
    }
    return outs;
  }
}

/** h0 (and c0) [LD, B, H] from activations a [B, k·LD·H] laid out [h0 | c0] per row, each [LD, H]. */
function splitState(a: Float32Array, B: number, LD: number, H: number, withCell: boolean): { h0: Tensor; c0?: Tensor } {
  const h0 = new Float32Array(LD * B * H), c0 = withCell ? new Float32Array(LD * B * H) : null;
  const row = a.length / B;
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < LD; k++) {
      for (let j = 0; j < H; j++) {
        h0[(k * B + b) * H + j] = a[b * row + k * H + j]!;
        if (c0 !== null) c0[(k * B + b) * H + j] = a[b * row + LD * H + k * H + j]!;
      }
    }
  }
  const shape = [LD, B, H];
  return c0 === null ? { h0: { data: h0, shape } } : { h0: { data: h0, shape }, c0: { data: c0, shape: [...shape] } };
}

/** The id of the largest of logits[off, off + V), the lowest on ties. */
function argmax(logits: Float32Array, off: number, V: number): number {
  let best = 0;
  for (let j = 1; j < V; j++) if (logits[off + j]! > logits[off + best]!) best = j;
  return best;
}
