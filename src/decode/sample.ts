import { describeKind } from "../errors.js";
import { checkKeys } from "../layers/config.js";
import { Rng } from "../tensor/random.js";

/**
 * Choosing the next token from one row of logits: greedy, or sampling with temperature, top-k, top-p (nucleus) and a
 * repetition penalty, with the semantics of Hugging Face's `generate`:
 *
 *   1. repetition penalty (CTRL): each distinct token in `recent` has its logit z replaced by z/penalty if z > 0,
 *      z·penalty otherwise;
 *   2. temperature: z/T (T = 0 means greedy: the argmax of the penalised logits, ties to the lowest id);
 *   3. top-k: keep the tokens whose logit is ≥ the k-th largest (ties with the k-th are kept, as HF's TopKLogitsWarper);
 *   4. top-p: among those, keep the smallest set of most probable tokens whose probability, renormalised over the
 *      top-k survivors, sums to ≥ topP; always at least one;
 *   5. draw from the softmax of the survivors with one `rng.uniform()`.
 *
 * Ordering for top-k/top-p is by logit, descending, ties broken by the lower id, so the support is the same on every
 * run. A logit of −Infinity bans a token; NaN or +Infinity is an error.
 *
 * Logits are read from a row of a bigger buffer, (logits, off) with V values, so a caller passes the head's output
 * directly without a subarray.
 */

export interface SamplerOptions {
  /** ≥ 0; 0 is greedy. Default 1. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens (integer ≥ 1). Default: all. */
  readonly topK?: number;
  /** Nucleus: keep the most likely tokens until their probability reaches topP, in (0, 1]. Default 1 (all). */
  readonly topP?: number;
  /** > 0; 1 is none, > 1 discourages the tokens in `recent`, < 1 encourages them. Default 1. */
  readonly repetitionPenalty?: number;
}

export interface SampleOptions extends SamplerOptions {
  /** The tokens the repetition penalty applies to (e.g. the last 64 generated), ids in [0, V). */
  readonly recent?: ArrayLike<number>;
}

const SAMPLER_KEYS: readonly string[] = ["temperature", "topK", "topP", "repetitionPenalty"];
const SAMPLE_KEYS: readonly string[] = [...SAMPLER_KEYS, "recent"];

function checkRow(where: string, logits: unknown, off: unknown, V: number): void {
  if (!(logits instanceof Float32Array)) throw new TypeError(`${where}: logits must be a Float32Array, got ${describeKind(logits)}`);
  if (typeof off !== "number" || !Number.isInteger(off) || off < 0 || off + V > logits.length) {
    throw new RangeError(`${where}: off must be an integer in [0, ${logits.length - V}] so that V=${V} logits fit in ${logits.length}, got ${typeof off === "number" ? off : describeKind(off)}`);
  }
}

function checkV(where: string, V: unknown): number {
  if (typeof V !== "number" || !Number.isInteger(V) || V < 1) throw new RangeError(`${where}: V must be a positive integer, got ${typeof V === "number" ? V : describeKind(V)}`);
  return V;
}

function badLogit(where: string, v: number, j: number): RangeError {
  return new RangeError(`${where}: logits must be finite or -Infinity, got ${v} at token ${j}`);
}

/**
 * Checks sampler settings and fills in the defaults. `keys` are the option names allowed (the caller's own check
 * when null: SequenceModel.generate takes these settings among its other options).
 */
export function checkSettings(where: string, options: unknown, V: number, keys: readonly string[] | null = SAMPLER_KEYS): Required<SamplerOptions> {
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
  if (keys !== null) checkKeys(where, options, keys);
  const { temperature = 1, topK = V, topP = 1, repetitionPenalty = 1 } = options as Record<string, unknown>;
  const show = (v: unknown): string => (typeof v === "number" ? String(v) : describeKind(v));
  if (typeof temperature !== "number" || !(Number.isFinite(temperature) && temperature >= 0)) throw new RangeError(`${where}: temperature must be a finite number ≥ 0, got ${show(temperature)}`);
  if (typeof topK !== "number" || !(Number.isInteger(topK) && topK >= 1)) throw new RangeError(`${where}: topK must be an integer ≥ 1, got ${show(topK)}`);
  if (typeof topP !== "number" || !(topP > 0 && topP <= 1)) throw new RangeError(`${where}: topP must be in (0, 1], got ${show(topP)}`);
  if (typeof repetitionPenalty !== "number" || !(Number.isFinite(repetitionPenalty) && repetitionPenalty > 0)) throw new RangeError(`${where}: repetitionPenalty must be a finite number > 0, got ${show(repetitionPenalty)}`);
  return { temperature, topK, topP, repetitionPenalty };
}

function checkRecent(where: string, recent: unknown, V: number): void {
  if (recent === undefined) return;
  if (recent === null || typeof recent !== "object" || typeof (recent as { length?: unknown }).length !== "number") {
    throw new TypeError(`${where}: recent must be an array of token ids, got ${describeKind(recent)}`);
  }
  const r = recent as ArrayLike<unknown>;
  for (let i = 0; i < r.length; i++) {
    const id = r[i];
    if (!(typeof id === "number" && Number.isInteger(id) && id >= 0 && id < V)) throw new RangeError(`${where}: recent[${i}] must be a token id in [0, ${V}), got ${typeof id === "number" ? id : describeKind(id)}`);
  }
}

/** The id of the largest logit of logits[off, off + V), the lowest id on ties. Allocates nothing. */
export function greedy(logits: Float32Array, off: number, V: number): number {
  const where = "greedy";
  checkRow(where, logits, off, checkV(where, V));
  let best = -1, m = -Infinity;
  for (let j = 0; j < V; j++) {
    const v = logits[off + j]!;
    if (v > m) { m = v; best = j; }
    else if (!(v <= m) || v === Infinity) throw badLogit(where, v, j); // NaN, or a second +Infinity
  }
  if (best < 0) throw new RangeError(`${where}: every logit is -Infinity: no token to choose`);
  if (m === Infinity) throw badLogit(where, m, best);
  return best;
}

/**
 * Samples token ids from rows of V logits with fixed settings. Scratch buffers are sized V once, so `sample` and
 * `probabilities` allocate nothing: make one Sampler per generation loop.
 *
 *   const sampler = new Sampler(V, { temperature: 0.8, topP: 0.95, repetitionPenalty: 1.2 });
 *   for (let i = 0; i < n; i++) { const id = sampler.sample(logits, 0, rng, lastTokens); … }
 */
export class Sampler {
  readonly V: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly repetitionPenalty: number;
  private readonly z: Float64Array;   // [V] penalised, tempered logits, then the survivors' unnormalised probabilities
  private readonly heap: Int32Array;  // [V] token ids, a max-heap by (z desc, id asc)
  private readonly seen: Uint8Array;  // [V] marks the distinct ids of `recent` while the penalty is applied

  constructor(V: number, options: SamplerOptions = {}) {
    const where = "Sampler";
    this.V = checkV(where, V);
    const { temperature, topK, topP, repetitionPenalty } = checkSettings(where, options, this.V);
    this.temperature = temperature;
    this.topK = Math.min(topK, V);
    this.topP = topP;
    this.repetitionPenalty = repetitionPenalty;
    this.z = new Float64Array(V);
    this.heap = new Int32Array(V);
    this.seen = new Uint8Array(V);
  }

  /**
   * Draws a token id from logits[off, off + V), penalising the ids in `recent`. Consumes one `rng.uniform()` (none
   * at temperature 0). Allocates nothing.
   */
  sample(logits: Float32Array, off: number, rng: Rng, recent?: ArrayLike<number>): number {
    const where = "Sampler.sample";
    this.check(where, logits, off, recent);
    if (!(rng instanceof Rng)) throw new TypeError(`${where}: rng must be an Rng (seededRng(seed)), got ${describeKind(rng)}`);
    const best = this.prepare(where, logits, off, recent);
    if (this.temperature === 0) return best;
    const z = this.z, V = this.V;
    let S = 0;
    for (let j = 0; j < V; j++) S += z[j]!;
    const u = rng.uniform() * S;
    let c = 0, last = best;
    for (let j = 0; j < V; j++) {
      const w = z[j]!;
      if (w > 0) {
        c += w;
        if (u < c) return j;
        last = j;
      }
    }
    return last; // u within rounding of S
  }

  /**
   * Writes the distribution `sample` draws from into out[outOff, outOff + V): zero outside the support, summing to 1
   * (one-hot at temperature 0). Allocates nothing.
   */
  probabilities(out: Float32Array | Float64Array, outOff: number, logits: Float32Array, off: number, recent?: ArrayLike<number>): void {
    const where = "Sampler.probabilities";
    if (!(out instanceof Float32Array || out instanceof Float64Array)) throw new TypeError(`${where}: out must be a Float32Array or Float64Array, got ${describeKind(out)}`);
    if (!Number.isInteger(outOff) || outOff < 0 || outOff + this.V > out.length) throw new RangeError(`${where}: outOff must be an integer in [0, ${out.length - this.V}] so that V=${this.V} values fit in ${out.length}, got ${outOff}`);
    this.check(where, logits, off, recent);
    const best = this.prepare(where, logits, off, recent);
    const z = this.z, V = this.V;
    if (this.temperature === 0) {
      out.fill(0, outOff, outOff + V);
      out[outOff + best] = 1;
      return;
    }
    let S = 0;
    for (let j = 0; j < V; j++) S += z[j]!;
    for (let j = 0; j < V; j++) out[outOff + j] = z[j]! / S;
  }

  private check(where: string, logits: Float32Array, off: number, recent: ArrayLike<number> | undefined): void {
    checkRow(where, logits, off, this.V);
    checkRecent(where, recent, this.V);
  }

  /**
   * Fills z with the survivors' unnormalised probabilities exp(z_j − max), 0 elsewhere, and returns the argmax of the
   * penalised logits (lowest id on ties). At temperature 0 it stops after the argmax.
   */
  private prepare(where: string, logits: Float32Array, off: number, recent: ArrayLike<number> | undefined): number {
    const z = this.z, V = this.V, T = this.temperature, pen = this.repetitionPenalty;
    for (let j = 0; j < V; j++) z[j] = logits[off + j]!;
    if (recent !== undefined && pen !== 1) {
      const seen = this.seen;
      for (let i = 0; i < recent.length; i++) {
        const id = recent[i]!;
        if (seen[id] === 1) continue;
        seen[id] = 1;
        const v = z[id]!;
        z[id] = v > 0 ? v / pen : v * pen;
      }
      for (let i = 0; i < recent.length; i++) seen[recent[i]!] = 0;
    }
    let best = -1, m = -Infinity;
    for (let j = 0; j < V; j++) {
      const v = z[j]!;
      if (v > m) { m = v; best = j; }
      else if (!(v <= m) || v === Infinity) throw badLogit(where, logits[off + j]!, j);
    }
    if (best < 0) throw new RangeError(`${where}: every logit is -Infinity: no token to sample`);
    if (m === Infinity) throw badLogit(where, m, best);
    if (T === 0) return best;
    for (let j = 0; j < V; j++) z[j] = (z[j]! - m) / T;   // ≤ 0, 0 at the argmax; never NaN, however small T is
    if (this.topK >= V && this.topP >= 1) {
      for (let j = 0; j < V; j++) z[j] = Math.exp(z[j]!);
      return best;
    }
    // Pop tokens in order (z desc, id asc) from a max-heap: O(V + kept·log V) instead of sorting all V. Popped ids
    // collect at the end of the heap array, so heap[V − 1 − k] is the k-th most likely.
    const heap = this.heap;
    for (let j = 0; j < V; j++) heap[j] = j;
    for (let i = (V >> 1) - 1; i >= 0; i--) this.siftDown(i, V);
    let size = V, lastId = 0, lastZ = 0, S = 0;
    if (this.topK < V) {
      // top-k: the k largest, plus any tied with the k-th
      while (V - size < this.topK || (size > 0 && z[heap[0]!] === lastZ)) {
        lastId = this.popMax(size--);
        lastZ = z[lastId]!;
        S += Math.exp(lastZ);
      }
      if (this.topP < 1) {
        // top-p over the top-k survivors, in the order they were popped
        const limit = this.topP * S, n = V - size;
        let cum = 0;
        for (let k = 0; k < n; k++) {
          lastId = heap[V - 1 - k]!;
          lastZ = z[lastId]!;
          cum += Math.exp(lastZ);
          if (!(cum < limit)) break;
        }
      }
    } else {
      for (let j = 0; j < V; j++) S += Math.exp(z[j]!);
      const limit = this.topP * S;
      let cum = 0;
      do {
        lastId = this.popMax(size--);
        lastZ = z[lastId]!;
        cum += Math.exp(lastZ);
      } while (cum < limit && size > 0);
    }
    // survivors: every token ordered before or at the last kept one
    for (let j = 0; j < V; j++) {
      const v = z[j]!;
      z[j] = v > lastZ || (v === lastZ && j <= lastId) ? Math.exp(v) : 0;
    }
    return best;
  }

  /** Moves the top of a heap of `size` entries to heap[size − 1], restores the heap on the rest, returns the id. */
  private popMax(size: number): number {
    const heap = this.heap;
    const id = heap[0]!;
    heap[0] = heap[size - 1]!;
    heap[size - 1] = id;
    if (size > 2) this.siftDown(0, size - 1);
    return id;
  }

  /** Restores the max-heap property below heap[i] (first `size` entries), ordering by z desc then id asc. */
  private siftDown(i: number, size: number): void {
    const heap = this.heap, z = this.z;
    const id = heap[i]!, v = z[id]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      const r = c + 1;
      if (r < size) {
        const a = heap[c]!, b = heap[r]!;
        if (z[b]! > z[a]! || (z[b] === z[a] && b < a)) c = r;
      }
      const cid = heap[c]!, cv = z[cid]!;
      if (cv > v || (cv === v && cid < id)) { heap[i] = cid; i = c; } else break;
    }
    heap[i] = id;
  }
}

/**
 * Draws a token id from logits[off, off + V) (see the file comment for the semantics). A convenience that checks its
 * options on every call: plain temperature sampling reads the row in place, but topK, topP or repetitionPenalty make
 * a Sampler (scratch of V) each call. Inside a generation loop make one `new Sampler(V, options)` and call its
 * `sample`, which allocates nothing. Same seed and options, same ids either way.
 */
export function sample(logits: Float32Array, off: number, V: number, rng: Rng, options: SampleOptions = {}): number {
  const where = "sample";
  checkV(where, V);
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
  checkKeys(where, options, SAMPLE_KEYS);
  const { temperature = 1, topK, topP, repetitionPenalty, recent } = options;
  if (topK !== undefined || topP !== undefined || repetitionPenalty !== undefined || !(typeof temperature === "number" && temperature >= 0 && temperature < Infinity)) {
    const sampler = new Sampler(V, checkSettings(where, options, V, SAMPLE_KEYS));
    return sampler.sample(logits, off, rng, recent);
  }
  checkRow(where, logits, off, V);
  checkRecent(where, recent, V);
  if (temperature === 0) return greedy(logits, off, V);
  if (!(rng instanceof Rng)) throw new TypeError(`${where}: rng must be an Rng (seededRng(seed)), got ${describeKind(rng)}`);
  // softmax(z/T) in three passes over the row, with the Sampler's arithmetic: exp((z_j − max z)/T)
  let best = -1, m = -Infinity;
  for (let j = 0; j < V; j++) {
    const v = logits[off + j]!;
    if (v > m) { m = v; best = j; }
    else if (!(v <= m) || v === Infinity) throw badLogit(where, v, j);
  }
  if (best < 0) throw new RangeError(`${where}: every logit is -Infinity: no token to sample`);
  if (m === Infinity) throw badLogit(where, m, best);
  const T = temperature;
  let S = 0;
  for (let j = 0; j < V; j++) S += Math.exp((logits[off + j]! - m) / T);
  const u = rng.uniform() * S;
  let c = 0, last = best;
  for (let j = 0; j < V; j++) {
    const w = Math.exp((logits[off + j]! - m) / T);
    if (w > 0) {
      c += w;
      if (u < c) return j;
      last = j;
    }
  }
  return last;
}
