import { describe, expect, it } from "vitest";
import { GRU, LSTM, ParamStore, RNN, gradCheck, randn, seededRng } from "../src/index.js";
import type { ForwardOptions, GradTarget, Rng, Tensor } from "../src/index.js";
import { dot } from "./helpers.js";

type Kind = "rnn_tanh" | "rnn_relu" | "lstm" | "gru";
const KINDS: Kind[] = ["rnn_tanh", "rnn_relu", "lstm", "gru"];

interface Cfg { I: number; H: number; L: number; bidirectional: boolean; batchFirst?: boolean; seed?: number }

function make(kind: Kind, c: Cfg): RNN | LSTM | GRU {
  const base = { inputSize: c.I, hiddenSize: c.H, numLayers: c.L, bidirectional: c.bidirectional, batchFirst: c.batchFirst ?? false, seed: c.seed ?? 1 };
  if (kind === "lstm") return new LSTM(base);
  if (kind === "gru") return new GRU(base);
  return new RNN({ ...base, nonlinearity: kind === "rnn_relu" ? "relu" : "tanh" });
}

/** Everything a loss L = Σ out·dOut + Σ h·dh (+ Σ c·dc) needs, for one layer and one batch. */
function problem(kind: Kind, c: Cfg, T: number, B: number, rng: Rng, lengths?: number[]) {
  const layer = make(kind, c);
  const D = c.bidirectional ? 2 : 1;
  const x = randn(rng, c.batchFirst ? [B, T, c.I] : [T, B, c.I]);
  const h0 = randn(rng, [c.L * D, B, c.H]);
  const c0 = randn(rng, [c.L * D, B, c.H]);
  const dOut = randn(rng, c.batchFirst ? [B, T, D * c.H] : [T, B, D * c.H]);
  const dh = randn(rng, [c.L * D, B, c.H]);
  const dc = randn(rng, [c.L * D, B, c.H]);
  const isLstm = kind === "lstm";
  const opts: ForwardOptions = { h0, ...(isLstm ? { c0 } : {}), ...(lengths ? { lengths } : {}) };
  const loss = (): number => {
    const r = layer.forward(x, opts);
    let s = dot(r.output.data, dOut.data) + dot(r.h.data, dh.data);
    if ("c" in r) s += dot((r as { c: Tensor }).c.data, dc.data);
    return s;
  };
  const backward = () => layer.backward(dOut, isLstm ? { dh, dc } : { dh }) as { dInput: Tensor; dh0: Tensor; dc0?: Tensor };
  return { layer, x, h0, c0, dOut, dh, dc, opts, loss, backward, isLstm };
}

// The loss is a float64 sum of float32 outputs, so a central difference carries rounding noise ∝ 1/eps and
// truncation error ∝ eps². Swept on the bidirectional 2-layer GRU: max |error| 9.5e-4 at eps 3e-4, 3.5e-4 at 1e-3,
// 1.1e-4 at 3e-3, 2.8e-4 at 1e-2, 2.4e-3 at 3e-2. So eps = 3e-3, where the two meet.
// ReLU is the exception: a larger step crosses its kink when a pre-activation sits within ~eps of 0, so it keeps 1e-3.
const GC = { eps: 3e-3, atol: 1e-4, rtol: 1e-2 };
const GC_RELU = { ...GC, eps: 1e-3 };

describe("backward matches central differences for every parameter, input and initial state", () => {
  for (const kind of KINDS) {
    for (const bidirectional of [false, true]) {
      for (const L of [1, 2]) {
        it(`${kind} ${bidirectional ? "bidirectional" : "unidirectional"} ${L} layer${L > 1 ? "s" : ""}`, () => {
          const rng = seededRng(11);
          const p = problem(kind, { I: 3, H: 4, L, bidirectional }, 4, 2, rng);
          p.loss();
          p.layer.store.zeroGrad();
          const g = p.backward();
          const targets: GradTarget[] = [
            ...p.layer.parameters(),
            { name: "input", value: p.x.data, grad: g.dInput.data, shape: p.x.shape },
            { name: "h0", value: p.h0.data, grad: g.dh0.data, shape: p.h0.shape },
          ];
          if (p.isLstm) targets.push({ name: "c0", value: p.c0.data, grad: g.dc0!.data, shape: p.c0.shape });
          const report = gradCheck(p.loss, targets, kind === "rnn_relu" ? GC_RELU : GC);
          expect(report.ok, report.message).toBe(true);
          expect(report.tensors.length).toBe(targets.length);
        });
      }
    }
  }

  it("gru with batchFirst, no bias, padded batch (bidirectional, 2 layers)", () => {
    const rng = seededRng(5);
    const layer = new GRU({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, batchFirst: true, bias: false, seed: 3 });
    const x = randn(rng, [3, 4, 2]), dOut = randn(rng, [3, 4, 6]);
    const lengths = [2, 4, 1];
    // padded positions do not reach the loss: their outputs are 0 and their inputs get no gradient
    const loss = (): number => dot(layer.forward(x, { lengths }).output.data, dOut.data);
    loss();
    const g = layer.backward(dOut);
    const report = gradCheck(loss, [...layer.parameters(), { name: "input", value: x.data, grad: g.dInput.data, shape: x.shape }], GC);
    expect(report.ok, report.message).toBe(true);
    expect(layer.parameters().map((q) => q.name)).toEqual(["weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse"]);
  });
});

describe("padded batches", () => {
  for (const kind of KINDS) {
    it(`${kind}: a padded batch gives each sequence's own outputs, final states and gradients (bidirectional, 2 layers)`, () => {
      const rng = seededRng(21);
      const T = 5, B = 4, c: Cfg = { I: 3, H: 4, L: 2, bidirectional: true };
      const lengths = [3, 5, 1, 4];
      const p = problem(kind, c, T, B, rng, lengths);
      const full = p.layer.forward(p.x, p.opts);
      p.layer.store.zeroGrad();
      const g = p.backward();
      const batchGrads = Float64Array.from(p.layer.store.grads);

      const solo = make(kind, c);
      solo.store.zeroGrad();
      const H = c.H, I = c.I, LD = 4;
      const soloGrads = new Float64Array(solo.store.size);
      for (let b = 0; b < B; b++) {
        const n = lengths[b]!;
        const xb = { data: new Float32Array(n * I), shape: [n, 1, I] };
        const dOutB = { data: new Float32Array(n * 2 * H), shape: [n, 1, 2 * H] };
        for (let t = 0; t < n; t++) {
          xb.data.set(p.x.data.subarray((t * B + b) * I, (t * B + b + 1) * I), t * I);
          dOutB.data.set(p.dOut.data.subarray((t * B + b) * 2 * H, (t * B + b + 1) * 2 * H), t * 2 * H);
        }
        const pick = (s: Tensor): Tensor => {
          const d = new Float32Array(LD * H);
          for (let k = 0; k < LD; k++) d.set(s.data.subarray((k * B + b) * H, (k * B + b + 1) * H), k * H);
          return { data: d, shape: [LD, 1, H] };
        };
        const r = solo.forward(xb, p.isLstm ? { h0: pick(p.h0), c0: pick(p.c0) } : { h0: pick(p.h0) });
        for (let t = 0; t < T; t++) {
          const got = full.output.data.subarray((t * B + b) * 2 * H, (t * B + b + 1) * 2 * H);
          if (t < n) expect(Array.from(got)).toEqual(Array.from(r.output.data.subarray(t * 2 * H, (t + 1) * 2 * H)));
          else expect(got.every((v) => v === 0)).toBe(true);
        }
        expect(Array.from(pick(full.h).data)).toEqual(Array.from(r.h.data));
        solo.store.zeroGrad();
        const gs = solo.backward(dOutB, p.isLstm ? { dh: pick(p.dh), dc: pick(p.dc) } : { dh: pick(p.dh) }) as { dInput: Tensor; dh0: Tensor };
        for (let i = 0; i < soloGrads.length; i++) soloGrads[i]! += solo.store.grads[i]!;
        for (let t = 0; t < T; t++) {
          const got = g.dInput.data.subarray((t * B + b) * I, (t * B + b + 1) * I);
          if (t < n) expectCloseArr(got, gs.dInput.data.subarray(t * I, (t + 1) * I));
          else expect(got.every((v) => v === 0)).toBe(true);
        }
        expectCloseArr(pick(g.dh0).data, gs.dh0.data);
      }
      expectCloseArr(batchGrads, soloGrads);
    });
  }
});

function expectCloseArr(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)))) expect.fail(`[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

describe("layer behaviour", () => {
  it("reuses its buffers across calls of different (T, B) without stale values", () => {
    const rng = seededRng(3);
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true });
    const xa = randn(rng, [6, 3, 3]), xb = randn(rng, [2, 1, 3]), xc = randn(rng, [9, 4, 3]);
    const dOut = randn(rng, [6, 3, 10]);
    const first = lstm.forward(xa);
    lstm.store.zeroGrad();
    const g1 = lstm.backward(dOut);
    const grads1 = Float32Array.from(lstm.store.grads);
    lstm.forward(xc, { lengths: [9, 2, 5, 1] });
    lstm.backward(randn(rng, [9, 4, 10]));
    lstm.forward(xb);
    const again = lstm.forward(xa);
    lstm.store.zeroGrad();
    const g2 = lstm.backward(dOut);
    expect(again.output.data).toEqual(first.output.data);
    expect(again.h.data).toEqual(first.h.data);
    expect(again.c.data).toEqual(first.c.data);
    expect(g2.dInput.data).toEqual(g1.dInput.data);
    expect(lstm.store.grads).toEqual(grads1);
  });

  it("batchFirst gives the transposed results of time-major", () => {
    const rng = seededRng(4);
    const T = 4, B = 3, I = 2, H = 3;
    const tm = new GRU({ inputSize: I, hiddenSize: H, bidirectional: true, seed: 9 });
    const bf = new GRU({ inputSize: I, hiddenSize: H, bidirectional: true, batchFirst: true, seed: 9 });
    const x = randn(rng, [T, B, I]);
    const xt = { data: new Float32Array(x.data.length), shape: [B, T, I] };
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) xt.data.set(x.data.subarray((t * B + b) * I, (t * B + b + 1) * I), (b * T + t) * I);
    const a = tm.forward(x), c = bf.forward(xt);
    expect(c.output.shape).toEqual([B, T, 2 * H]);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
      expect(Array.from(c.output.data.subarray((b * T + t) * 2 * H, (b * T + t + 1) * 2 * H))).toEqual(Array.from(a.output.data.subarray((t * B + b) * 2 * H, (t * B + b + 1) * 2 * H)));
    }
    expect(c.h.data).toEqual(a.h.data);
  });

  it("has PyTorch's parameter names, shapes and default init bound 1/√H; the same seed gives the same weights", () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 5 });
    const sd = lstm.stateDict();
    expect(Object.keys(sd)).toEqual([
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
    ]);
    expect(sd.weight_ih_l0!.shape).toEqual([16, 3]);
    expect(sd.weight_ih_l1!.shape).toEqual([16, 8]);
    expect(sd.weight_hh_l1_reverse!.shape).toEqual([16, 4]);
    expect(lstm.store.values.every((v) => Math.abs(v) <= 0.5)).toBe(true);
    expect(new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 5 }).store.values).toEqual(lstm.store.values);
    expect(new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 6 }).store.values).not.toEqual(lstm.store.values);
  });

  it("initialisers: orthogonal recurrent blocks, zero biases, forget-gate bias", () => {
    const H = 4;
    const lstm = new LSTM({ inputSize: 3, hiddenSize: H, init: { recurrentWeights: "orthogonal", inputWeights: "xavier-uniform", bias: "zeros", forgetBias: 1 } });
    const sd = lstm.stateDict();
    const w = sd.weight_hh_l0!.data;
    for (let g = 0; g < 4; g++) {
      for (let a = 0; a < H; a++) for (let b = 0; b < H; b++) {
        let s = 0;
        for (let j = 0; j < H; j++) s += w[(g * H + a) * H + j]! * w[(g * H + b) * H + j]!;
        expect(s).toBeCloseTo(a === b ? 1 : 0, 5);
      }
    }
    expect(sd.bias_ih_l0!.data).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(sd.bias_hh_l0!.data.every((v) => v === 0)).toBe(true);
    expect(new GRU({ inputSize: 3, hiddenSize: 2, init: { inputWeights: "zeros" } }).stateDict().weight_ih_l0!.data.every((v) => v === 0)).toBe(true);
    expect(() => new GRU({ inputSize: 3, hiddenSize: 2, init: { inputWeights: "ones" as never } })).toThrow(/init\.inputWeights must be one of pytorch, xavier-uniform, xavier-normal, orthogonal, zeros, got "ones"/);
    const bound = Math.sqrt(6 / (3 + 16));
    expect(sd.weight_ih_l0!.data.every((v) => Math.abs(v) <= bound)).toBe(true);
  });

  it("layers share one ParamStore under their names; the store's flat vector holds all of them", () => {
    const store = new ParamStore(seededRng(2));
    const enc = new GRU({ inputSize: 3, hiddenSize: 4, name: "encoder" }, store);
    const dec = new LSTM({ inputSize: 4, hiddenSize: 4, name: "decoder" }, store);
    expect(store.params.map((p) => p.name)).toEqual([
      "encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0", "encoder.bias_hh_l0",
      "decoder.weight_ih_l0", "decoder.weight_hh_l0", "decoder.bias_ih_l0", "decoder.bias_hh_l0",
    ]);
    expect(store.size).toBe(3 * 4 * (3 + 4 + 2) + 4 * 4 * (4 + 4 + 2));
    expect(Object.keys(dec.stateDict())).toEqual(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
    const x = randn(seededRng(1), [2, 1, 3]);
    const e = enc.forward(x);
    dec.forward(e.output);
    dec.backward(randn(seededRng(2), [2, 1, 4]));
    // the decoder's gradients live in the shared flat buffer
    expect(store.grads.subarray(store.get("decoder.weight_ih_l0").offset).some((v) => v !== 0)).toBe(true);
    expect(store.grads.subarray(0, store.get("decoder.weight_ih_l0").offset).every((v) => v === 0)).toBe(true);
    expect(() => new GRU({ inputSize: 3, hiddenSize: 4, name: "encoder" }, store)).toThrow(/already has a parameter 'encoder.weight_ih_l0'/);
  });

  it("backward with inputGrad: false gives the same parameter and state gradients, without dL/dinput", () => {
    for (const kind of KINDS) {
      for (const bidirectional of [false, true]) {
        const layer = make(kind, { I: 3, H: 4, L: 2, bidirectional, seed: 4 });
        const rng = seededRng(5);
        const x = randn(rng, [5, 2, 3]);
        const lengths = [5, 3];
        const out = layer.forward(x, { lengths });
        const dY = randn(rng, out.output.shape);
        const store = layer.store;
        store.zeroGrad();
        const full = layer.backward(dY);
        const gFull = Float32Array.from(store.grads);
        layer.forward(x, { lengths });
        store.zeroGrad();
        const lean = layer.backward(dY, {}, { inputGrad: false });
        expect(store.grads, `${kind} bidirectional=${bidirectional}`).toEqual(gFull);
        expect(lean.dh0.data).toEqual(full.dh0.data);
        expect(lean.dInput.shape).toEqual([0]);
        expect(full.dInput.shape).toEqual([5, 2, 3]);
      }
    }
    const gru = make("gru", { I: 2, H: 2, L: 1, bidirectional: false });
    gru.forward(randn(seededRng(1), [2, 1, 2]));
    expect(() => gru.backward(null, {}, { inputGrad: "no" } as never)).toThrow(/inputGrad must be/);
    expect(() => gru.backward(null, {}, { junk: 1 } as never)).toThrow(/junk/);
  });

  it("forward and backward leave the caller's tensors unchanged", () => {
    const rng = seededRng(8);
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, bidirectional: true, batchFirst: true });
    const x = randn(rng, [2, 3, 2]), h0 = randn(rng, [2, 2, 3]), dOut = randn(rng, [2, 3, 6]);
    const copies = [x, h0, dOut].map((t) => Float32Array.from(t.data));
    lstm.forward(x, { h0, lengths: [3, 1] });
    lstm.backward(dOut, { dh: h0 });
    [x, h0, dOut].forEach((t, i) => expect(t.data).toEqual(copies[i]));
  });
});

describe("bad input gets a clear error and changes nothing", () => {
  const lstm = () => new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
  const x = (shape: number[]) => randn(seededRng(1), shape);

  it("wrong rank, wrong feature size, batch mismatch with the state, NaN", () => {
    const m = lstm();
    expect(() => m.forward(x([2, 5]))).toThrow(/LSTM\.forward: input must be \[T, B, 3\], got \[2, 5\]/);
    expect(() => m.forward(x([5, 2, 4]))).toThrow(/input must be \[T, B, 3\], got \[5, 2, 4\]/);
    expect(() => m.forward(x([5, 2, 3]), { h0: x([2, 3, 4]) })).toThrow(/h0 must be \[2, B=2, 4\], got \[2, 3, 4\]/);
    expect(() => m.forward(x([5, 2, 3]), { c0: x([1, 2, 4]) })).toThrow(/c0 must be \[2, B=2, 4\], got \[1, 2, 4\]/);
    const bad = x([5, 2, 3]);
    bad.data[1 * 6 + 0 * 3 + 2] = NaN;
    expect(() => m.forward(bad)).toThrow(/input must be finite, got NaN at \[1, 0, 2\]/);
    expect(() => new LSTM({ inputSize: 3, hiddenSize: 4, batchFirst: true }).forward(x([5, 2, 4]))).toThrow(/input must be \[B, T, 3\], got \[5, 2, 4\]/);
  });

  it("wrong kinds and options", () => {
    const m = lstm();
    expect(() => m.forward({ data: [1, 2, 3], shape: [1, 1, 3] } as never)).toThrow(/input\.data must be a Float32Array, got array/);
    expect(() => m.forward({ data: new Float32Array(5), shape: [1, 1, 3] })).toThrow(/input has shape \[1, 1, 3\] \(3 elements\) but 5 values/);
    expect(() => new GRU({ inputSize: 3, hiddenSize: 4 }).forward(x([2, 1, 3]), { c0: x([1, 1, 4]) } as never)).toThrow(/unknown option 'c0'/);
    expect(() => m.forward(x([3, 2, 3]), { lengths: [3, 0] })).toThrow(/lengths\[1\] must be an integer in \[1, T=3\], got 0/);
    expect(() => m.forward(x([3, 2, 3]), { lengths: [3] })).toThrow(/lengths must hold B=2 values, got 1/);
    expect(() => m.forward(x([3, 2, 3]), { lengths: [4, 1] })).toThrow(/lengths\[0\] must be an integer in \[1, T=3\], got 4/);
  });

  it("config errors name the option", () => {
    expect(() => new LSTM({ inputSize: 3, hiddenSize: 0 })).toThrow(/hiddenSize must be a positive integer, got 0/);
    expect(() => new LSTM({ inputSize: 3, hidden_size: 4 } as never)).toThrow(/unknown option 'hidden_size'/);
    expect(() => new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: "sigmoid" as never })).toThrow(/nonlinearity must be "tanh" or "relu", got "sigmoid"/);
    expect(() => new GRU({ inputSize: 3, hiddenSize: 4, nonlinearity: "relu" } as never)).toThrow(/unknown option 'nonlinearity'/);
    expect(() => new GRU({ inputSize: 3, hiddenSize: 4, init: { forgetBias: 1 } })).toThrow(/forgetBias applies to LSTM only/);
    expect(() => new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 1.5 })).toThrow(/numLayers must be a positive integer, got 1.5/);
    expect(() => new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }, new ParamStore())).toThrow(/seed applies only to a layer's own store/);
  });

  it("backward before forward, and gradients of the wrong shape", () => {
    const m = lstm();
    expect(() => m.backward(x([5, 2, 4]))).toThrow(/call forward first/);
    m.forward(x([5, 2, 3]));
    expect(() => m.backward(x([5, 2, 5]))).toThrow(/dOutput must be \[5, 2, 4\], got \[5, 2, 5\]/);
    expect(() => m.backward(null, { dh: x([2, 3, 4]) })).toThrow(/dh must be \[2, B=2, 4\], got \[2, 3, 4\]/);
  });

  it("a failed forward leaves the last good forward ready for backward", () => {
    const m = lstm();
    const good = x([4, 2, 3]), dOut = x([4, 2, 4]);
    m.forward(good);
    m.store.zeroGrad();
    const g1 = m.backward(dOut);
    const grads1 = Float32Array.from(m.store.grads);
    m.forward(good);
    expect(() => m.forward(x([4, 3, 3]), { h0: x([2, 2, 4]) })).toThrow(/h0 must be/);
    m.store.zeroGrad();
    const g2 = m.backward(dOut);
    expect(g2.dInput.data).toEqual(g1.dInput.data);
    expect(m.store.grads).toEqual(grads1);
  });

  it("loadStateDict names the key and both shapes, and changes nothing on error", () => {
    const m = lstm();
    const before = Float32Array.from(m.store.values);
    const sd = m.stateDict();
    sd.weight_ih_l0 = { shape: [16, 5], data: new Array(80).fill(0) };
    expect(() => m.loadStateDict(sd)).toThrow(/LSTM\.loadStateDict: weight_ih_l0 must be \[16, 3\], got \[16, 5\]/);
    const sd2 = m.stateDict();
    delete (sd2 as Record<string, unknown>).bias_hh_l1;
    sd2.weight_hh_l0!.data[3] = Infinity;
    sd2.extra = { shape: [1], data: [0] };
    expect(() => m.loadStateDict(sd2)).toThrow(/missing keys bias_hh_l1; unexpected keys extra; weight_hh_l0 must hold finite numbers, got Infinity at \[0, 3\]/);
    expect(m.store.values).toEqual(before);
    const sd3 = m.stateDict();
    sd3.weight_hh_l0!.data[0] = 0.25;
    m.loadStateDict(sd3);
    expect(m.stateDict().weight_hh_l0!.data[0]).toBe(0.25);
  });
});

describe("one-hot ids (forwardIds / backwardIds)", () => {
  for (const [name, make, lengths] of [
    ["LSTM bidirectional, 2 layers, padded", () => new LSTM({ inputSize: 7, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 3 }), [5, 2, 4]],
    ["GRU batchFirst", () => new GRU({ inputSize: 7, hiddenSize: 5, batchFirst: true, seed: 4 }), undefined],
  ] as const) {
    it(`${name}: the same outputs as forward on the one-hot matrix (bit for bit) and the same gradients`, () => {
      const rng = seededRng(12);
      const a = make(), b = make();
      const T = 5, B = 3, V = 7;
      const ids = Array.from({ length: T * B }, () => rng.int(V));
      const batchFirst = a.batchFirst;
      const onehot = new Float32Array(T * B * V);
      ids.forEach((id, i) => { onehot[i * V + id] = 1; });
      const shape = batchFirst ? [B, T] : [T, B];
      const opts = lengths ? { lengths } : {};
      const ya = a.forwardIds(ids, shape, opts), yb = b.forward({ data: onehot, shape: [...shape, V] }, opts);
      expect(ya.output.data).toEqual(yb.output.data);
      expect(ya.h.data).toEqual(yb.h.data);
      const dOut = randn(rng, ya.output.shape), dh = randn(rng, ya.h.shape);
      a.store.zeroGrad();
      b.store.zeroGrad();
      const ga = a.backwardIds(dOut, { dh }), gb = b.backward(dOut, { dh });
      expect(ga.dh0.data).toEqual(gb.dh0.data);
      expect("dInput" in ga).toBe(false);
      expectCloseArr(a.store.grads, b.store.grads, 1e-6);
      expect(() => a.backward(dOut)).toThrow(/last forward was forwardIds; use backwardIds/);
      expect(() => b.backwardIds(dOut)).toThrow(/last forward was forward, not forwardIds; use backward/);
    });
  }

  it("rejects ids outside the one-hot width and ids that do not fill the shape", () => {
    const lstm = new LSTM({ inputSize: 4, hiddenSize: 2 });
    expect(() => lstm.forwardIds([0, 4], [2, 1])).toThrow(/ids must be integers in \[0, 4\), got 4 at \[1, 0\]/);
    expect(() => lstm.forwardIds([0, 1, 2], [2, 1])).toThrow(/3 ids do not fill shape \[2, 1\]/);
  });
});
