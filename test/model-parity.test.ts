import { describe, expect, it } from "vitest";
import { Adam, Embedding, GRU, LSTM, Linear, ParamStore, SGD, clipGradNorm, softmaxCrossEntropy } from "../src/index.js";
import type { AdamOptions, Optimizer, SGDOptions } from "../src/index.js";
import { expectClose, expectStateDictClose, readFixture } from "./helpers.js";
import type { FixtureTensor } from "./helpers.js";

type Dict = Record<string, FixtureTensor>;

/** Written by test/fixtures/gen_model_fixtures.py: PyTorch float64 forward/backward from float32 weights. */
interface ClassifierFixture {
  config: { numEmbeddings: number; embeddingDim: number; paddingIdx: number; hiddenSize: number; numLayers: number; numClasses: number };
  T: number;
  B: number;
  lengths: number[];
  ids: number[];       // [T, B], pad id past each length
  targets: number[];   // [B]
  state_dict: Dict;
  logits: FixtureTensor;
  loss: number;
  grads: Dict;
}

/** Written by the same script: PyTorch's own float32 training runs. */
interface TrainingRun {
  case: string;
  rnn: "LSTM" | "GRU";
  optimizer: "Adam" | "SGD";
  options: Record<string, number>;
  maxNorm: number;
  losses: number[];    // the loss of step k, before its update
  norms: number[];     // clip_grad_norm_'s return of step k: the norm before clipping
  final_state_dict: Dict;
}

interface TrainingFixture {
  config: { numEmbeddings: number; embeddingDim: number; hiddenSize: number; T: number; B: number; steps: number };
  inputs: number[][][];   // [steps, T, B]
  targets: number[][][];  // [steps, T, B], the next token of each input
  initial_state_dict: Record<"LSTM" | "GRU", Dict>;
  runs: TrainingRun[];
}

// The classifier references are float64 results from float32 weights, as in pytorch-parity.test.ts.
const RTOL = 1e-4, ATOL = 1e-6;

/** Float32Array.from reads JSON numbers as the library does: the values a loaded parameter must hold exactly. */
const asFloat32 = (data: number[]): number[] => Array.from(Float32Array.from(data));

describe("PyTorch parity: bidirectional 2-layer LSTM many-to-one classifier over a padded batch", () => {
  const f = readFixture<ClassifierFixture>("model/bilstm_classifier.json");
  const { T, B } = f;
  const { numEmbeddings: V, embeddingDim: E, paddingIdx, hiddenSize: H, numLayers: L, numClasses: C } = f.config;

  /** emb → LSTM → [h_n[−2], h_n[−1]] → fc, in one store named like PyTorch's module attributes. */
  function build() {
    const store = new ParamStore();
    const emb = new Embedding({ numEmbeddings: V, embeddingDim: E, paddingIdx, name: "emb" }, store);
    const rnn = new LSTM({ inputSize: E, hiddenSize: H, numLayers: L, bidirectional: true, name: "rnn" }, store);
    const fc = new Linear({ inputSize: 2 * H, outputSize: C, name: "fc" }, store);
    return { store, emb, rnn, fc };
  }

  it("the store's keys are PyTorch's state-dict keys, in its order, and loadStateDict takes the dict as it is", () => {
    const { store } = build();
    expect(Object.keys(store.stateDict())).toEqual(Object.keys(f.state_dict));
    store.loadStateDict(f.state_dict);
    for (const [k, e] of Object.entries(store.stateDict())) {
      expect(e.shape, k).toEqual(f.state_dict[k]!.shape);
      expect(e.data, k).toEqual(asFloat32(f.state_dict[k]!.data));
    }
  });

  it("logits, loss and the gradient of every parameter match (the padding row gets none)", () => {
    const { store, emb, rnn, fc } = build();
    store.loadStateDict(f.state_dict);
    const top = 2 * (L - 1);  // h_n rows of the top layer: forward at `top`, backward at `top + 1`

    // forward: ids [T, B] → x [T, B, E] → h [L*2, B, H] → features [B, 2H] = [h[top, b], h[top+1, b]] → logits [B, C]
    const x = emb.forward(f.ids, [T, B]);
    const { h } = rnn.forward(x, { lengths: f.lengths });
    const features = new Float32Array(B * 2 * H);
    for (let b = 0; b < B; b++) {
      for (let d = 0; d < 2; d++) features.set(h.data.subarray(((top + d) * B + b) * H, ((top + d) * B + b + 1) * H), (b * 2 + d) * H);
    }
    const logits = fc.forward({ data: features, shape: [B, 2 * H] });
    const { loss, dLogits } = softmaxCrossEntropy(logits, f.targets);
    expect(logits.shape).toEqual(f.logits.shape);
    expectClose("logits", logits.data, f.logits.data, RTOL, ATOL);
    expectClose("loss", [loss], [f.loss], RTOL, ATOL);

    // backward: dFeatures [B, 2H] → dh [L*2, B, H] (zero below the top layer; no output and no dc reach the loss)
    store.zeroGrad();
    const dFeatures = fc.backward(dLogits);
    const dh = new Float32Array(2 * L * B * H);
    for (let b = 0; b < B; b++) {
      for (let d = 0; d < 2; d++) dh.set(dFeatures.data.subarray((b * 2 + d) * H, (b * 2 + d + 1) * H), ((top + d) * B + b) * H);
    }
    const { dInput } = rnn.backward(null, { dh: { data: dh, shape: [2 * L, B, H] } });
    emb.backward(dInput);
    const grads = store.gradDict();
    expectStateDictClose("grads", grads, f.grads, RTOL, ATOL);
    // the fixture puts the pad id at one real step too, so this row would get a gradient without the padding rule
    expect(grads["emb.weight"]!.data.slice(paddingIdx * E, (paddingIdx + 1) * E)).toEqual(new Array(E).fill(0));
  });
});

describe("PyTorch parity: float32 character-LM training runs, step by step", () => {
  const f = readFixture<TrainingFixture>("model/char_lm_training.json");
  const { numEmbeddings: V, embeddingDim: E, hiddenSize: H, T, B, steps } = f.config;

  // Both sides run float32 but round differently (PyTorch: float32 SIMD sums; recurrent-ts: float64 sums stored as
  // float32). The issue asks for the loss and the pre-clip norm of every step to relative 1e-3; observed (Node 20,
  // torch 1.13) the worst is 1.8e-7 for the loss and 1.5e-7 for the norm, with no growth over the 30 steps.
  const STEP_RTOL = 1e-3;
  // Final weights: the worst observed |Δ| is 5.8e-7 (a few float32 ulps of weights up to ~3), at most 7% of
  // 1e-4·|ref| + 1e-6, the tolerance of the float64 parity tests, which is used here too. The weights move by 0.29 to
  // 2.0 over the runs, so a wrong update rule, bias correction or clip misses this by orders of magnitude.
  const FINAL_RTOL = 1e-4, FINAL_ATOL = 1e-6;

  /** The PyTorch loop: zero grads, forward, backward, norm = clip_grad_norm_(…), optimizer.step(). */
  function replay(run: TrainingRun) {
    const store = new ParamStore();
    const emb = new Embedding({ numEmbeddings: V, embeddingDim: E, name: "emb" }, store);
    const rnnConfig = { inputSize: E, hiddenSize: H, name: "rnn" };
    const rnn = run.rnn === "LSTM" ? new LSTM(rnnConfig, store) : new GRU(rnnConfig, store);
    const fc = new Linear({ inputSize: H, outputSize: V, name: "fc" }, store);
    store.loadStateDict(f.initial_state_dict[run.rnn]);
    const opt: Optimizer = run.optimizer === "Adam" ? new Adam(run.options as AdamOptions) : new SGD(run.options as unknown as SGDOptions);
    const losses: number[] = [], norms: number[] = [];
    for (let k = 0; k < steps; k++) {
      const ids = f.inputs[k]!.flat(), targets = f.targets[k]!.flat();   // [T, B] → T*B, time-major
      store.zeroGrad();
      const logits = fc.forward(rnn.forward(emb.forward(ids, [T, B])).output);  // [T, B, V]
      const { loss, dLogits } = softmaxCrossEntropy(logits, targets);
      emb.backward(rnn.backward(fc.backward(dLogits)).dInput);
      norms.push(clipGradNorm(store.grads, run.maxNorm));
      opt.step(store.values, store.grads);
      losses.push(loss);
    }
    return { losses, norms, store };
  }

  /** The largest |a − e| / |e| over a series, and where it is. */
  function worstRelative(actual: number[], expected: number[]): { err: number; at: number } {
    let err = 0, at = -1;
    for (let k = 0; k < expected.length; k++) {
      const r = Math.abs(actual[k]! - expected[k]!) / Math.abs(expected[k]!);
      if (!(r <= err)) { err = r; at = k; }
    }
    return { err, at };
  }

  it("covers Adam and SGD with momentum, LSTM and GRU, a clip that never engages and one that does", () => {
    expect(f.runs.map((r) => r.case)).toEqual(["lstm_adam", "lstm_sgd_momentum", "gru_adam", "lstm_sgd_momentum_clipped"]);
    const clipped = f.runs[3]!;
    expect(clipped.norms.filter((n) => n > clipped.maxNorm).length).toBeGreaterThan(0);
    expect(clipped.norms.filter((n) => n <= clipped.maxNorm).length).toBeGreaterThan(0);
  });

  for (const run of f.runs) {
    it(`${run.case}: the loss and the pre-clip norm of all ${steps} steps, and the final weights`, () => {
      const { losses, norms, store } = replay(run);
      expect(losses).toHaveLength(steps);
      const loss = worstRelative(losses, run.losses), norm = worstRelative(norms, run.norms);
      expect(loss.err, `loss at step ${loss.at + 1}: got ${losses[loss.at]}, PyTorch ${run.losses[loss.at]}`).toBeLessThanOrEqual(STEP_RTOL);
      expect(norm.err, `norm at step ${norm.at + 1}: got ${norms[norm.at]}, PyTorch ${run.norms[norm.at]}`).toBeLessThanOrEqual(STEP_RTOL);
      expectStateDictClose("final weights", store.stateDict(), run.final_state_dict, FINAL_RTOL, FINAL_ATOL);
    });
  }
});
