import { describe, expect, it } from "vitest";
import { Adam, SGD, SequenceModel, Trainer, formatProgress, seededRng } from "../src/index.js";
import type { Rng, SequenceExample, SequenceModelConfig } from "../src/index.js";

/** Many-to-one: does token 1 occur before token 2 in a sequence of 3..10 tokens from 0..5? (an order-sensitive task) */
function orderTask(rng: Rng, n: number): SequenceExample[] {
  const out: SequenceExample[] = [];
  while (out.length < n) {
    const len = 3 + rng.int(8);
    const seq = Array.from({ length: len }, () => rng.int(6));
    const i1 = seq.indexOf(1), i2 = seq.indexOf(2);
    if (i1 < 0 || i2 < 0) continue;
    out.push({ input: seq, target: i1 < i2 ? 1 : 0 });
  }
  return out;
}

const classifier: SequenceModelConfig = { input: { vocabSize: 6, embeddingDim: 8 }, cell: "gru", hiddenSize: 24, output: { size: 2, per: "sequence" } };

/** A stream from a fixed sparse Markov chain over 8 symbols (each symbol has 2 likely successors): learnable structure. */
function markovStream(seed: number, n: number): Int32Array {
  const rng = seededRng(seed), next = [[1, 2], [3, 4], [5, 6], [7, 0], [2, 5], [1, 7], [4, 3], [6, 0]];
  const out = new Int32Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    out[i] = s;
    const pair = next[s]!;
    s = rng.uniform() < 0.8 ? pair[0]! : pair[1]!;
  }
  return out;
}
// entropy of the chain's next symbol: H(0.8, 0.2) = 0.722 bits; a model that learned the chain gets close to it

describe("Trainer", () => {
  it("a many-to-one classifier reaches 95% held-out accuracy within 6 epochs of 500 examples (≈ 96 steps)", () => {
    const train = orderTask(seededRng(1), 500), test = orderTask(seededRng(2), 300);
    const model = new SequenceModel(classifier, 1);
    const trainer = new Trainer({ model, optimizer: new Adam({ lr: 0.01 }), clipNorm: 1 });
    const result = trainer.fit(train, { epochs: 6, batchSize: 32, seed: 1, validation: test });
    expect(result.stopReason).toBe("completed");
    expect(result.epochs).toHaveLength(6);
    expect(trainer.evaluate(test).accuracy).toBeGreaterThanOrEqual(0.95);
    expect(result.epochs[5]!.validation!.accuracy).toBe(trainer.evaluate(test).accuracy);
  });

  it("a character LM trained with truncated BPTT reaches 0.80 held-out bits per character within 2 epochs (≈ 110 steps)", () => {
    const model = new SequenceModel({ input: { vocabSize: 8, embeddingDim: 8 }, cell: "lstm", hiddenSize: 32, output: { size: 8, per: "step" } }, 2);
    const trainer = new Trainer({ model, optimizer: new Adam({ lr: 0.01 }), clipNorm: 1 });
    const valid = markovStream(8, 4000);
    const before = trainer.evaluateStream(valid, { T: 25, B: 8 }).bitsPerToken!;
    const result = trainer.fitStream(markovStream(7, 11000), { epochs: 2, T: 25, B: 8, validation: valid });
    const after = result.epochs[1]!.validation!.bitsPerToken!;
    expect(before).toBeGreaterThan(2.5);   // untrained: about log2(8) = 3
    expect(after).toBeLessThan(0.8);       // the chain's entropy is 0.722
  });

  it("the same seeds give bit-identical weights (dropout, shuffling and initialisation are all seeded)", () => {
    const run = (): Float32Array => {
      const model = new SequenceModel({ ...classifier, dropout: 0.2, numLayers: 2 }, 3);
      new Trainer({ model, optimizer: new Adam({ lr: 0.01 }) }).fit(orderTask(seededRng(3), 96), { epochs: 2, batchSize: 16, seed: 9 });
      return model.store.values;
    };
    const a = run(), b = run();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it("a non-finite loss stops training, leaves the weights unchanged and says so", () => {
    const model = new SequenceModel(classifier, 4);
    const trainer = new Trainer({ model, optimizer: new Adam({ lr: 0.01 }) });
    model.store.get("head.bias").value[0] = NaN;
    const before = Float32Array.from(model.store.values);
    const result = trainer.fit(orderTask(seededRng(4), 64), { epochs: 1, batchSize: 16 });
    expect(result.stopReason).toBe("non-finite");
    expect(result.nonFinite).toMatchObject({ what: "loss" });
    expect(result.nonFinite!.message).toMatch(/loss is NaN at step 1; weights left unchanged/);
    expect(Object.is(model.store.values[model.store.get("head.bias").offset], NaN)).toBe(true);
    expect(Array.from(model.store.values).map(String)).toEqual(Array.from(before).map(String));
  });

  it("a non-finite gradient names the parameter and element, skips the update, and with stopOnNonFinite false training goes on", () => {
    const model = new SequenceModel(classifier, 5);
    const backward = model.backward.bind(model);
    let calls = 0;
    model.backward = (d) => {
      const r = backward(d);
      if (++calls === 2) model.store.get("rnn.weight_hh_l0").grad[3 * 24 + 5] = Infinity;  // only on the second step
      return r;
    };
    const trainer = new Trainer({ model, optimizer: new SGD({ lr: 0.1 }), clipNorm: 1 });
    const reports: Array<{ skipped: unknown; step: number }> = [];
    const result = trainer.fit(orderTask(seededRng(5), 64), { epochs: 1, batchSize: 16, shuffle: false, stopOnNonFinite: false, onBatch: (r) => { reports.push({ skipped: r.skipped, step: r.step }); } });
    expect(result.stopReason).toBe("completed");
    expect(reports.map((r) => r.step)).toEqual([1, 1, 2, 3]);
    expect(reports[1]!.skipped).toMatchObject({ what: "gradient", parameter: "rnn.weight_hh_l0", index: [3, 5], value: Infinity });
    expect(result.epochs[0]!.skippedSteps).toBe(1);
    expect(model.store.values.every(Number.isFinite)).toBe(true);
  });

  it("early stopping restores the weights of the best epoch", () => {
    const train = orderTask(seededRng(6), 64);
    // validation labels are the opposite rule: the better the model fits train, the worse it does here
    const flipped = orderTask(seededRng(7), 64).map((ex) => ({ ...ex, target: 1 - (ex.target as number) }));
    const model = new SequenceModel(classifier, 6);
    const snapshots: Float32Array[] = [];
    const result = new Trainer({ model, optimizer: new Adam({ lr: 0.02 }) }).fit(train, {
      epochs: 20, batchSize: 16, validation: flipped, earlyStopping: { patience: 2 },
      onEpoch: () => { snapshots.push(Float32Array.from(model.store.values)); },
    });
    expect(result.stopReason).toBe("early-stopping");
    expect(result.epochs.length).toBeLessThan(20);
    const best = result.bestEpoch!;
    const losses = result.epochs.map((e) => e.validation!.loss);
    expect(losses[best - 1]).toBe(Math.min(...losses));
    expect(model.store.values).toEqual(snapshots[best - 1]);
  });

  it("fitAsync yields to the event loop, and stops on an AbortSignal with the weights of the last finished step", async () => {
    const data = orderTask(seededRng(8), 160);
    const reference = new SequenceModel(classifier, 8);
    new Trainer({ model: reference, optimizer: new Adam({ lr: 0.01 }) }).fit(data, { epochs: 1, batchSize: 16, seed: 2, onBatch: (r) => r.batch < 3 });

    const model = new SequenceModel(classifier, 8);
    const controller = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 0);
    const result = await new Trainer({ model, optimizer: new Adam({ lr: 0.01 }) }).fitAsync(data, {
      epochs: 5, batchSize: 16, seed: 2, signal: controller.signal,
      onBatch: (r) => { if (r.batch === 3) controller.abort(); },
    });
    clearInterval(timer);
    expect(result.stopReason).toBe("aborted");
    expect(ticks).toBeGreaterThan(0);               // other tasks ran while training
    expect(model.store.values).toEqual(reference.store.values);
  });

  it("fitAsync stops at a time budget", async () => {
    const model = new SequenceModel(classifier, 9);
    const before = Float32Array.from(model.store.values);
    const result = await new Trainer({ model, optimizer: new Adam() }).fitAsync(orderTask(seededRng(9), 64), { epochs: 3, timeBudgetMs: 0 });
    expect(result.stopReason).toBe("time-budget");
    expect(model.store.values).toEqual(before);
  });

  it("regression with padded per-step targets (MSE), predict, validationSplit and progress lines", () => {
    // per step: predict the running sum of the inputs so far
    const rng = seededRng(10);
    const data: SequenceExample[] = Array.from({ length: 120 }, () => {
      const n = 2 + rng.int(5);
      const xs = Array.from({ length: n }, () => [rng.uniformRange(-1, 1)]);
      let s = 0;
      return { input: xs, target: xs.map(([v]) => [(s += v!)]) };
    });
    const model = new SequenceModel({ input: { features: 1 }, cell: "lstm", hiddenSize: 16, output: { size: 1, per: "step" } }, 10);
    const trainer = new Trainer({ model, optimizer: new Adam({ lr: 0.02 }), loss: "mse" });
    const lines: string[] = [];
    const result = trainer.fit(data, { epochs: 15, batchSize: 20, validationSplit: 0.25, onBatch: (r) => { lines.push(formatProgress(r, 15)); } });
    expect(result.epochs[14]!.validation!.loss).toBeLessThan(0.02);
    expect(result.epochs[14]!.validation!.count).toBe(data.slice(90).reduce((a, ex) => a + ex.input.length, 0));
    expect(lines[0]).toMatch(/^\[#+\.+\] epoch 1\/15  batch 1\/5  loss \d+\.\d{4}  [\d,]+ tok\/s$/);
    const preds = trainer.predict(data.slice(0, 3));
    expect(preds.map((p) => p.length)).toEqual(data.slice(0, 3).map((ex) => ex.input.length));
    // unlabelled inputs: the same outputs without a target
    expect(trainer.predict(data.slice(0, 3).map((ex) => ({ input: ex.input })))).toEqual(preds);
  });

  it("bad examples and options name the problem", () => {
    const model = new SequenceModel(classifier, 1);
    const trainer = new Trainer({ model, optimizer: new Adam() });
    expect(() => trainer.fit([{ input: [1, 9], target: 0 }], { epochs: 1 })).toThrow(/example 0 input\[1\] must be a token id in \[0, 6\), got 9/);
    expect(() => trainer.fit([{ input: [1, 2], target: 2 }], { epochs: 1 })).toThrow(/example 0 target must be a class in \[0, 2\), got 2/);
    expect(() => trainer.fit([{ input: [], target: 0 }], { epochs: 1 })).toThrow(/example 0 has an empty input/);
    expect(() => trainer.fit([{ input: [1], target: 0 }], { epochs: 1, earlyStopping: { monitor: "valLoss" } })).toThrow(/monitors valLoss but there is no validation data/);
    expect(() => trainer.fit([{ input: [1], target: 0 }], { epochs: 0 })).toThrow(/epochs must be a positive integer, got 0/);
    expect(() => new Trainer({ model, optimizer: new Adam(), loss: "hinge" as never })).toThrow(/loss must be "cross-entropy", "mse", "huber" or "bce-with-logits", got "hinge"/);
    expect(() => trainer.fitStream(new Int32Array(100), { epochs: 1, T: 5, B: 2 })).toThrow(/truncated BPTT needs a unidirectional, unconditioned token model with per-step output/);
  });
});

describe("edge cases users hit", () => {
  it("a one-token sequence gives a finite loss (language model and classifier), unseen characters map to unknown", async () => {
    const { Vocab } = await import("../src/index.js");
    const vocab = Vocab.fromText("ab");
    const ids = Array.from(vocab.encode("z"));            // unseen → unk
    expect(ids).toEqual([vocab.unkId]);
    const lm = new SequenceModel({ input: { vocabSize: vocab.size, embeddingDim: 4 }, cell: "gru", hiddenSize: 5, output: { size: vocab.size, per: "step" } }, 1);
    const t = new Trainer({ model: lm, optimizer: new Adam() });
    const r = t.step(t.collate([{ input: ids, target: [vocab.eosId] }]));
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.skipped).toBeNull();
    expect(Number.isFinite(t.evaluate([{ input: [vocab.bosId], target: [vocab.eosId] }]).loss)).toBe(true);
    const clf = new SequenceModel({ ...classifier }, 1);
    expect(Number.isFinite(new Trainer({ model: clf, optimizer: new Adam() }).evaluate([{ input: [3], target: 1 }]).loss)).toBe(true);
  });
});
