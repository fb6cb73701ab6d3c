import { describe, expect, it } from "vitest";
import { Adam, Dropout, GRU, LSTM, Sampler, SequenceModel, clipGradNorm, gradCheck, randn, seededRng, softmaxCrossEntropy } from "../src/index.js";
import type { GradTarget, Rng, SequenceInput, SequenceModelConfig, Tensor } from "../src/index.js";
import { dot } from "./helpers.js";

// eps 3e-3: see recurrent.test.ts (float32 rounding noise against truncation error)
const GC = { eps: 3e-3, atol: 1e-4, rtol: 1e-2 };

function tokens(rng: Rng, T: number, B: number, V: number): { data: Int32Array; shape: number[] } {
  return { data: Int32Array.from({ length: T * B }, () => rng.int(V)), shape: [T, B] };
}

/** Checks the model's parameter gradients (and dx / dCondition when the input has them) against central differences. */
function checkModel(config: SequenceModelConfig, input: SequenceInput, seed = 3): void {
  const model = new SequenceModel(config, seed);
  const rng = seededRng(seed + 100);
  const probe = model.forward(input, { training: true });
  const dY = randn(rng, probe.shape);
  const state = model.getRandomState();
  // replay the same dropout masks at every evaluation
  const loss = (): number => {
    model.setRandomState(state);
    return dot(model.forward(input, { training: true }).data, dY.data);
  };
  loss();
  model.store.zeroGrad();
  const g = model.backward(dY);
  const targets: GradTarget[] = [...model.store.params];
  if (input.x !== undefined) targets.push({ name: "x", value: input.x.data, grad: g.dx!.data, shape: input.x.shape });
  if (input.condition !== undefined) targets.push({ name: "condition", value: input.condition.data, grad: g.dCondition!.data, shape: input.condition.shape });
  const report = gradCheck(loss, targets, GC);
  expect(report.ok, report.message).toBe(true);
}

describe("SequenceModel gradients match central differences through every shape", () => {
  const rng = seededRng(9);
  const T = 4, B = 3, V = 6;
  const tok = tokens(rng, T, B, V);
  const lengths = [4, 2, 3];

  it("many-to-many: tokens → 2-layer LSTM → per-step logits (padded, dropout)", () => {
    checkModel({ input: { vocabSize: V, embeddingDim: 3 }, cell: "lstm", hiddenSize: 4, numLayers: 2, dropout: 0.3, output: { size: V, per: "step" } }, { tokens: tok, lengths });
  });

  for (const merge of ["concat", "sum", "mean", "mul"] as const) {
    it(`bidirectional many-to-many, merge ${merge} (GRU, padded)`, () => {
      checkModel({ input: { vocabSize: V, embeddingDim: 3 }, cell: "gru", hiddenSize: 4, bidirectional: true, merge, output: { size: 3, per: "step" } }, { tokens: tok, lengths });
    });
  }

  for (const pooling of ["last", "mean", "max"] as const) {
    it(`many-to-one, pooling ${pooling}: features → bidirectional 2-layer LSTM (merge sum) → one output per sequence, dx checked`, () => {
      const x = randn(seededRng(4), [T, B, 2]);
      checkModel({ input: { features: 2 }, cell: "lstm", hiddenSize: 3, numLayers: 2, bidirectional: true, merge: pooling === "max" ? "concat" : "sum", output: { size: 2, per: "sequence", pooling } }, { x, lengths });
    });
  }

  it("one-to-many: a condition vector sets h0 and c0 of a 2-layer LSTM, per-step output (dCondition checked)", () => {
    const condition = randn(seededRng(5), [B, 2]);
    checkModel({ input: { vocabSize: V, embeddingDim: 3 }, cell: "lstm", hiddenSize: 4, numLayers: 2, condition: { size: 2 }, output: { size: V, per: "step" } }, { tokens: tok, condition });
  });

  it("one-to-one: one feature vector (T = 1) → one output, tanh RNN", () => {
    checkModel({ input: { features: 3 }, cell: "rnn_tanh", hiddenSize: 4, output: { size: 2, per: "sequence" } }, { x: randn(seededRng(6), [1, 5, 3]) });
  });
});

describe("dropout", () => {
  it("Dropout zeroes about p of the values, scales the rest by 1/(1−p), passes through in inference, and is seeded", () => {
    const d = new Dropout({ p: 0.25, seed: 1 });
    const x = { data: new Float32Array(40000).fill(2), shape: [40000] };
    const y = d.forward(x, true).data;
    const zeros = y.filter((v) => v === 0).length;
    expect(Math.abs(zeros / 40000 - 0.25)).toBeLessThan(0.01);
    expect(y.every((v) => v === 0 || Math.abs(v - 2 / 0.75) < 1e-6)).toBe(true);
    const g = d.backward({ data: new Float32Array(40000).fill(1), shape: [40000] }).data;
    expect(Array.from(g.map((v, i) => (v === 0) === (y[i] === 0) ? 1 : 0)).every((v) => v === 1)).toBe(true);
    expect(d.forward(x, false).data).toEqual(x.data);
    expect(new Dropout({ p: 0.25, seed: 1 }).forward(x, true).data).toEqual(y);
    expect(() => new Dropout({ p: 1 })).toThrow(/dropout probability must be in \[0, 1\), got 1/);
  });

  it("a recurrent layer's dropout acts between layers in training forwards only, and its gradient replays the masks", () => {
    const gru = new GRU({ inputSize: 2, hiddenSize: 3, numLayers: 3, dropout: 0.5, seed: 2 });
    const x = randn(seededRng(1), [3, 2, 2]);
    const a = gru.forward(x).output.data, b = gru.forward(x).output.data;
    expect(a).toEqual(b);
    expect(gru.forward(x, { training: true }).output.data).not.toEqual(a);
    const dOut = randn(seededRng(2), [3, 2, 3]);
    const state = gru.getDropoutState()!;
    const loss = (): number => { gru.setDropoutState(state); return dot(gru.forward(x, { training: true }).output.data, dOut.data); };
    loss();
    gru.store.zeroGrad();
    const g = gru.backward(dOut);
    const report = gradCheck(loss, [...gru.parameters(), { name: "x", value: x.data, grad: g.dInput.data }], GC);
    expect(report.ok, report.message).toBe(true);
    expect(() => new LSTM({ inputSize: 2, hiddenSize: 3 }).setDropoutState(state)).toThrow(/has no dropout/);
  });
});

describe("SequenceModel errors", () => {
  const tokModel = () => new SequenceModel({ input: { vocabSize: 5, embeddingDim: 2 }, cell: "gru", hiddenSize: 3, output: { size: 2, per: "sequence" } });
  it("names what was expected", () => {
    expect(() => new SequenceModel({ input: { features: 2 }, cell: "lstm", hiddenSize: 3, output: { size: 2, per: "step", pooling: "mean" } })).toThrow(/output\.pooling must be one of last, mean, max with per "sequence", got "mean" with per "step"/);
    expect(() => new SequenceModel({ input: { features: 2 }, cell: "cnn" as never, hiddenSize: 3, output: { size: 2, per: "step" } })).toThrow(/cell must be one of lstm, gru, rnn_tanh, rnn_relu, got "cnn"/);
    expect(() => tokModel().forward({ x: randn(seededRng(1), [2, 1, 2]) })).toThrow(/this model reads token ids/);
    expect(() => tokModel().forward({ tokens: { data: [1, 2, 7], shape: [3, 1] } })).toThrow(/ids must be integers in \[0, 5\), got 7 at \[2, 0\]/);
    expect(() => tokModel().forward({ tokens: { data: [1, 2], shape: [2, 1] }, condition: randn(seededRng(1), [1, 2]) })).toThrow(/has no condition input/);
    expect(() => tokModel().backward(randn(seededRng(1), [1, 2]))).toThrow(/call forward first/);
  });
});

describe("SequenceModel.backward with inputGrad: false", () => {
  it("gives the same parameter gradients and no dx for a feature model; an embedding still gets its gradient", () => {
    const rng = seededRng(31);
    for (const input of [{ features: 3 }, { vocabSize: 6, embeddingDim: 3 }] as const) {
      const model = new SequenceModel({ input, cell: "lstm", hiddenSize: 4, numLayers: 2, bidirectional: true, output: { size: 2, per: "sequence", pooling: "mean" } }, 2);
      const batch: SequenceInput = "features" in input ? { x: randn(rng, [4, 3, 3]), lengths: [4, 2, 3] } : { tokens: tokens(rng, 4, 3, 6), lengths: [4, 2, 3] };
      const dY = randn(rng, [3, 2]);
      model.forward(batch);
      model.store.zeroGrad();
      const full = model.backward(dY);
      const g = Float32Array.from(model.store.grads);
      model.forward(batch);
      model.store.zeroGrad();
      const lean = model.backward(dY, { inputGrad: false });
      expect(model.store.grads).toEqual(g);
      expect(lean.dx).toBeUndefined();
      if ("features" in input) expect(full.dx!.shape).toEqual([4, 3, 3]);
    }
  });
});

describe("one-hot token input", () => {
  const V = 7, H = 5, T = 5, B = 3, lengths = [5, 2, 4];
  /** The one-hot model, and an embedding model with E = V, an identity embedding and the same other weights. */
  function pair(config: Omit<SequenceModelConfig, "input">, seed: number): [SequenceModel, SequenceModel] {
    const oneHot = new SequenceModel({ ...config, input: { vocabSize: V, oneHot: true } }, seed);
    const emb = new SequenceModel({ ...config, input: { vocabSize: V, embeddingDim: V } }, seed + 1);
    const eye = new Float32Array(V * V);
    for (let i = 0; i < V; i++) eye[i * V + i] = 1;
    emb.store.loadStateDict({ ...oneHot.store.stateDict(), "embedding.weight": { shape: [V, V], data: eye } });
    return [oneHot, emb];
  }

  for (const [cell, bidirectional, per] of [["lstm", false, "step"], ["gru", true, "sequence"], ["rnn_tanh", true, "step"]] as const) {
    it(`${cell}${bidirectional ? " bidirectional" : ""}, per ${per}, padded: outputs and gradients equal an identity embedding's`, () => {
      const config = { cell, hiddenSize: H, numLayers: 2, bidirectional, output: per === "step" ? { size: V, per } : { size: 3, per } } as const;
      const [oneHot, emb] = pair(config, 11);
      expect(oneHot.embedding).toBeNull();
      expect(oneHot.store.size).toBe(emb.store.size - V * V);
      const input = { tokens: tokens(seededRng(12), T, B, V), lengths };
      const y1 = oneHot.forward(input), y2 = emb.forward(input);
      expect(y1.shape).toEqual(y2.shape);
      for (let i = 0; i < y1.data.length; i++) expect(y1.data[i]).toBeCloseTo(y2.data[i]!, 6);
      const dY = randn(seededRng(13), y1.shape);
      oneHot.store.zeroGrad();
      emb.store.zeroGrad();
      expect(oneHot.backward(dY)).toEqual({});
      emb.backward(dY);
      const g1 = oneHot.store.gradDict(), g2 = emb.store.gradDict();
      expect(Object.keys(g1).sort()).toEqual(Object.keys(g2).filter((k) => k !== "embedding.weight").sort());
      for (const k of Object.keys(g1)) {
        const a = g1[k]!.data, b = g2[k]!.data;
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1e-6 + Math.abs(b[i]!)));
        expect(worst, k).toBeLessThan(1e-4);
      }
    });
  }

  it("generates the same tokens as the identity-embedding model, greedy and sampled", () => {
    const [oneHot, emb] = pair({ cell: "lstm", hiddenSize: H, output: { size: V, per: "step" } }, 21);
    const start = [[1, 2], [3, 4]];
    expect(oneHot.generate({ start, maxLength: 12 })).toEqual(emb.generate({ start, maxLength: 12 }));
    expect(oneHot.generate({ start, maxLength: 12, temperature: 1, rng: seededRng(5) })).toEqual(emb.generate({ start, maxLength: 12, temperature: 1, rng: seededRng(5) }));
  });

  it("greedy generate picks, at every step, the argmax of forward over the prompt and the tokens generated so far", () => {
    for (const input of [{ vocabSize: V, oneHot: true }, { vocabSize: V, embeddingDim: 4 }] as const) {
      const model = new SequenceModel({ input, cell: "lstm", hiddenSize: H, numLayers: 2, output: { size: V, per: "step" } }, 41);
      const start = [[1, 2, 3], [4, 5, 6]], n = 10;
      const gen = model.generate({ start, maxLength: n });
      for (let b = 0; b < 2; b++) {
        const seq = [...start[b]!, ...gen[b]!];
        const y = model.forward({ tokens: { data: seq.slice(0, -1), shape: [seq.length - 1, 1] } });
        for (let t = start[b]!.length - 1; t < seq.length - 1; t++) {
          const row = Array.from(y.data.subarray(t * V, (t + 1) * V));
          expect(row.indexOf(Math.max(...row)), `sequence ${b}, step ${t}`).toBe(seq[t + 1]);
        }
      }
    }
  });

  it("generate with top-k, top-p and a repetition penalty draws each token as a Sampler does from forward's logits", () => {
    const model = new SequenceModel({ input: { vocabSize: V, oneHot: true }, cell: "gru", hiddenSize: H, numLayers: 2, output: { size: V, per: "step" } }, 43);
    const start = [[1, 2, 3], [4, 5, 6]], n = 12;
    for (const settings of [
      { temperature: 0.8, topK: 3, topP: 0.9, repetitionPenalty: 1.3 },
      { temperature: 1.5, topP: 0.5 },
      { temperature: 0, repetitionPenalty: 2 },   // greedy over the penalised logits
    ]) {
      const gen = model.generate({ start, maxLength: n, ...settings, rng: seededRng(7) });
      // replay: the same draws in the same order (sequence by sequence within a step), from a forward pass over each
      // sequence so far, penalising every token it holds (its start included)
      const sampler = new Sampler(V, settings), rng = seededRng(7);
      const seqs = start.map((s) => [...s]);
      for (let step = 0; step < n; step++) {
        for (let b = 0; b < 2; b++) {
          const seq = seqs[b]!;
          const y = model.forward({ tokens: { data: seq, shape: [seq.length, 1] } });
          const id = sampler.sample(y.data, (seq.length - 1) * V, rng, seq);
          expect(id, `${JSON.stringify(settings)}: sequence ${b}, step ${step}`).toBe(gen[b]![step]);
        }
        for (let b = 0; b < 2; b++) seqs[b]!.push(gen[b]![step]!);
      }
    }
    // top-k 1 is greedy whatever the temperature
    expect(model.generate({ start, maxLength: n, temperature: 2, topK: 1, rng: seededRng(1) })).toEqual(model.generate({ start, maxLength: n }));
  });

  it("generate names a bad sampling setting", () => {
    const model = new SequenceModel({ input: { vocabSize: V, oneHot: true }, cell: "rnn_tanh", hiddenSize: H, output: { size: V, per: "step" } }, 44);
    const start = [[1]];
    expect(() => model.generate({ start, maxLength: 3, topP: 0, temperature: 1, rng: seededRng(1) })).toThrow("SequenceModel.generate: topP must be in (0, 1], got 0");
    expect(() => model.generate({ start, maxLength: 3, topK: 1.5 })).toThrow("SequenceModel.generate: topK must be an integer ≥ 1, got 1.5");
    expect(() => model.generate({ start, maxLength: 3, repetitionPenalty: -1 })).toThrow("SequenceModel.generate: repetitionPenalty must be a finite number > 0, got -1");
    expect(() => model.generate({ start, maxLength: 3, temperature: 0.5 })).toThrow("SequenceModel.generate: sampling (temperature > 0) needs rng: seededRng(seed), got undefined");
    expect(() => model.generate({ start, maxLength: 3, top_p: 0.9 } as never)).toThrow(/top_p/);
  });

  it("bad configs and ids are named", () => {
    const base = { cell: "gru", hiddenSize: 3, output: { size: 2, per: "sequence" } } as const;
    expect(() => new SequenceModel({ ...base, input: { vocabSize: 4, oneHot: false as never } })).toThrow(/input\.oneHot must be true \(or give embeddingDim instead\), got false/);
    expect(() => new SequenceModel({ ...base, input: { vocabSize: 4, oneHot: true, embeddingDim: 3 } as never })).toThrow(/embeddingDim/);
    const m = new SequenceModel({ ...base, input: { vocabSize: 4, oneHot: true } });
    expect(() => m.forward({ tokens: { data: [1, 2, 4], shape: [3, 1] } })).toThrow(/ids must be integers in \[0, 4\), got 4 at \[2, 0\]/);
    expect(() => m.forward({ x: randn(seededRng(1), [2, 1, 4]) })).toThrow(/this model reads token ids/);
  });
});

// ---- small tasks each shape is made for, learned deterministically and scored on held-out data ----------------------

/** A plain training loop: Adam, clipping at 1, the loss given by `lossOf`. */
function train(model: SequenceModel, steps: number, lr: number, batch: (step: number) => { input: SequenceInput; targets: ArrayLike<number> }): void {
  const adam = new Adam({ lr });
  for (let s = 0; s < steps; s++) {
    const { input, targets } = batch(s);
    const y = model.forward(input, { training: true });
    const { dLogits } = softmaxCrossEntropy(y, targets);
    model.store.zeroGrad();
    model.backward(dLogits);
    clipGradNorm(model.store.grads, 1);
    adam.step(model.store.values, model.store.grads);
  }
}

function accuracy(logits: Tensor, targets: ArrayLike<number>, ignore = -100): number {
  const V = logits.shape[logits.shape.length - 1]!;
  let right = 0, n = 0;
  for (let i = 0; i < targets.length; i++) {
    if (targets[i] === ignore) continue;
    let best = 0;
    for (let j = 1; j < V; j++) if (logits.data[i * V + j]! > logits.data[i * V + best]!) best = j;
    right += best === targets[i] ? 1 : 0;
    n++;
  }
  return right / n;
}

describe("each shape learns the task it is made for (seeded, held-out data)", () => {
  it("many-to-one: the parity of a bit string of variable length (padded batches)", () => {
    const T = 8, B = 32;
    const make = (rng: Rng) => {
      const x = new Float32Array(T * B), y = new Int32Array(B), lengths: number[] = [];
      for (let b = 0; b < B; b++) {
        const n = 2 + rng.int(T - 1);
        lengths.push(n);
        let p = 0;
        for (let t = 0; t < n; t++) { const bit = rng.int(2); x[t * B + b] = bit; p ^= bit; }
        y[b] = p;
      }
      return { input: { x: { data: x, shape: [T, B, 1] }, lengths }, targets: y };
    };
    const model = new SequenceModel({ input: { features: 1 }, cell: "gru", hiddenSize: 16, output: { size: 2, per: "sequence" } }, 1);
    const rng = seededRng(1);
    train(model, 400, 0.02, () => make(rng));
    const test = make(seededRng(999));
    expect(accuracy(model.forward(test.input), test.targets)).toBeGreaterThanOrEqual(0.95);
  });

  it("many-to-many aligned: echo each token two steps later", () => {
    const T = 12, B = 16, V = 5;
    const make = (rng: Rng) => {
      const tok = tokens(rng, T, B, V);
      const y = new Int32Array(T * B).fill(-100);   // nothing to echo yet at t < 2
      for (let t = 2; t < T; t++) for (let b = 0; b < B; b++) y[t * B + b] = tok.data[(t - 2) * B + b]!;
      return { input: { tokens: tok }, targets: y };
    };
    const model = new SequenceModel({ input: { vocabSize: V, embeddingDim: 8 }, cell: "lstm", hiddenSize: 24, output: { size: V, per: "step" } }, 2);
    const rng = seededRng(2);
    train(model, 250, 0.02, () => make(rng));
    const test = make(seededRng(998));
    expect(accuracy(model.forward(test.input), test.targets)).toBeGreaterThanOrEqual(0.97);
  });

  it("one-to-many: emit a class's pattern from a one-hot class vector (teacher forcing, then greedy generation)", () => {
    const BOS = 0, EOS = 1, V = 6, patterns = [[2, 3, 4, 5, 2], [5, 4, 3, 2, 5], [3, 3, 5, 5, 4], [4, 2, 4, 2, 3]];
    const C = patterns.length, T = 6, B = C;
    const condition = { data: new Float32Array(C * C), shape: [B, C] };
    for (let c = 0; c < C; c++) condition.data[c * C + c] = 1;
    const inTok = new Int32Array(T * B), target = new Int32Array(T * B);
    for (let c = 0; c < C; c++) {
      const seq = [BOS, ...patterns[c]!, EOS];
      for (let t = 0; t < T; t++) { inTok[t * B + c] = seq[t]!; target[t * B + c] = seq[t + 1]!; }
    }
    const model = new SequenceModel({ input: { vocabSize: V, embeddingDim: 4 }, cell: "lstm", hiddenSize: 16, condition: { size: C }, output: { size: V, per: "step" } }, 3);
    train(model, 150, 0.03, () => ({ input: { tokens: { data: inTok, shape: [T, B] }, condition }, targets: target }));
    const out = model.generate({ start: patterns.map(() => [BOS]), condition, maxLength: 10, endToken: EOS });
    expect(out).toEqual(patterns.map((p) => [...p, EOS]));
  });

  it("bidirectional: a tag that depends on the future (the next token) is learned only with both directions", () => {
    const T = 10, B = 16, V = 3;
    const make = (rng: Rng) => {
      const tok = tokens(rng, T, B, V);
      const y = new Int32Array(T * B).fill(-100);
      for (let t = 0; t < T - 1; t++) for (let b = 0; b < B; b++) y[t * B + b] = tok.data[(t + 1) * B + b]!;
      return { input: { tokens: tok }, targets: y };
    };
    const score = (bidirectional: boolean): number => {
      const model = new SequenceModel({ input: { vocabSize: V, embeddingDim: 4 }, cell: "gru", hiddenSize: 16, bidirectional, output: { size: V, per: "step" } }, 4);
      const rng = seededRng(4);
      train(model, 200, 0.02, () => make(rng));
      const test = make(seededRng(997));
      return accuracy(model.forward(test.input), test.targets);
    };
    expect(score(true)).toBeGreaterThanOrEqual(0.97);
    expect(score(false)).toBeLessThan(0.5);   // chance is 1/3: the future cannot be seen
  });
});

describe("SequenceModel on a padded batch equals each sequence run alone, for every output shape", () => {
  const cases: Array<[string, Partial<SequenceModelConfig>]> = [
    ["per step", { output: { size: 3, per: "step" } }],
    ["last", { output: { size: 3, per: "sequence", pooling: "last" } }],
    ["mean", { output: { size: 3, per: "sequence", pooling: "mean" } }],
    ["max", { output: { size: 3, per: "sequence", pooling: "max" } }],
  ];
  for (const [name, part] of cases) {
    it(`${name}, bidirectional LSTM (merge sum), outputs and parameter gradients`, () => {
      const config = { input: { vocabSize: 7, embeddingDim: 3 }, cell: "lstm", hiddenSize: 4, bidirectional: true, merge: "sum", ...part } as SequenceModelConfig;
      const T = 5, B = 3, lengths = [5, 2, 4];
      const rng = seededRng(30);
      const tok = tokens(rng, T, B, 7);
      const batch = new SequenceModel(config, 1), solo = new SequenceModel(config, 1);
      const y = batch.forward({ tokens: tok, lengths });
      const perStep = config.output.per === "step";
      const dY = randn(rng, y.shape);
      if (perStep) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t >= lengths[b]!) dY.data.fill(0, (t * B + b) * 3, (t * B + b + 1) * 3);
      batch.store.zeroGrad();
      batch.backward(dY);
      solo.store.zeroGrad();
      for (let b = 0; b < B; b++) {
        const n = lengths[b]!;
        const ids = Array.from({ length: n }, (_, t) => tok.data[t * B + b]!);
        const ys = solo.forward({ tokens: { data: ids, shape: [n, 1] } });
        const dYs = { data: new Float32Array(ys.data.length), shape: ys.shape };
        for (let t = 0; t < (perStep ? n : 1); t++) {
          const src = perStep ? (t * B + b) * 3 : b * 3;
          for (let j = 0; j < 3; j++) {
            expect(ys.data[t * 3 + j]).toBeCloseTo(y.data[src + j]!, 5);
            dYs.data[t * 3 + j] = dY.data[src + j]!;
          }
        }
        solo.backward(dYs);   // gradients accumulate over the B single runs
      }
      for (let i = 0; i < batch.store.grads.length; i++) {
        if (!(Math.abs(batch.store.grads[i]! - solo.store.grads[i]!) <= 1e-5 * (1 + Math.abs(solo.store.grads[i]!)))) {
          expect.fail(`${batch.store.params.find((p) => i >= p.offset && i < p.offset + p.size)!.name}: ${batch.store.grads[i]} vs ${solo.store.grads[i]}`);
        }
      }
    });
  }
});
