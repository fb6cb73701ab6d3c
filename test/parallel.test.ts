import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { Adam, ParamStore, SGD, SequenceModel, Trainer, TrainingPool, seededRng } from "../src/index.js";
import type { LossKind, Rng, SequenceExample, SequenceModelConfig, TrainerOptions, TrainingWorker } from "../src/index.js";
import { nodeWorker } from "../src/node.js";
import { spawnSourceWorker } from "./source-worker.js";

// The workers run the TypeScript sources (test/package covers the built package's createTrainingPool).
const pools: TrainingPool[] = [];
async function pool(trainer: Trainer, threads: number): Promise<TrainingPool> {
  const p = await TrainingPool.create(trainer, { threads, spawn: spawnSourceWorker });
  pools.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function tokenExamples(rng: Rng, n: number, V: number, perStep: boolean): SequenceExample[] {
  return Array.from({ length: n }, () => {
    const len = 2 + rng.int(6);
    const input = Array.from({ length: len }, () => rng.int(V));
    return { input, target: perStep ? input.map((t) => (t + 1) % V) : input[0]! % 3 };
  });
}

function featureExamples(rng: Rng, n: number, I: number, O: number): SequenceExample[] {
  return Array.from({ length: n }, () => {
    const len = 1 + rng.int(5);
    const input = Array.from({ length: len }, () => Array.from({ length: I }, () => rng.normal()));
    return { input, target: Array.from({ length: O }, () => rng.normal()) };
  });
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1e-3 + Math.abs(b[i]!)));
  return worst;
}

interface Case {
  readonly name: string;
  readonly config: SequenceModelConfig;
  readonly loss?: LossKind;
  readonly extra?: Partial<TrainerOptions>;
  readonly data: (rng: Rng) => SequenceExample[];
}

const CASES: Case[] = [
  { name: "one-hot LSTM language model, per-step cross-entropy, clipping", config: { input: { vocabSize: 9, oneHot: true }, cell: "lstm", hiddenSize: 12, output: { size: 9, per: "step" } }, extra: { clipNorm: 0.5 }, data: (rng) => tokenExamples(rng, 11, 9, true) },
  { name: "bidirectional GRU classifier, class weights and label smoothing", config: { input: { vocabSize: 9, embeddingDim: 4 }, cell: "gru", hiddenSize: 6, bidirectional: true, numLayers: 2, output: { size: 3, per: "sequence", pooling: "mean" } }, extra: { classWeights: [1, 2.5, 0.5], labelSmoothing: 0.1 }, data: (rng) => tokenExamples(rng, 10, 9, false) },
  { name: "tanh RNN regression, Huber on padded feature sequences", config: { input: { features: 3 }, cell: "rnn_tanh", hiddenSize: 5, output: { size: 2, per: "sequence" } }, loss: "huber", data: (rng) => featureExamples(rng, 9, 3, 2) },
];

describe("data-parallel training equals single-thread training up to float rounding", () => {
  for (const c of CASES) {
    for (const threads of [2, 3]) {
      it(`${c.name}, ${threads} threads, 4 steps`, async () => {
        const make = (): Trainer => new Trainer({ model: new SequenceModel(c.config, 5), optimizer: new Adam({ lr: 0.02 }), ...(c.loss ? { loss: c.loss } : {}), ...c.extra });
        const single = make(), parallel = make();
        const p = await pool(parallel, threads);
        const data = c.data(seededRng(6));
        for (let s = 0; s < 4; s++) {
          const batch = data.slice(0, data.length - s);           // shards of uneven and changing sizes
          const a = single.step(single.collate(batch));
          const b = await parallel.stepParallel(batch, p);
          expect(b.skipped).toBeNull();
          expect(b.count).toBe(a.count);
          expect(b.correct).toBe(a.correct);
          expect(b.loss).toBeCloseTo(a.loss, 5);
          expect(b.gradNorm).toBeCloseTo(a.gradNorm, 5);
          expect(b.step).toBe(a.step);
        }
        expect(maxRelDiff(parallel.model.store.values, single.model.store.values)).toBeLessThan(1e-4);
      });
    }
  }

  it("fitAsync with a pool trains like fitAsync without one (same shuffles, same reports)", async () => {
    const cfg = CASES[0]!.config;
    const make = (): Trainer => new Trainer({ model: new SequenceModel(cfg, 8), optimizer: new SGD({ lr: 0.3, momentum: 0.9 }) });
    const single = make(), parallel = make();
    const p = await pool(parallel, 2);
    const data = tokenExamples(seededRng(9), 40, 9, true);
    const r1 = await single.fitAsync(data, { epochs: 2, batchSize: 8, seed: 3, validationSplit: 0.2 });
    const r2 = await parallel.fitAsync(data, { epochs: 2, batchSize: 8, seed: 3, validationSplit: 0.2, pool: p });
    expect(r2.stopReason).toBe("completed");
    for (let e = 0; e < 2; e++) {
      expect(r2.epochs[e]!.train.count).toBe(r1.epochs[e]!.train.count);
      expect(r2.epochs[e]!.train.loss).toBeCloseTo(r1.epochs[e]!.train.loss, 4);
      expect(r2.epochs[e]!.validation!.loss).toBeCloseTo(r1.epochs[e]!.validation!.loss, 4);
    }
    expect(r1.epochs[1]!.train.loss).toBeLessThan(r1.epochs[0]!.train.loss);
    expect(maxRelDiff(parallel.model.store.values, single.model.store.values)).toBeLessThan(1e-3);
  });

  it("more threads than examples: the empty shards are skipped", async () => {
    const make = (): Trainer => new Trainer({ model: new SequenceModel(CASES[2]!.config, 2), optimizer: new Adam({ lr: 0.05 }), loss: "mse" });
    const single = make(), parallel = make();
    const p = await pool(parallel, 3);
    const data = featureExamples(seededRng(1), 2, 3, 2);
    const a = single.step(single.collate(data)), b = await parallel.stepParallel(data, p);
    expect(b.loss).toBeCloseTo(a.loss, 6);
    expect(maxRelDiff(parallel.model.store.values, single.model.store.values)).toBeLessThan(1e-5);
  });
});

describe("data-parallel training is deterministic and safe", () => {
  it("the same seed and thread count give bit-identical weights, dropout included (each worker has its own masks)", async () => {
    const cfg: SequenceModelConfig = { input: { vocabSize: 9, embeddingDim: 5 }, cell: "lstm", hiddenSize: 8, numLayers: 2, dropout: 0.3, output: { size: 9, per: "step" } };
    const runOnce = async (): Promise<Float32Array> => {
      const t = new Trainer({ model: new SequenceModel(cfg, 4), optimizer: new Adam({ lr: 0.01 }) });
      const p = await pool(t, 2);
      await t.fitAsync(tokenExamples(seededRng(2), 24, 9, true), { epochs: 2, batchSize: 8, seed: 1, pool: p });
      return Float32Array.from(t.model.store.values);
    };
    const a = await runOnce(), b = await runOnce();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it("a non-finite gradient from a worker's shard skips the step and leaves the weights unchanged", async () => {
    const t = new Trainer({ model: new SequenceModel(CASES[2]!.config, 3), optimizer: new Adam({ lr: 0.1 }), loss: "mse" });
    const p = await pool(t, 2);
    const data = featureExamples(seededRng(3), 4, 3, 2);
    data[3] = { input: data[3]!.input, target: [3e38, 0] };   // in the second shard: dL/dpred overflows float32
    const before = Float32Array.from(t.model.store.values);
    const r = await t.stepParallel(data, p);
    expect(r.skipped?.what).toBe("gradient");
    expect(r.skipped?.message).toMatch(/gradient with respect to the model's output is -Infinity at step 1/);
    expect(r.step).toBe(0);
    expect(t.model.store.values).toEqual(before);
    const single = new Trainer({ model: new SequenceModel(CASES[2]!.config, 3), optimizer: new Adam({ lr: 0.1 }), loss: "mse" });
    expect(single.step(single.collate(data)).skipped?.message).toMatch(/gradient with respect to the model's output is -Infinity/);
    const ok = await t.stepParallel(data.slice(0, 3), p);    // the pool still works
    expect(ok.skipped).toBeNull();
    expect(ok.step).toBe(1);
  });

  it("bad input names the problem, with the example's index in the whole batch", async () => {
    const t = new Trainer({ model: new SequenceModel(CASES[0]!.config, 3), optimizer: new Adam() });
    const other = new Trainer({ model: new SequenceModel(CASES[0]!.config, 3), optimizer: new Adam() });
    const p = await pool(t, 2);
    const data = tokenExamples(seededRng(4), 6, 9, true);
    const bad = [...data];
    bad[4] = { input: [1, 2, 99], target: [1, 2, 3] };
    await expect(t.stepParallel(bad, p)).rejects.toThrow(/example 4/);
    await expect(other.stepParallel(data, p)).rejects.toThrow(/the pool was created for another Trainer/);
    await expect(t.stepParallel([], p)).rejects.toThrow(/examples must be a non-empty array/);
    await expect(t.stepParallel(data, {} as never)).rejects.toThrow(/pool must be a TrainingPool/);
    await expect(t.fitAsync(data, { epochs: 1, pool: p, junk: 1 } as never)).rejects.toThrow(/junk/);
    await expect(TrainingPool.create(t, { threads: 0, spawn: spawnSourceWorker })).rejects.toThrow(/threads/);
    await expect(TrainingPool.create(t, { threads: 2 } as never)).rejects.toThrow(/spawn must be a function/);
    await expect(TrainingPool.create({} as never, { spawn: spawnSourceWorker })).rejects.toThrow(/trainer must be a Trainer/);
    const closed = await TrainingPool.create(t, { threads: 2, spawn: spawnSourceWorker });
    await closed.close();
    const grads = Float32Array.from(t.model.store.grads);
    await expect(t.stepParallel(data, closed)).rejects.toThrow(/Trainer.stepParallel: the pool is closed/);
    expect(t.model.store.grads).toEqual(grads);
  });

  it("one step at a time: a second step before the first is awaited is refused", async () => {
    const t = new Trainer({ model: new SequenceModel(CASES[2]!.config, 3), optimizer: new Adam(), loss: "mse" });
    const p = await pool(t, 2);
    const data = featureExamples(seededRng(8), 6, 3, 2);
    const first = t.stepParallel(data, p);
    await expect(t.stepParallel(data, p)).rejects.toThrow(/in the middle of a step/);
    expect((await first).step).toBe(1);
    expect((await t.stepParallel(data, p)).step).toBe(2);
  });

  it("a program that never closes its pool still exits when it is done", () => {
    const script = fileURLToPath(new URL("./parallel/forgotten-close.ts", import.meta.url));
    const out = execFileSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 30_000 });
    expect(out).toMatch(/step 1 done/);
  });

  it("a worker that cannot start is reported", async () => {
    const t = new Trainer({ model: new SequenceModel(CASES[0]!.config, 3), optimizer: new Adam() });
    const broken = (): TrainingWorker => nodeWorker(new Worker("throw new Error('no such script')", { eval: true }) as never);
    await expect(TrainingPool.create(t, { threads: 2, spawn: broken })).rejects.toThrow(/worker 1 failed: no such script/);
  });
});

describe("ParamStore.bind", () => {
  it("moves the store onto given buffers, copying values and gradients and repointing every parameter", () => {
    const store = new ParamStore(1);
    const a = store.add("a", [2, 3], (v, r) => v.forEach((_, i) => (v[i] = r.normal())));
    store.add("b", [4], (v) => v.fill(2));
    store.grads.fill(0.5);
    const values = new Float32Array(new SharedArrayBuffer(40)), grads = new Float32Array(10);
    const old = Float32Array.from(store.values);
    store.bind(values, grads);
    expect(store.values).toBe(values);
    expect(values).toEqual(old);
    expect(grads.every((g) => g === 0.5)).toBe(true);
    values[1] = 42;
    expect(store.get("a").value[1]).toBe(42);
    expect(a.grad.buffer).toBe(grads.buffer);
    expect(() => store.bind(new Float32Array(9), new Float32Array(10))).toThrow(/values must hold the store's 10 elements, got 9/);
    const shared = new Float32Array(15);
    expect(() => store.bind(shared.subarray(0, 10), shared.subarray(5, 15))).toThrow(/overlap/);
    expect(store.values).toBe(values);
  });
});
