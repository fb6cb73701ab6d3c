import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { Sampler, greedy, randn, sample, seededRng } from "../src/index.js";
import type { SamplerOptions } from "../src/index.js";

// Set before anything is compiled: changing V8 flags later can throw away optimised code (see stream.test.ts).
setFlagsFromString("--expose-gc");

const f32 = (a: number[]): Float32Array => Float32Array.from(a);
const logOf = (p: number[]): Float32Array => Float32Array.from(p, (x) => Math.log(x));

function softmax(z: ArrayLike<number>, T = 1): number[] {
  let m = -Infinity;
  for (let j = 0; j < z.length; j++) m = Math.max(m, z[j]!);
  const e = Array.from(z, (v) => Math.exp((v - m) / T));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function probs(V: number, options: SamplerOptions, logits: Float32Array, recent?: number[]): number[] {
  const out = new Float64Array(V);
  new Sampler(V, options).probabilities(out, 0, logits, 0, recent);
  return Array.from(out);
}

const support = (p: number[]): number[] => p.flatMap((x, j) => (x > 0 ? [j] : []));

/** Pearson's χ² of observed counts against expected probabilities (cells with p > 0). */
function chiSquare(counts: number[], p: number[], n: number): number {
  let chi = 0;
  for (let j = 0; j < p.length; j++) if (p[j]! > 0) chi += (counts[j]! - n * p[j]!) ** 2 / (n * p[j]!);
  return chi;
}

function draws(n: number, V: number, draw: () => number): number[] {
  const counts = new Array<number>(V).fill(0);
  for (let i = 0; i < n; i++) counts[draw()]!++;
  return counts;
}

/**
 * Hugging Face's logits processors written out literally (RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper,
 * TopKLogitsWarper, TopPLogitsWarper with min_tokens_to_keep 1), then softmax: the reference for the support and the
 * probabilities.
 */
function hfReference(logits: ArrayLike<number>, o: { temperature?: number; topK?: number; topP?: number; repetitionPenalty?: number; recent?: number[] }): number[] {
  const V = logits.length;
  const s = Array.from(logits);
  const pen = o.repetitionPenalty ?? 1;
  if (pen !== 1 && o.recent) {
    const gathered = o.recent.map((id) => s[id]!);
    o.recent.forEach((id, i) => { const v = gathered[i]!; s[id] = v < 0 ? v * pen : v / pen; });
  }
  const T = o.temperature ?? 1;
  for (let j = 0; j < V; j++) s[j]! /= T;
  if (o.topK !== undefined) {
    const k = Math.min(o.topK, V);
    const kth = [...s].sort((a, b) => b - a)[k - 1]!;
    for (let j = 0; j < V; j++) if (s[j]! < kth) s[j] = -Infinity;
  }
  if (o.topP !== undefined && o.topP < 1) {
    const order = s.map((_, j) => j).sort((a, b) => s[a]! - s[b]! || b - a);   // ascending; ties: higher id first
    const p = softmax(order.map((j) => s[j]!));
    let cum = 0;
    order.forEach((j, r) => {
      cum += p[r]!;
      if (cum <= 1 - o.topP! && r < V - 1) s[j] = -Infinity;
    });
  }
  return softmax(s);
}

describe("greedy", () => {
  it("picks the argmax of a row, the lowest id on ties, and reads only its row", () => {
    const buf = f32([9, 9, 0.5, 2, -1, 2, 9, 9]);
    expect(greedy(buf, 2, 4)).toBe(1);
    expect(greedy(buf, 2, 3)).toBe(1);
    expect(greedy(f32([-Infinity, -3, -Infinity]), 0, 3)).toBe(1);
    expect(greedy(f32([4]), 0, 1)).toBe(0);
  });

  it("rejects NaN, +Infinity, a row of only -Infinity, and a row that does not fit", () => {
    expect(() => greedy(f32([0, NaN, 1]), 0, 3)).toThrow(/greedy: logits must be finite or -Infinity, got NaN at token 1/);
    expect(() => greedy(f32([0, Infinity]), 0, 2)).toThrow(/got Infinity at token 1/);
    expect(() => greedy(f32([-Infinity, -Infinity]), 0, 2)).toThrow(/every logit is -Infinity/);
    expect(() => greedy(f32([1, 2, 3]), 1, 3)).toThrow(/off must be an integer in \[0, 0\] so that V=3 logits fit in 3, got 1/);
    expect(() => greedy(f32([1, 2, 3]), 0, 0)).toThrow(/V must be a positive integer, got 0/);
  });
});

describe("sample", () => {
  const rowLogits = randn(seededRng(11), [6]).data;

  it("empirical frequencies match softmax(logits / T) (χ² with 5 degrees of freedom)", () => {
    const n = 40_000;
    for (const T of [1, 0.6, 2.5]) {
      const p = softmax(rowLogits, T);
      const rng = seededRng(21);
      const sampler = new Sampler(6, { temperature: T });
      const counts = draws(n, 6, () => sampler.sample(rowLogits, 0, rng));
      expect(chiSquare(counts, p, n), `T=${T}`).toBeLessThan(25.7); // P(χ²₅ > 25.7) = 1e-4
      expectProbs(probs(6, { temperature: T }, rowLogits), p);
    }
  });

  it("temperature 0 is greedy (no random draw); temperature → 0 approaches it", () => {
    const rng = seededRng(3);
    const before = JSON.stringify(rng.getState());
    expect(sample(rowLogits, 0, 6, rng, { temperature: 0 })).toBe(greedy(rowLogits, 0, 6));
    expect(new Sampler(6, { temperature: 0, topP: 0.3 }).sample(rowLogits, 0, rng)).toBe(greedy(rowLogits, 0, 6));
    expect(JSON.stringify(rng.getState())).toBe(before);
    const best = greedy(rowLogits, 0, 6);
    let farFromGreedy = 0;
    for (const T of [0.3, 0.1, 0.01, 1e-4, 1e-300]) {
      const counts = draws(2000, 6, () => sample(rowLogits, 0, 6, rng, { temperature: T }));
      expect(counts[best]! >= farFromGreedy).toBe(true);
      farFromGreedy = counts[best]!;
    }
    expect(farFromGreedy).toBe(2000);
    // ties at a tiny temperature are shared, not broken
    const tied = draws(2000, 3, () => sample(f32([1, 3, 3]), 0, 3, rng, { temperature: 1e-6 }));
    expect(tied[0]).toBe(0);
    expect(tied[1]! > 900 && tied[2]! > 900).toBe(true);
  });

  it("topK=1 equals greedy; topK keeps the k largest (and any tied with the k-th)", () => {
    const rng = seededRng(4);
    for (let i = 0; i < 200; i++) expect(sample(rowLogits, 0, 6, rng, { topK: 1, temperature: 5 })).toBe(greedy(rowLogits, 0, 6));
    const z = f32([0.1, 2, -1, 1.5, 0.3, 3]);
    expect(support(probs(6, { topK: 3 }, z))).toEqual([1, 3, 5]);
    expectProbs(probs(6, { topK: 3 }, z), softmax([-Infinity, 2, -Infinity, 1.5, -Infinity, 3]));
    const counts = draws(5000, 6, () => sample(z, 0, 6, rng, { topK: 2 }));
    expect(counts.flatMap((c, j) => (c > 0 ? [j] : []))).toEqual([1, 5]);
    expect(support(probs(5, { topK: 2 }, f32([1, 2, 1, 2, 2])))).toEqual([1, 3, 4]);   // ties with the 2nd are kept
    expect(support(probs(5, { topK: 3 }, f32([1, 3, 1, 2, 1])))).toEqual([0, 1, 2, 3, 4]);
    expect(support(probs(3, { topK: 10 }, f32([1, 2, 3])))).toEqual([0, 1, 2]);
  });

  it("topP keeps the smallest most-probable set reaching topP, boundary included", () => {
    // probabilities 0.1, 0.5, 0.3, 0.1 (tokens 0 and 3 tie exactly: ordered by id)
    const z = logOf([0.1, 0.5, 0.3, 0.1]);
    const at = (p: number): number[] => support(probs(4, { topP: p }, z));
    expect(at(0.01)).toEqual([1]);
    expect(at(0.5 - 1e-6)).toEqual([1]);
    expect(at(0.5 + 1e-6)).toEqual([1, 2]);
    expect(at(0.8 - 1e-6)).toEqual([1, 2]);
    expect(at(0.8 + 1e-6)).toEqual([0, 1, 2]);
    expect(at(0.9 + 1e-6)).toEqual([0, 1, 2, 3]);
    expect(at(1)).toEqual([0, 1, 2, 3]);
    expectProbs(probs(4, { topP: 0.7 }, z), softmax([-Infinity, z[1]!, z[2]!, -Infinity]));
    // exact boundary: four equal tokens have probability exactly 1/4 each; reaching topP = 1/2 needs two of them
    const flat = f32([0, 0, 0, 0, -Infinity]);
    const atFlat = (p: number): number[] => support(probs(5, { topP: p }, flat));
    expect(atFlat(0.25)).toEqual([0]);
    expect(atFlat(0.5)).toEqual([0, 1]);
    expect(atFlat(0.5000001)).toEqual([0, 1, 2]);
    expect(atFlat(0.75)).toEqual([0, 1, 2]);
    expect(atFlat(0.99)).toEqual([0, 1, 2, 3]);
    // draws stay in the nucleus
    const rng = seededRng(8);
    const counts = draws(5000, 4, () => sample(z, 0, 4, rng, { topP: 0.75 }));
    expect(counts[0]).toBe(0);
    expect(counts[3]).toBe(0);
    expect(chiSquare(counts, [0, 0.625, 0.375, 0], 5000)).toBeLessThan(15.1); // 1 degree of freedom, 1e-4
  });

  it("topP applies to the top-k survivors, renormalised (as HF: top-k, then top-p)", () => {
    const z = logOf([0.4, 0.3, 0.2, 0.1]);
    expect(support(probs(4, { topP: 0.55 }, z))).toEqual([0, 1]);          // 0.4 < 0.55 ≤ 0.7
    expect(support(probs(4, { topK: 2, topP: 0.55 }, z))).toEqual([0]);    // 0.4/0.7 = 0.571 ≥ 0.55
    expect(support(probs(4, { topK: 3, topP: 0.99 }, z))).toEqual([0, 1, 2]);
  });

  it("repetition penalty divides positive and multiplies negative logits of recent tokens, once per distinct token", () => {
    const z = f32([2, -1, 0.5, 1, 0]);
    const plain = probs(5, {}, z);
    const penalised = probs(5, { repetitionPenalty: 2 }, z, [0, 1, 0, 0]);
    expectProbs(penalised, softmax([1, -2, 0.5, 1, 0]));
    expect(penalised[0]! < plain[0]! && penalised[1]! < plain[1]!).toBe(true);
    expectProbs(probs(5, { repetitionPenalty: 0.5 }, z, [3]), softmax([2, -1, 0.5, 2, 0]));   // < 1 encourages
    // a draw-level check: the recent token becomes rarer
    const rng = seededRng(6);
    const s = new Sampler(5, { repetitionPenalty: 1.5 });
    const withPenalty = draws(20_000, 5, () => s.sample(z, 0, rng, [0]));
    const without = draws(20_000, 5, () => s.sample(z, 0, rng));
    expect(withPenalty[0]! < 0.8 * without[0]!).toBe(true);
    // greedy with a penalty: the argmax of the penalised logits
    expect(new Sampler(5, { temperature: 0, repetitionPenalty: 4 }).sample(z, 0, rng, [0])).toBe(3);
    expect(sample(z, 0, 5, rng, { recent: [0] })).toBeGreaterThanOrEqual(0); // recent without a penalty changes nothing
  });

  it("matches Hugging Face's processors on random rows (support and probabilities)", () => {
    const rng = seededRng(13);
    const settings: Array<{ temperature?: number; topK?: number; topP?: number; repetitionPenalty?: number }> = [
      { topK: 5 }, { topP: 0.9 }, { topP: 0.3, temperature: 0.7 }, { topK: 8, topP: 0.8, temperature: 1.3 },
      { repetitionPenalty: 1.3, topP: 0.95 }, { repetitionPenalty: 1.2, topK: 3, temperature: 0.5 },
    ];
    for (let trial = 0; trial < 40; trial++) {
      const V = 20;
      const z = randn(rng, [V]).data.map((v) => v * 2);
      const recent = [rng.int(V), rng.int(V), rng.int(V)];
      for (const o of settings) {
        const ours = probs(V, o, z, recent);
        const ref = hfReference(z, { ...o, recent });
        expect(support(ours), JSON.stringify(o)).toEqual(support(ref));
        expectProbs(ours, ref);
      }
    }
  });

  it("is seeded: the same seed gives the same ids, and sample() gives the Sampler's ids", () => {
    const V = 30;
    const rows = randn(seededRng(2), [50, V]).data;
    for (const o of [{}, { temperature: 0.8 }, { topK: 5, topP: 0.9, repetitionPenalty: 1.2, temperature: 1.1 }]) {
      const run = (viaSampler: boolean): number[] => {
        const rng = seededRng(99);
        const s = new Sampler(V, o);
        const ids: number[] = [];
        for (let i = 0; i < 50; i++) {
          const recent = ids.slice(-4);
          ids.push(viaSampler ? s.sample(rows, i * V, rng, recent) : sample(rows, i * V, V, rng, { ...o, recent }));
        }
        return ids;
      };
      const a = run(true);
      expect(run(true)).toEqual(a);
      expect(run(false)).toEqual(a);
      expect(new Set(a).size).toBeGreaterThan(5);
    }
  });

  it("a row at an offset of a bigger buffer samples as the row alone", () => {
    const big = randn(seededRng(5), [3, 7]).data;
    const row = big.slice(7, 14);
    const s = new Sampler(7, { topP: 0.8 });
    const r1 = seededRng(1), r2 = seededRng(1);
    for (let i = 0; i < 100; i++) expect(s.sample(big, 7, r1)).toBe(s.sample(row, 0, r2));
    expect(greedy(big, 14, 7)).toBe(greedy(big.slice(14), 0, 7));
  });

  it("-Infinity bans a token; NaN is an error", () => {
    const rng = seededRng(7);
    const z = f32([5, -Infinity, 4, -Infinity]);
    const counts = draws(3000, 4, () => sample(z, 0, 4, rng, { topK: 3 }));
    expect(counts[1]! + counts[3]!).toBe(0);
    expect(() => sample(f32([0, NaN]), 0, 2, rng)).toThrow(/sample: logits must be finite or -Infinity, got NaN at token 1/);
    expect(() => new Sampler(2, { topP: 0.5 }).sample(f32([-Infinity, -Infinity]), 0, rng)).toThrow(/every logit is -Infinity/);
  });

  it("bad options throw a RangeError naming the option and the value", () => {
    const z = f32([1, 2, 3]);
    const rng = seededRng(1);
    const bad: Array<[object, RegExp]> = [
      [{ temperature: -0.5 }, /temperature must be a finite number ≥ 0, got -0.5/],
      [{ temperature: NaN }, /temperature must be a finite number ≥ 0, got NaN/],
      [{ topK: 0 }, /topK must be an integer ≥ 1, got 0/],
      [{ topK: 2.5 }, /topK must be an integer ≥ 1, got 2.5/],
      [{ topP: 0 }, /topP must be in \(0, 1\], got 0/],
      [{ topP: 1.01 }, /topP must be in \(0, 1\], got 1.01/],
      [{ repetitionPenalty: 0 }, /repetitionPenalty must be a finite number > 0, got 0/],
      [{ repetitionPenalty: -1 }, /repetitionPenalty must be a finite number > 0, got -1/],
    ];
    for (const [o, re] of bad) {
      expect(() => sample(z, 0, 3, rng, o)).toThrow(RangeError);
      expect(() => sample(z, 0, 3, rng, o)).toThrow(new RegExp(`^sample: ${re.source}`));
      expect(() => new Sampler(3, o)).toThrow(new RegExp(`^Sampler: ${re.source}`));
    }
    expect(() => sample(z, 0, 3, rng, { top_k: 2 } as never)).toThrow(/sample: unknown option 'top_k'/);
    expect(() => sample(z, 0, 3, rng, { topK: 2, top_p: 2 } as never)).toThrow(/unknown option 'top_p'/);
    expect(() => new Sampler(3, { recent: [1] } as never)).toThrow(/Sampler: unknown option 'recent'/);
    expect(() => sample(z, 0, 3, rng, { recent: [3] })).toThrow(/sample: recent\[0\] must be a token id in \[0, 3\), got 3/);
    expect(() => new Sampler(3, { repetitionPenalty: 2 }).sample(z, 0, rng, [0, -1])).toThrow(/recent\[1\] must be a token id in \[0, 3\), got -1/);
    expect(() => sample(z, 0, 3, {} as never)).toThrow(/rng must be an Rng/);
    expect(() => new Sampler(3).sample(z, 1, rng)).toThrow(/off must be an integer in \[0, 0\]/);
    expect(() => new Sampler(3).probabilities(new Float64Array(2), 0, z, 0)).toThrow(/outOff must be an integer/);
  });

  it("allocates nothing per call: Sampler.sample (every option, nucleus only, temperature only) and greedy", () => {
    const gc = runInNewContext("gc") as () => void;
    const V = 64;
    const logits = randn(seededRng(2), [4, V]).data;
    const rng = seededRng(3);
    const sampler = new Sampler(V, { temperature: 0.9, topK: 20, topP: 0.9, repetitionPenalty: 1.3 });
    const nucleus = new Sampler(V, { topP: 0.95 });
    const plain = new Sampler(V, { temperature: 0.7 });
    const recent = new Int32Array([1, 5, 9, 5]);
    let sink = 0;
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const off = (i & 3) * V;
        sink += sampler.sample(logits, off, rng, recent) + nucleus.sample(logits, off, rng) + plain.sample(logits, off, rng) + greedy(logits, off, V);
      }
    };
    for (let round = 0; round < 4; round++) { run(3000); gc(); }
    // The least growth over five measured rounds (as in stream.test.ts): a late JIT compilation under a loaded machine
    // adds heap once (seen: 146 KB in one round while the whole suite ran), while an allocation per call would add
    // ≥ 12,000 × 16 bytes = 192 KB in every round.
    let least = Infinity;
    for (let round = 0; round < 5; round++) {
      gc();
      const before = process.memoryUsage().heapUsed;
      run(3000);
      least = Math.min(least, process.memoryUsage().heapUsed - before);
    }
    expect(sink).toBeGreaterThan(0);
    expect(least).toBeLessThan(64 * 1024);
  });
});

function expectProbs(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++) expect(Math.abs(actual[j]! - expected[j]!), `p[${j}]: ${actual[j]} vs ${expected[j]}`).toBeLessThan(1e-12);
}
