import { describe, expect, it } from "vitest";
import { Embedding, Linear, ParamStore, gradCheck, linearForward, linearForwardPacked, packMatrix, randn, seededRng, softmaxCrossEntropy, tensor } from "../src/index.js";
import { dot, expectClose, readFixture } from "./helpers.js";

interface CeCase {
  name: string; N: number; V: number; reduction: "mean" | "sum"; labelSmoothing: number;
  logits: number[]; targets: number[]; weight: number[] | null; loss: number; dLogits: number[];
}

describe("softmaxCrossEntropy", () => {
  const { cases } = readFixture<{ cases: CeCase[] }>("loss/cross_entropy.json");
  for (const c of cases) {
    it(`matches PyTorch's F.cross_entropy: ${c.name}`, () => {
      const r = softmaxCrossEntropy(tensor(c.logits, [c.N, c.V]), c.targets, {
        reduction: c.reduction, labelSmoothing: c.labelSmoothing, ...(c.weight ? { weight: c.weight } : {}),
      });
      expectClose("loss", [r.loss], [c.loss], 1e-6, 1e-7);
      expectClose("dLogits", r.dLogits.data, c.dLogits, 1e-5, 1e-7);
      expect(r.count).toBe(c.targets.filter((t) => t !== -100).length);
    });
  }

  it("gradient matches central differences (weights, smoothing, ignored rows)", () => {
    const logits = randn(seededRng(3), [5, 4]);
    const targets = [1, -100, 3, 0, 2];
    const opts = { labelSmoothing: 0.15, weight: [0.5, 1, 2, 1.5] };
    const loss = () => softmaxCrossEntropy(logits, targets, opts).loss;
    const { dLogits } = softmaxCrossEntropy(logits, targets, opts);
    const report = gradCheck(loss, [{ name: "logits", value: logits.data, grad: dLogits.data }], { eps: 1e-3, atol: 1e-5, rtol: 1e-3 });
    expect(report.ok, report.message).toBe(true);
  });

  it("is stable for huge logits, reports non-finite logits as a non-finite loss, and a mean over no targets is 0", () => {
    const r = softmaxCrossEntropy(tensor([[1000, 0, -1000]]), [0]);
    expect(r.loss).toBe(0);
    expect(softmaxCrossEntropy(tensor([[1000, 0]]), [1]).loss).toBeCloseTo(1000, 6);
    expect(Number.isNaN(softmaxCrossEntropy(tensor([[NaN, 0]]), [1]).loss)).toBe(true);
    const none = softmaxCrossEntropy(tensor([[1, 2], [3, 4]]), [-100, -100]);
    expect(none.loss).toBe(0);
    expect(none.count).toBe(0);
    expect(Array.from(none.dLogits.data)).toEqual([0, 0, 0, 0]);
  });

  it("bad input names what was expected", () => {
    const logits = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => softmaxCrossEntropy(logits, [0])).toThrow(/targets must hold one class per row of logits \[2, 3\] \(2\), got 1/);
    expect(() => softmaxCrossEntropy(logits, [0, 3])).toThrow(/targets\[1\] must be a class in \[0, 3\) or ignoreIndex -100, got 3/);
    expect(() => softmaxCrossEntropy(logits, [0, 1], { labelSmoothing: 1 })).toThrow(/labelSmoothing must be in \[0, 1\), got 1/);
    expect(() => softmaxCrossEntropy(logits, [0, 1], { weight: [1, 2] })).toThrow(/weight must hold V=3 class weights, got 2/);
    expect(() => softmaxCrossEntropy(logits, [0, 1], { reduce: "mean" } as never)).toThrow(/unknown option 'reduce'/);
  });
});

describe("Linear", () => {
  it("computes x·Wᵀ + b over the last axis and its gradients match central differences", () => {
    const rng = seededRng(2);
    const lin = new Linear({ inputSize: 3, outputSize: 4, seed: 1 });
    const x = randn(rng, [2, 5, 3]), dOut = randn(rng, [2, 5, 4]);
    const y = lin.forward(x);
    expect(y.shape).toEqual([2, 5, 4]);
    const W = lin.weight.value, b = lin.bias!.value;
    let ref = b[2]!;
    for (let k = 0; k < 3; k++) ref += x.data[7 * 3 + k]! * W[2 * 3 + k]!;
    expect(y.data[7 * 4 + 2]).toBeCloseTo(ref, 6);
    const loss = () => dot(lin.forward(x).data, dOut.data);
    loss();
    lin.store.zeroGrad();
    const dx = lin.backward(dOut);
    const report = gradCheck(loss, [...lin.parameters(), { name: "input", value: x.data, grad: dx.data }], { eps: 3e-3 });
    expect(report.ok, report.message).toBe(true);
  });

  it("linearForwardPacked (the weight packed once) gives linearForward's outputs bit for bit, with and without bias", () => {
    const rng = seededRng(9);
    for (const [N, K, O] of [[1, 256, 65], [3, 7, 9], [70, 5, 3]] as const) {
      const inp = randn(rng, [N, K]).data, W = randn(rng, [O, K]).data, b = randn(rng, [O]).data;
      for (const bias of [b, null]) {
        const want = new Float32Array(N * O), got = new Float32Array(N * O).fill(NaN);
        linearForward(want, inp, W, bias, N, K, O);
        linearForwardPacked(got, inp, packMatrix(true, K, O, W, 0, K), bias, N);
        expect(Array.from(got), `N=${N} K=${K} O=${O} bias=${bias !== null}`).toEqual(Array.from(want));
      }
    }
  });

  it("uses PyTorch's keys and init bound 1/√inputSize; bias can be off", () => {
    const lin = new Linear({ inputSize: 16, outputSize: 3 });
    expect(Object.keys(lin.stateDict())).toEqual(["weight", "bias"]);
    expect(lin.store.values.every((v) => Math.abs(v) <= 0.25)).toBe(true);
    expect(Object.keys(new Linear({ inputSize: 2, outputSize: 3, bias: false }).stateDict())).toEqual(["weight"]);
  });

  it("errors name the shapes", () => {
    const lin = new Linear({ inputSize: 3, outputSize: 4 });
    expect(() => lin.forward(tensor([[1, 2]]))).toThrow(/Linear\.forward: input must be \[3\], got \[2\]/);
    expect(() => lin.backward(tensor([[1, 2, 3, 4]]))).toThrow(/call forward first/);
    lin.forward(tensor([[1, 2, 3]]));
    expect(() => lin.backward(tensor([[1, 2, 3]]))).toThrow(/dOutput must be \[1, 4\], got \[1, 3\]/);
  });
});

describe("Embedding", () => {
  it("looks up rows, adds gradient only into the used rows, never into the padding row", () => {
    const store = new ParamStore(seededRng(1));
    const emb = new Embedding({ numEmbeddings: 6, embeddingDim: 3, paddingIdx: 0, name: "emb" }, store);
    expect(Array.from(emb.weight.value.subarray(0, 3))).toEqual([0, 0, 0]);
    const ids = [2, 0, 2, 5];
    const out = emb.forward(ids, [2, 2]);
    expect(out.shape).toEqual([2, 2, 3]);
    expect(Array.from(out.data.subarray(9, 12))).toEqual(Array.from(emb.weight.value.subarray(15, 18)));
    const dOut = randn(seededRng(2), [2, 2, 3]);
    emb.backward(dOut);
    const g = emb.weight.grad;
    for (let j = 0; j < 3; j++) {
      expect(g[2 * 3 + j]).toBeCloseTo(dOut.data[j]! + dOut.data[6 + j]!, 6);
      expect(g[5 * 3 + j]).toBeCloseTo(dOut.data[9 + j]!, 6);
      expect(g[j]).toBe(0);
      expect(g[3 + j]).toBe(0);
    }
    const loss = () => dot(emb.forward(ids, [2, 2]).data, dOut.data);
    // the padding row is read but, by PyTorch's padding_idx contract, never trained: check the other rows
    const rows = { name: "emb.weight[1:]", value: emb.weight.value.subarray(3), grad: emb.weight.grad.subarray(3) };
    const report = gradCheck(loss, [rows]);
    expect(report.ok, report.message).toBe(true);
  });

  it("rejects ids outside the table and ids that do not fill the shape", () => {
    const emb = new Embedding({ numEmbeddings: 4, embeddingDim: 2 });
    expect(() => emb.forward([1, 4], [2])).toThrow(/ids must be integers in \[0, 4\), got 4 at \[1\]/);
    expect(() => emb.forward([1, 2, 3], [2, 2])).toThrow(/3 ids do not fill shape \[2, 2\]/);
    expect(() => new Embedding({ numEmbeddings: 4, embeddingDim: 2, paddingIdx: 4 })).toThrow(/paddingIdx must be an integer in \[0, 4\), got 4/);
  });
});

describe("Linear with an activation (a dense layer)", () => {
  for (const activation of ["tanh", "relu", "sigmoid"] as const) {
    it(`${activation}: values and gradients (central differences)`, () => {
      const rng = seededRng(5);
      const lin = new Linear({ inputSize: 3, outputSize: 4, activation, seed: 2 });
      const plain = new Linear({ inputSize: 3, outputSize: 4, seed: 2 });
      const x = randn(rng, [5, 3]), dOut = randn(rng, [5, 4]);
      const z = plain.forward(x).data, y = lin.forward(x).data;
      const f = activation === "tanh" ? Math.tanh : activation === "relu" ? (v: number) => Math.max(0, v) : (v: number) => 1 / (1 + Math.exp(-v));
      y.forEach((v, i) => expect(v).toBeCloseTo(f(z[i]!), 6));
      const loss = () => dot(lin.forward(x).data, dOut.data);
      loss();
      lin.store.zeroGrad();
      const dx = lin.backward(dOut);
      const report = gradCheck(loss, [...lin.parameters(), { name: "x", value: x.data, grad: dx.data }], { eps: activation === "relu" ? 1e-3 : 3e-3 });
      expect(report.ok, report.message).toBe(true);
    });
  }
  it("rejects an unknown activation", () => {
    expect(() => new Linear({ inputSize: 2, outputSize: 2, activation: "gelu" as never })).toThrow(/activation must be one of none, tanh, relu, sigmoid, got "gelu"/);
  });
});
