import { describe, expect, it } from "vitest";
import { Adam, Seq2Seq, clipGradNorm, gradCheck, randn, seededRng, softmaxCrossEntropy } from "../src/index.js";
import type { Rng, TokenTensor } from "../src/index.js";
import { dot } from "./helpers.js";

const GC = { eps: 3e-3, atol: 1e-4, rtol: 1e-2 };

describe("Seq2Seq gradients match central differences", () => {
  for (const [cell, bidirectionalEncoder, numLayers] of [["lstm", true, 2], ["gru", false, 1]] as const) {
    it(`${cell}, ${bidirectionalEncoder ? "bidirectional" : "unidirectional"} encoder, ${numLayers} layer(s), padded source`, () => {
      const rng = seededRng(3);
      const m = new Seq2Seq({ sourceVocab: 5, targetVocab: 6, embeddingDim: 3, hiddenSize: 4, numLayers, cell, bidirectionalEncoder }, 1);
      const source: TokenTensor = { data: Array.from({ length: 4 * 2 }, () => rng.int(5)), shape: [4, 2] };
      const targetIn: TokenTensor = { data: Array.from({ length: 3 * 2 }, () => rng.int(6)), shape: [3, 2] };
      const dY = randn(rng, [3, 2, 6]);
      const loss = (): number => dot(m.forward(source, targetIn, { sourceLengths: [4, 2] }).data, dY.data);
      loss();
      m.store.zeroGrad();
      m.backward(dY);
      const report = gradCheck(loss, m.store, GC);
      expect(report.ok, report.message).toBe(true);
      expect(m.store.params.map((p) => p.name).filter((n) => n.endsWith("weight_ih_l0"))).toEqual(["encoder.weight_ih_l0", "decoder.weight_ih_l0"]);
    });
  }
});

describe("Seq2Seq learns to reverse sequences (teacher forcing), decoded greedily and by beam search", () => {
  const PAD = 0, EOS = 1, BOS = 2, V = 9, B = 32, TS = 6;
  /** Sources of 2..6 tokens from 3..8, padded; targets: the reversal, then EOS. */
  function batch(rng: Rng) {
    const src = new Int32Array(TS * B).fill(PAD), tin = new Int32Array((TS + 1) * B).fill(PAD), tout = new Int32Array((TS + 1) * B).fill(-100);
    const lengths: number[] = [], refs: number[][] = [];
    for (let b = 0; b < B; b++) {
      const n = 2 + rng.int(TS - 1);
      const seq = Array.from({ length: n }, () => 3 + rng.int(V - 3));
      const rev = [...seq].reverse();
      lengths.push(n);
      refs.push([...rev, EOS]);
      seq.forEach((tok, t) => { src[t * B + b] = tok; });
      [BOS, ...rev].forEach((tok, t) => { tin[t * B + b] = tok; });
      [...rev, EOS].forEach((tok, t) => { tout[t * B + b] = tok; });
    }
    return { source: { data: src, shape: [TS, B] }, targetIn: { data: tin, shape: [TS + 1, B] }, targets: tout, lengths, refs };
  }

  const model = new Seq2Seq({ sourceVocab: V, targetVocab: V, embeddingDim: 12, hiddenSize: 48, cell: "gru", bidirectionalEncoder: true }, 5);
  const adam = new Adam({ lr: 0.01 });
  const rng = seededRng(5);
  for (let step = 0; step < 500; step++) {
    const d = batch(rng);
    const { dLogits } = softmaxCrossEntropy(model.forward(d.source, d.targetIn, { sourceLengths: d.lengths, training: true }), d.targets);
    model.store.zeroGrad();
    model.backward(dLogits);
    clipGradNorm(model.store.grads, 1);
    adam.step(model.store.values, model.store.grads);
  }
  const test = batch(seededRng(777));
  const exact = (outs: number[][]): number => outs.filter((o, b) => JSON.stringify(o) === JSON.stringify(test.refs[b])).length / B;
  const opts = { bos: BOS, eos: EOS, maxLength: TS + 2, sourceLengths: test.lengths };

  it("greedy decoding reverses held-out sequences", () => {
    expect(exact(model.greedy(test.source, opts))).toBeGreaterThanOrEqual(0.9);
  });

  it("beam width 1 is exactly greedy; a wider beam is at least as good", () => {
    const greedy = model.greedy(test.source, opts);
    expect(model.beamSearch(test.source, { ...opts, beamWidth: 1 })).toEqual(greedy);
    expect(exact(model.beamSearch(test.source, { ...opts, beamWidth: 4 }))).toBeGreaterThanOrEqual(exact(greedy));
  });

  it("errors name what was expected", () => {
    expect(() => model.forward(test.source, { data: [BOS], shape: [1, 1] })).toThrow(/targetIn must be \[T, 32\], got \[1, 1\]/);
    expect(() => model.beamSearch(test.source, { ...opts, beamWidth: 0 })).toThrow(/beamWidth must be a positive integer, got 0/);
    expect(() => new Seq2Seq({ sourceVocab: 3, targetVocab: 3, embeddingDim: 2, hiddenSize: 2, cell: "lstm", attention: true } as never)).toThrow(/unknown option 'attention'/);
  });
});
