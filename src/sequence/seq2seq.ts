import { describeKind, expectShape } from "../errors.js";
import { checkBool, checkKeys, checkPositiveInt } from "../layers/config.js";
import { checkDropoutP } from "../layers/dropout.js";
import { Embedding } from "../layers/embedding.js";
import { Linear } from "../layers/linear.js";
import { GRU, LSTM, RNN } from "../layers/recurrent.js";
import type { ForwardOptions, RecurrentInputGrads, RecurrentOutput } from "../layers/recurrent.js";
import type { StreamState } from "../layers/stream.js";
import { ParamStore } from "../params/param-store.js";
import type { Tensor } from "../tensor/tensor.js";
import type { CellType, TokenTensor } from "./sequence-model.js";
import { CELLS } from "./sequence-model.js";

/** An encoder-decoder over token sequences (translation-like tasks), as plain JSON. */
export interface Seq2SeqConfig {
  readonly sourceVocab: number;
  readonly targetVocab: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly numLayers?: number;
  readonly cell: CellType;
  /** Read the source both ways; each layer's two final states are summed into the decoder's initial state. */
  readonly bidirectionalEncoder?: boolean;
  /** Dropout between stacked recurrent layers in training forwards. Default 0. */
  readonly dropout?: number;
}

export interface DecodeOptions {
  /** The token every target starts with. */
  readonly bos: number;
  /** The token that ends a target (kept in the output). */
  readonly eos: number;
  /** The most tokens to produce per sequence. */
  readonly maxLength: number;
}

export interface BeamOptions extends DecodeOptions {
  readonly beamWidth: number;
  /** Hypotheses are ranked by log-probability / length^lengthPenalty (0: no normalisation). Default 1. */
  readonly lengthPenalty?: number;
}

interface Record {
  readonly B: number;
  readonly Ts: number;
  readonly bidi: boolean;
}

/**
 * Encoder (embedding → RNN/LSTM/GRU, optionally bidirectional) whose final state initialises a decoder (embedding →
 * RNN/LSTM/GRU → Linear to target logits). Training uses teacher forcing: `forward(source, targetIn)` gives the logits
 * for every target step; `greedy` and `beamSearch` decode. Parameters are named encoder_embedding.weight,
 * encoder.weight_ih_l0, decoder_embedding.weight, decoder.weight_ih_l0, head.weight, … in one ParamStore.
 */
export class Seq2Seq {
  readonly config: Required<Seq2SeqConfig>;
  readonly store: ParamStore;
  readonly sourceEmbedding: Embedding;
  readonly encoder: RNN | LSTM | GRU;
  readonly targetEmbedding: Embedding;
  readonly decoder: RNN | LSTM | GRU;
  readonly head: Linear;
  private last: Record | null = null;

  constructor(config: Seq2SeqConfig, seedOrStore: number | ParamStore = 0) {
    const where = "Seq2Seq";
    if (config === null || typeof config !== "object") throw new TypeError(`${where}: config must be an object, got ${describeKind(config)}`);
    checkKeys(where, config, ["sourceVocab", "targetVocab", "embeddingDim", "hiddenSize", "numLayers", "cell", "bidirectionalEncoder", "dropout"]);
    if (!CELLS.includes(config.cell)) throw new TypeError(`${where}: cell must be one of ${CELLS.join(", ")}, got ${JSON.stringify(config.cell)}`);
    this.config = {
      sourceVocab: checkPositiveInt(where, "sourceVocab", config.sourceVocab),
      targetVocab: checkPositiveInt(where, "targetVocab", config.targetVocab),
      embeddingDim: checkPositiveInt(where, "embeddingDim", config.embeddingDim),
      hiddenSize: checkPositiveInt(where, "hiddenSize", config.hiddenSize),
      numLayers: config.numLayers === undefined ? 1 : checkPositiveInt(where, "numLayers", config.numLayers),
      cell: config.cell,
      bidirectionalEncoder: checkBool(where, "bidirectionalEncoder", config.bidirectionalEncoder, false),
      dropout: config.dropout === undefined ? 0 : checkDropoutP(where, config.dropout),
    };
    const c = this.config;
    this.store = seedOrStore instanceof ParamStore ? seedOrStore : new ParamStore(seedOrStore);
    const rnn = (name: string, bidirectional: boolean): RNN | LSTM | GRU => {
      const rc = { inputSize: c.embeddingDim, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional, dropout: c.dropout, name };
      return c.cell === "lstm" ? new LSTM(rc, this.store) : c.cell === "gru" ? new GRU(rc, this.store)
        : new RNN({ ...rc, nonlinearity: c.cell === "rnn_relu" ? "relu" : "tanh" }, this.store);
    };
    this.sourceEmbedding = new Embedding({ numEmbeddings: c.sourceVocab, embeddingDim: c.embeddingDim, name: "encoder_embedding" }, this.store);
    this.encoder = rnn("encoder", c.bidirectionalEncoder);
    this.targetEmbedding = new Embedding({ numEmbeddings: c.targetVocab, embeddingDim: c.embeddingDim, name: "decoder_embedding" }, this.store);
    this.decoder = rnn("decoder", false);
    this.head = new Linear({ inputSize: c.hiddenSize, outputSize: c.targetVocab, name: "head" }, this.store);
  }

  /** Encodes the source and returns the decoder's initial state: h (and c) [L, B, H]. */
  encode(source: TokenTensor, sourceLengths?: ArrayLike<number>, training = false): StreamState {
    const where = "Seq2Seq.encode";
    checkTokens(where, "source", source);
    const x = this.sourceEmbedding.forward(source.data, source.shape);
    const opts: { -readonly [K in keyof ForwardOptions]: ForwardOptions[K] } = { training };
    if (sourceLengths !== undefined) opts.lengths = sourceLengths;
    const out: RecurrentOutput & { c?: Tensor } = this.encoder.forward(x, opts);
    const B = source.shape[1]!;
    const h = this.bridge(out.h, B);
    return out.c === undefined ? { h } : { h, c: this.bridge(out.c, B) };
  }

  /** Teacher forcing: logits [T', B, targetVocab] for targetIn [T', B] (e.g. BOS + target without its last token). */
  forward(source: TokenTensor, targetIn: TokenTensor, options: { readonly sourceLengths?: ArrayLike<number>; readonly training?: boolean } = {}): Tensor {
    const where = "Seq2Seq.forward";
    checkKeys(where, options, ["sourceLengths", "training"]);
    checkTokens(where, "targetIn", targetIn);
    const B = source.shape[1];
    if (targetIn.shape[1] !== B) expectShape(where, "targetIn", targetIn.shape, ["T", B ?? "B"]);
    const training = options.training ?? false;
    const state = this.encode(source, options.sourceLengths, training);
    const y = this.targetEmbedding.forward(targetIn.data, targetIn.shape);
    const dopts: { -readonly [K in keyof ForwardOptions]: ForwardOptions[K] } = { h0: state.h, training };
    if (state.c !== undefined) dopts.c0 = state.c;
    const out = this.decoder.forward(y, dopts);
    this.last = { B: B!, Ts: source.shape[0]!, bidi: this.config.bidirectionalEncoder };
    return this.head.forward(out.output);
  }

  /** Backpropagates dL/dlogits through decoder, bridge and encoder into the store's grads. */
  backward(dLogits: Tensor): void {
    const last = this.last;
    if (last === null) throw new Error("Seq2Seq.backward: call forward first; backward differentiates the last forward");
    const dDec = this.head.backward(dLogits);
    const g: RecurrentInputGrads & { dc0?: Tensor } = this.decoder.backward(dDec);
    this.targetEmbedding.backward(g.dInput);
    const dh = this.unbridge(g.dh0, last.B);
    const e = this.encoder.backward(null, g.dc0 === undefined ? { dh } : { dh, dc: this.unbridge(g.dc0, last.B) });
    this.sourceEmbedding.backward(e.dInput);
  }

  /** Greedy decoding: the most likely token at each step, until eos or maxLength. Returns each output sequence. */
  greedy(source: TokenTensor, options: DecodeOptions & { readonly sourceLengths?: ArrayLike<number> }): number[][] {
    const { bos, eos } = options;
    const maxLength = checkPositiveInt("Seq2Seq.greedy", "maxLength", options.maxLength);
    const B = source.shape[1]!, V = this.config.targetVocab;
    const stream = this.decoder.stream(B, this.encode(source, options.sourceLengths));
    const ids = new Array<number>(B).fill(bos);
    const outs: number[][] = Array.from({ length: B }, () => []);
    const done = new Array<boolean>(B).fill(false);
    for (let t = 0; t < maxLength && !done.every(Boolean); t++) {
      const logits = this.logits(stream.step(this.embedRows(ids)), B);
      for (let b = 0; b < B; b++) {
        let best = 0;
        for (let j = 1; j < V; j++) if (logits[b * V + j]! > logits[b * V + best]!) best = j;
        ids[b] = best;
        if (!done[b]) {
          outs[b]!.push(best);
          if (best === eos) done[b] = true;
        }
      }
    }
    return outs;
  }

  /**
   * Beam search for each source sequence: keeps the beamWidth best partial targets by total log-probability,
   * finishes a hypothesis at eos, and returns for each source the best finished one by log-probability /
   * length^lengthPenalty (unfinished ones count at maxLength). beamWidth 1 gives exactly `greedy`.
   */
  beamSearch(source: TokenTensor, options: BeamOptions & { readonly sourceLengths?: ArrayLike<number> }): number[][] {
    const where = "Seq2Seq.beamSearch";
    const K = checkPositiveInt(where, "beamWidth", options.beamWidth);
    const maxLength = checkPositiveInt(where, "maxLength", options.maxLength);
    const alpha = options.lengthPenalty ?? 1;
    if (!(alpha >= 0)) throw new RangeError(`${where}: lengthPenalty must be ≥ 0, got ${alpha}`);
    const { bos, eos } = options;
    const B = source.shape[1]!, V = this.config.targetVocab, H = this.config.hiddenSize, L = this.config.numLayers;
    const init = this.encode(source, options.sourceLengths);
    const results: number[][] = [];
    for (let b = 0; b < B; b++) {
      // every beam starts from source b's encoding
      const pick = (t: Tensor): Tensor => {
        const d = new Float32Array(L * K * H);
        for (let l = 0; l < L; l++) for (let k = 0; k < K; k++) d.set(t.data.subarray((l * B + b) * H, (l * B + b + 1) * H), (l * K + k) * H);
        return { data: d, shape: [L, K, H] };
      };
      const stream = this.decoder.stream(K, init.c === undefined ? { h: pick(init.h) } : { h: pick(init.h), c: pick(init.c) });
      let beams: Array<{ tokens: number[]; score: number }> = [{ tokens: [], score: 0 }];
      const finished: Array<{ tokens: number[]; score: number }> = [];
      const ranked = (x: { tokens: number[]; score: number }): number => x.score / (alpha === 0 ? 1 : Math.max(1, x.tokens.length) ** alpha);
      for (let t = 0; t < maxLength && beams.length > 0; t++) {
        const ids = beams.map((x) => (x.tokens.length === 0 ? bos : x.tokens[x.tokens.length - 1]!));
        while (ids.length < K) ids.push(bos);
        const logits = this.logits(stream.step(this.embedRows(ids)), K);
        const cands: Array<{ parent: number; token: number; score: number }> = [];
        beams.forEach((beam, k) => {
          let m = -Infinity;
          for (let j = 0; j < V; j++) m = Math.max(m, logits[k * V + j]!);
          let s = 0;
          for (let j = 0; j < V; j++) s += Math.exp(logits[k * V + j]! - m);
          const logZ = m + Math.log(s);
          for (let j = 0; j < V; j++) cands.push({ parent: k, token: j, score: beam.score + logits[k * V + j]! - logZ });
        });
        // the K best continuations (ties: lower parent, then lower token, so width 1 is argmax as in greedy);
        // those ending in eos are finished, the others go on
        cands.sort((p, q) => q.score - p.score || p.parent - q.parent || p.token - q.token);
        const next: Array<{ tokens: number[]; score: number; parent: number }> = [];
        for (const cand of cands.slice(0, K)) {
          const tokens = [...beams[cand.parent]!.tokens, cand.token];
          if (cand.token === eos) finished.push({ tokens, score: cand.score });
          else next.push({ tokens, score: cand.score, parent: cand.parent });
        }
        beams = next.map(({ tokens, score }) => ({ tokens, score }));
        if (beams.length === 0) break;
        // reorder the streams' states to follow their parents
        const st = stream.getState();
        const gather = (x: Tensor): Tensor => {
          const d = new Float32Array(x.data.length);
          for (let l = 0; l < L; l++) next.forEach((n, k) => d.set(x.data.subarray((l * K + n.parent) * H, (l * K + n.parent + 1) * H), (l * K + k) * H));
          return { data: d, shape: [...x.shape] };
        };
        stream.setState(st.c === undefined ? { h: gather(st.h) } : { h: gather(st.h), c: gather(st.c) });
        // log-probabilities only fall, so an active beam can at best rank score / maxLength^α (scores are < 0)
        const bestFinished = Math.max(...finished.map(ranked));
        if (beams.every((x) => x.score / maxLength ** alpha <= bestFinished)) break;
      }
      const pool = [...finished, ...beams];
      pool.sort((p, q) => ranked(q) - ranked(p));
      results.push(pool[0]?.tokens ?? []);
    }
    return results;
  }

  /** [LD, B, H] encoder finals → [L, B, H] decoder state (two directions summed). */
  private bridge(t: Tensor, B: number): Tensor {
    const { numLayers: L, hiddenSize: H, bidirectionalEncoder: bidi } = this.config;
    if (!bidi) return t;
    const d = new Float32Array(L * B * H);
    for (let l = 0; l < L; l++) {
      for (let i = 0; i < B * H; i++) d[l * B * H + i] = t.data[(2 * l) * B * H + i]! + t.data[(2 * l + 1) * B * H + i]!;
    }
    return { data: d, shape: [L, B, H] };
  }

  /** The bridge's backward: h = f + b  ⇒  df = db = dh. */
  private unbridge(dt: Tensor, B: number): Tensor {
    const { numLayers: L, hiddenSize: H, bidirectionalEncoder: bidi } = this.config;
    if (!bidi) return dt;
    const d = new Float32Array(2 * L * B * H);
    for (let l = 0; l < L; l++) {
      d.set(dt.data.subarray(l * B * H, (l + 1) * B * H), (2 * l) * B * H);
      d.set(dt.data.subarray(l * B * H, (l + 1) * B * H), (2 * l + 1) * B * H);
    }
    return { data: d, shape: [2 * L, B, H] };
  }

  private embedRows(ids: readonly number[]): Float32Array {
    return this.targetEmbedding.forward(ids, [ids.length]).data;
  }

  private logits(h: Float32Array, B: number): Float32Array {
    return this.head.forward({ data: h, shape: [B, this.config.hiddenSize] }).data;
  }
}

function checkTokens(where: string, what: string, t: TokenTensor): void {
  if (t === null || typeof t !== "object" || !Array.isArray(t.shape)) throw new TypeError(`${where}: ${what} must be { data, shape: [T, B] }, got ${describeKind(t)}`);
  expectShape(where, what, t.shape, ["T", "B"]);
}
