import type { Cell, Tape } from "../cells/cell.js";
import { describeKind, expectShape, formatShape } from "../errors.js";
import type { Param } from "../params/param-store.js";
import { broadcastRows } from "../tensor/elementwise.js";
import type { PackedMatrix } from "../tensor/gemm.js";
import { gemmPacked, packMatrix } from "../tensor/gemm.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor } from "../tensor/tensor.js";

/** stepIds keeps a transposed copy of the first layer's W_ih up to this many weights (4 Mi: 16 MB). */
const ID_COLUMNS_MAX = 1 << 22;

/** The parameters of one (forward-direction) layer, as the stream reads them. */
export interface StreamLayer {
  readonly wIh: Param;   // [G*H, In]
  readonly wHh: Param;   // [G*H, H]
  readonly bIh: Param | null;
  readonly bHh: Param | null;
  readonly inSize: number;
}

/** A stream's state: h (and c for LSTM), each [L, B, H]. */
export interface StreamState {
  readonly h: Tensor;
  readonly c?: Tensor;
}

/**
 * Runs a unidirectional recurrent layer one time step at a time for B independent streams, carrying the state
 * between calls: text generation, online tagging, live forecasting. Made by `layer.stream(B)`.
 *
 *   const s = lstm.stream(1);
 *   for (const x of frames) { const h = s.step(x); … }   // h: [B, H] of the top layer, valid until the next step
 *
 * The same kernels as `forward`, so a stream gives bit for bit the outputs and states of running the whole sequence
 * at once. Nothing is allocated per step: every buffer is made when the stream is (the first layer's input weights
 * for `step` or `stepIds`, at the first call of each).
 *
 * A stream reads the weight matrices when it is made, into float64 panels that a batch-1 step multiplies faster than
 * the float32 weights (see gemmPacked; a matrix over 2^26 elements is read in place instead). After changing the
 * layer's weights (an optimizer step, a loadStateDict), call `refresh()` or make a new stream; the biases are always
 * read live.
 */
export class RecurrentStream {
  readonly batchSize: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  private readonly cell: Cell;
  private readonly layers: readonly StreamLayer[];
  private readonly tapes: Tape[];
  private readonly where: string;
  private readonly top: Float32Array; // view of the top layer's current h, [B, H]
  private readonly packedIh: Array<PackedMatrix | null>;   // W_ihᵀ per layer; the first layer's only once `step` needs it (stepIds reads idColumns)
  private readonly packedHh: PackedMatrix[];               // W_hhᵀ per layer
  private idColumns: Float32Array | null = null;           // W_ihᵀ of the first layer [I, G] for stepIds: a token's column as one row

  /** Use `layer.stream(batchSize)`. */
  constructor(where: string, cell: Cell, layers: readonly StreamLayer[], inputSize: number, hiddenSize: number, batchSize: number) {
    this.where = where;
    this.cell = cell;
    this.layers = layers;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = layers.length;
    this.batchSize = batchSize;
    const B = batchSize, H = hiddenSize, G = cell.gates * H;
    const hp = new Float32Array(B * G);
    this.tapes = layers.map(() => ({
      T: 1, B, H,
      xp: new Float32Array(B * G),
      hp,
      h: new Float32Array(2 * B * H),            // h[0]: the state; a step writes h[1] and copies it back
      c: new Float32Array(cell.hasCellState ? 2 * B * H : 0),
      acts: new Float32Array(B * cell.actsPerUnit * H),
    }));
    this.top = this.tapes[this.tapes.length - 1]!.h.subarray(0, B * H);
    this.packedIh = layers.map(() => null);
    this.packedHh = [];
    this.refresh();
  }

  /** Reads the layer's weight matrices again (after they changed). The state is kept. */
  refresh(): void {
    const H = this.hiddenSize, G = this.cell.gates * H;
    this.layers.forEach((layer, l) => {
      if (l > 0) this.packedIh[l] = packMatrix(true, H, G, layer.wIh.value, 0, H, this.packedIh[l] ?? null);
      this.packedHh[l] = packMatrix(true, H, G, layer.wHh.value, 0, H, this.packedHh[l] ?? null);
    });
    this.packedIh[0] = null;   // packed again by the next `step` (a large one-hot vocabulary never needs it)
    if (this.idColumns !== null) this.transposeIds(this.idColumns);
  }

  /** into[id·G + g] = W_ih[g, id] of the first layer: what stepIds reads, one contiguous row per token. */
  private transposeIds(into: Float32Array): Float32Array {
    const I = this.inputSize, G = this.cell.gates * this.hiddenSize, w = this.layers[0]!.wIh.value;
    for (let g = 0; g < G; g++) for (let id = 0; id < I; id++) into[id * G + g] = w[g * I + id]!;
    return into;
  }

  /**
   * Advances every stream by one step with input x ([B, I] as a Tensor, or its B·I values). Returns the top layer's
   * new hidden state [B, H]: a view that the next step overwrites (copy it to keep it).
   */
  step(x: Tensor | Float32Array): Float32Array {
    const B = this.batchSize, I = this.inputSize;
    let data: Float32Array;
    if (x instanceof Float32Array) {
      if (x.length !== B * I) throw new RangeError(`${this.where}.step: input must hold B·I = ${B}·${I} = ${B * I} values, got ${x.length}`);
      data = x;
    } else {
      // checked without allocating (this runs every step); the full validators only run to word the error
      const ok = x !== null && typeof x === "object" && x.data instanceof Float32Array && Array.isArray(x.shape)
        && x.shape.length === 2 && x.shape[0] === B && x.shape[1] === I && x.data.length === B * I;
      if (!ok) {
        expectTensor(`${this.where}.step`, "input", x, true);
        expectShape(`${this.where}.step`, "input", x.shape, [B, I]);
      }
      data = x.data;
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new RangeError(`${this.where}.step: input must be finite, got ${data[i]} at [${Math.floor(i / I)}, ${i % I}]`);
    }
    const first = this.layers[0]!, tape = this.tapes[0]!, G = this.cell.gates * this.hiddenSize;
    broadcastRows(tape.xp, 0, G, B, first.bIh?.value ?? null, 0, G);
    const wIh = this.packedIh[0] ??= packMatrix(true, I, G, first.wIh.value, 0, I);
    gemmPacked(false, B, 1, data, 0, I, wIh, 1, tape.xp, 0, G);
    this.advance();
    return this.top;
  }

  /**
   * Advances every stream by one step whose input is a one-hot vector: ids[b] is stream b's hot index in [0, I).
   * The input projection gathers a column of weight_ih instead of multiplying by a mostly-zero vector.
   */
  stepIds(ids: ArrayLike<number>): Float32Array {
    const B = this.batchSize, I = this.inputSize, G = this.cell.gates * this.hiddenSize;
    if (ids === null || typeof ids !== "object" || ids.length !== B) {
      throw new RangeError(`${this.where}.stepIds: ids must hold one index per stream (B=${B}), got ${ids !== null && typeof ids === "object" ? ids.length : describeKind(ids)}`);
    }
    const first = this.layers[0]!, tape = this.tapes[0]!;
    const w = first.wIh.value, bias = first.bIh?.value ?? null, xp = tape.xp;
    for (let b = 0; b < B; b++) {
      const id = ids[b]!;
      if (!Number.isInteger(id) || id < 0 || id >= I) throw new RangeError(`${this.where}.stepIds: ids[${b}] must be an integer in [0, ${I}), got ${id}`);
    }
    // Column id of W_ih is G values I apart: one cache line each. Up to ID_COLUMNS_MAX weights, the stream keeps W_ihᵀ
    // (made at the first stepIds, read again by refresh) so a column is one contiguous row; a larger vocabulary is
    // read in place rather than copied.
    const cols = I * G <= ID_COLUMNS_MAX ? (this.idColumns ??= this.transposeIds(new Float32Array(I * G))) : null;
    // column id of W_ih is src[id·perId + g·stride], g < G
    const src = cols ?? w, perId = cols !== null ? G : 1, stride = cols !== null ? 1 : I;
    for (let b = 0; b < B; b++) {
      const o = ids[b]! * perId;
      // xp[b] = b_ih + W_ih · e_id = b_ih + column id of W_ih (float64 sum, then float32: the same as the dense path)
      for (let g = 0; g < G; g++) xp[b * G + g] = (bias === null ? 0 : bias[g]!) + src[o + g * stride]!;
    }
    this.advance();
    return this.top;
  }

  /** Runs the recurrence of every layer for the step whose layer-0 input projection is in tapes[0].xp. */
  private advance(): void {
    const { cell } = this;
    const B = this.batchSize, H = this.hiddenSize, G = cell.gates * H;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l]!, tape = this.tapes[l]!;
      if (l > 0) {
        // the layer below has already copied its new state into its h[0]
        broadcastRows(tape.xp, 0, G, B, layer.bIh?.value ?? null, 0, G);
        gemmPacked(false, B, 1, this.tapes[l - 1]!.h, 0, H, this.packedIh[l]!, 1, tape.xp, 0, G);
      }
      broadcastRows(tape.hp, 0, G, B, layer.bHh?.value ?? null, 0, G);
      gemmPacked(false, B, 1, tape.h, 0, H, this.packedHh[l]!, 1, tape.hp, 0, G);
      cell.step(tape, 0, B);
      tape.h.copyWithin(0, B * H, 2 * B * H);
      if (cell.hasCellState) tape.c.copyWithin(0, B * H, 2 * B * H);
    }
  }

  /** A copy of the current state: h (and c) [L, B, H]. */
  getState(): StreamState {
    const B = this.batchSize, H = this.hiddenSize, L = this.numLayers;
    const h = new Float32Array(L * B * H);
    const c = this.cell.hasCellState ? new Float32Array(L * B * H) : null;
    this.tapes.forEach((tp, l) => {
      h.set(tp.h.subarray(0, B * H), l * B * H);
      if (c !== null) c.set(tp.c.subarray(0, B * H), l * B * H);
    });
    const shape = [L, B, H];
    return c === null ? { h: { data: h, shape } } : { h: { data: h, shape: [...shape] }, c: { data: c, shape } };
  }

  /** Sets the state (h, and c for LSTM, each [L, B, H]); checks everything first. */
  setState(state: StreamState): void {
    const where = `${this.where}.setState`;
    const B = this.batchSize, H = this.hiddenSize, L = this.numLayers;
    if (state === null || typeof state !== "object") throw new TypeError(`${where}: state must be { h${this.cell.hasCellState ? ", c" : ""} }, got ${describeKind(state)}`);
    expectTensor(where, "h", state.h);
    expectShape(where, "h", state.h.shape, [L, B, H]);
    if (this.cell.hasCellState) {
      if (state.c === undefined) throw new TypeError(`${where}: an LSTM state needs c ${formatShape([L, B, H])}`);
      expectTensor(where, "c", state.c);
      expectShape(where, "c", state.c.shape, [L, B, H]);
    } else if (state.c !== undefined) {
      throw new TypeError(`${where}: this layer has no cell state; got c`);
    }
    this.tapes.forEach((tp, l) => {
      tp.h.set(state.h.data.subarray(l * B * H, (l + 1) * B * H), 0);
      if (state.c !== undefined) tp.c.set(state.c.data.subarray(l * B * H, (l + 1) * B * H), 0);
    });
  }

  /** Zeroes the state of every stream. */
  reset(): void {
    for (const tp of this.tapes) {
      tp.h.fill(0);
      tp.c.fill(0);
    }
  }

  /** A second, independent stream over the same weights (read now), starting from this one's state. */
  clone(): RecurrentStream {
    const s = new RecurrentStream(this.where, this.cell, this.layers, this.inputSize, this.hiddenSize, this.batchSize);
    s.setState(this.getState());
    return s;
  }
}
