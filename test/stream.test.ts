import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { GRU, LSTM, RNN, randn, seededRng } from "../src/index.js";
import type { LSTMOutput, RecurrentStream, Tensor } from "../src/index.js";

const layers = {
  rnn_tanh: () => new RNN({ inputSize: 5, hiddenSize: 6, numLayers: 2, seed: 1 }),
  rnn_relu: () => new RNN({ inputSize: 5, hiddenSize: 6, numLayers: 2, nonlinearity: "relu", seed: 1 }),
  lstm: () => new LSTM({ inputSize: 5, hiddenSize: 6, numLayers: 2, seed: 1 }),
  gru: () => new GRU({ inputSize: 5, hiddenSize: 6, numLayers: 2, seed: 1 }),
};

function stepAll(s: RecurrentStream, x: Tensor, T: number, B: number, I: number, H: number): Float32Array {
  const out = new Float32Array(T * B * H);
  for (let t = 0; t < T; t++) out.set(s.step(x.data.subarray(t * B * I, (t + 1) * B * I)), t * B * H);
  return out;
}

describe("RecurrentStream", () => {
  for (const [kind, make] of Object.entries(layers)) {
    it(`${kind}: stepping gives bit for bit the outputs and final states of forward (2 layers, B=3, from a given state)`, () => {
      const layer = make();
      const rng = seededRng(4);
      const T = 7, B = 3, I = 5, H = 6;
      const x = randn(rng, [T, B, I]);
      const h0 = randn(rng, [2, B, H]), c0 = randn(rng, [2, B, H]);
      const isLstm = kind === "lstm";
      const full = layer.forward(x, isLstm ? { h0, c0 } : { h0 });
      const s = layer.stream(B, isLstm ? { h: h0, c: c0 } : { h: h0 });
      expect(stepAll(s, x, T, B, I, H)).toEqual(full.output.data);
      const st = s.getState();
      expect(st.h.data).toEqual(full.h.data);
      if (isLstm) expect(st.c!.data).toEqual((full as LSTMOutput).c.data);
    });
  }

  it("stepIds equals stepping one-hot vectors, bit for bit", () => {
    const lstm = new LSTM({ inputSize: 9, hiddenSize: 4, seed: 2 });
    const a = lstm.stream(2), b = lstm.stream(2);
    const ids = [[3, 0], [8, 8], [1, 5], [0, 2]];
    for (const pair of ids) {
      const onehot = new Float32Array(18);
      onehot[pair[0]!] = 1;
      onehot[9 + pair[1]!] = 1;
      expect(Array.from(a.stepIds(pair))).toEqual(Array.from(b.step(onehot)));
    }
  });

  it("stepIds over a vocabulary too large to copy (I·G > 4 Mi) reads W_ih in place and equals forwardIds", () => {
    const I = (1 << 20) + 1;                             // G = 4 for H = 1: 4 Mi + 4 weights
    const lstm = new LSTM({ inputSize: I, hiddenSize: 1, seed: 3 });
    const ids = [I - 1, 0, 77777];
    const s = lstm.stream(1);
    const stepped = ids.map((id) => s.stepIds([id])[0]!);
    const { output } = lstm.forwardIds(ids, [ids.length, 1]);
    expect(stepped).toEqual(Array.from(output.data));
  });

  it("clone() continues independently; reset() starts from zeros; several streams share one model", () => {
    const gru = new GRU({ inputSize: 2, hiddenSize: 3, seed: 3 });
    const rng = seededRng(1);
    const s = gru.stream(1);
    s.step(randn(rng, [1, 2]));
    const t = s.clone();
    const x = randn(rng, [1, 2]);
    const a = Array.from(s.step(x)), b = Array.from(t.step(x));
    expect(b).toEqual(a);
    s.step(x);
    expect(Array.from(t.getState().h.data)).toEqual(a);
    s.reset();
    const fresh = gru.stream(1);
    expect(Array.from(s.step(x))).toEqual(Array.from(fresh.step(x)));
  });

  it("reads the weight matrices when made; refresh() reads them again after they change (state kept)", () => {
    for (const layer of [new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 5 }), new GRU({ inputSize: 3, hiddenSize: 4, seed: 6 })]) {
      const rng = seededRng(2);
      const x1 = randn(rng, [2, 3]), x2 = randn(rng, [2, 3]);
      const s = layer.stream(2);
      s.step(x1);
      const state = s.getState();
      for (const p of layer.parameters()) for (let i = 0; i < p.value.length; i++) p.value[i] = p.value[i]! * 0.5 + 0.01;
      const stale = s.clone();         // a clone reads the weights now
      const old = Array.from(s.step(x2));
      const fresh = Array.from(stale.step(x2));
      expect(fresh).not.toEqual(old);
      s.setState(state);
      s.refresh();
      expect(Array.from(s.step(x2))).toEqual(fresh);
      // and it is what forward gives from the same state with the new weights
      const h0 = state.h, c0 = state.c;
      const ref = layer.forward({ data: x2.data, shape: [1, 2, 3] }, { h0, ...(c0 ? { c0 } : {}) } as never);
      expect(Array.from(s.getState().h.data.subarray(-8))).toEqual(Array.from(ref.output.data));
    }
  });

  it("stepIds reads the input weights again on refresh() (its transposed copy of W_ih included)", () => {
    const lstm = new LSTM({ inputSize: 5, hiddenSize: 3, seed: 7 });
    const s = lstm.stream(2);
    s.stepIds([1, 4]);                                   // makes the copy
    const state = s.getState();
    const wIh = lstm.parameters().find((p) => p.name.includes("weight_ih"))!;
    for (let i = 0; i < wIh.value.length; i++) wIh.value[i] = -wIh.value[i]!;
    s.refresh();
    const fresh = lstm.stream(2);
    fresh.setState(state);
    s.setState(state);
    expect(Array.from(s.stepIds([4, 0]))).toEqual(Array.from(fresh.stepIds([4, 0])));
    const onehot = new Float32Array(10);
    onehot[4] = 1; onehot[5] = 1;                        // the same step as a dense input
    fresh.setState(state);
    expect(Array.from(fresh.step(onehot))).toEqual(Array.from(s.getState().h.data));
  });

  it("allocates nothing per step", () => {
    // Set before anything is compiled: changing V8 flags later can throw away optimised code mid-measurement.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const lstm = new LSTM({ inputSize: 16, hiddenSize: 32, numLayers: 2, seed: 1 });
    const s = lstm.stream(4);
    const xt = randn(seededRng(2), [4, 16]), x = xt.data;
    const ids = [1, 2, 3, 4];
    // Warm up until V8 has compiled everything: compiled code and feedback vectors count in heapUsed too (measured:
    // +6 MB over the first 6,000 steps, +40 KB over the next 6,000, then a few hundred bytes per 6,000).
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3000; i++) { s.step(x); s.step(xt); s.stepIds(ids); }
      gc();
    }
    // After a full GC the young generation is empty, and 6,000 steps of even one 32-byte object each (~190 KB) stay
    // far below a semi-space (MBs), so no scavenge can hide them: any per-step allocation shows up in heapUsed.
    // The least growth over five measured rounds: a late JIT (re)compilation under load adds heap once (seen: 95 KB in
    // one round on a loaded machine), while an allocation per step would add ≥ 190 KB in every round.
    let least = Infinity;
    for (let round = 0; round < 5; round++) {
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 3000; i++) { s.step(x); s.step(xt); s.stepIds(ids); }
      least = Math.min(least, process.memoryUsage().heapUsed - before);
    }
    expect(least).toBeLessThan(64 * 1024);
  });

  it("errors: bidirectional, wrong input size, bad ids, wrong state shape", () => {
    expect(() => new LSTM({ inputSize: 2, hiddenSize: 3, bidirectional: true }).stream(1)).toThrow(/bidirectional layer cannot run step by step/);
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2 });
    const s = lstm.stream(2);
    expect(() => s.step(new Float32Array(3))).toThrow(/input must hold B·I = 2·2 = 4 values, got 3/);
    expect(() => s.step(randn(seededRng(1), [2, 3]))).toThrow(/input must be \[2, 2\], got \[2, 3\]/);
    expect(() => s.step(Float32Array.of(1, NaN, 0, 0))).toThrow(/input must be finite, got NaN at \[0, 1\]/);
    expect(() => s.stepIds([0, 2])).toThrow(/ids\[1\] must be an integer in \[0, 2\), got 2/);
    expect(() => s.stepIds([0])).toThrow(/ids must hold one index per stream \(B=2\), got 1/);
    expect(() => s.setState({ h: randn(seededRng(1), [2, 2, 3]) })).toThrow(/an LSTM state needs c \[2, 2, 3\]/);
    expect(() => s.setState({ h: randn(seededRng(1), [1, 2, 3]), c: randn(seededRng(1), [2, 2, 3]) })).toThrow(/h must be \[2, 2, 3\], got \[1, 2, 3\]/);
    expect(() => lstm.stream(0)).toThrow(/batchSize must be a positive integer, got 0/);
  });
});
