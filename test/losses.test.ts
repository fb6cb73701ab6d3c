import { describe, expect, it } from "vitest";
import {
  bceWithLogits, bceWithLogitsForwardBackward, gradCheck, huberLoss, mseForwardBackward, mseLoss, randn, randu, seededRng, tensor,
} from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { expectClose, readFixture } from "./helpers.js";

interface RegressionCase {
  name: string; kind: "mse" | "huber"; shape: number[]; reduction: "mean" | "sum"; delta: number;
  pred: number[]; target: number[]; mask: number[] | null; count: number; loss: number; dPred: number[];
}
interface BinaryCase {
  name: string; shape: number[]; reduction: "mean" | "sum"; logits: number[]; targets: number[];
  posWeight: number[] | null; weight: number[] | null; mask: number[] | null; count: number; loss: number; dLogits: number[];
}

const check = (name: string, loss: () => number, value: Tensor, grad: Float32Array): void => {
  const report = gradCheck(loss, [{ name, value: value.data, grad, shape: value.shape }], { eps: 1e-3, atol: 1e-5, rtol: 1e-3 });
  expect(report.ok, report.message).toBe(true);
};

describe("mseLoss and huberLoss", () => {
  const { cases } = readFixture<{ cases: RegressionCase[] }>("loss/regression.json");
  for (const c of cases) {
    it(`matches PyTorch's F.${c.kind === "mse" ? "mse_loss" : "huber_loss"}: ${c.name}`, () => {
      const pred = tensor(c.pred, c.shape), target = tensor(c.target, c.shape);
      const opts = { reduction: c.reduction, ...(c.mask ? { mask: c.mask } : {}) };
      const r = c.kind === "mse" ? mseLoss(pred, target, opts) : huberLoss(pred, target, { ...opts, delta: c.delta });
      expectClose("loss", [r.loss], [c.loss], 1e-6, 1e-7);
      expectClose("dPred", r.dPred.data, c.dPred, 1e-5, 1e-7);
      expect(r.dPred.shape).toEqual(c.shape);
      expect(r.count).toBe(c.count);
    });
  }

  it("the fixtures cover both sides of δ and both mask layouts", () => {
    const huber = cases.filter((c) => c.kind === "huber");
    for (const c of huber) {
      const d = c.pred.map((p, i) => Math.abs(p - c.target[i]!));
      expect(d.some((x) => x < c.delta) && d.some((x) => x > c.delta), c.name).toBe(true);
    }
    const layouts = cases.filter((c) => c.mask).map((c) => (c.mask!.length === c.pred.length ? "element" : "row"));
    expect(new Set(layouts)).toEqual(new Set(["element", "row"]));
  });

  it("gradients match central differences (mean, sum, masks, δ)", () => {
    const rng = seededRng(5);
    const pred = randn(rng, [3, 2, 4]), target = randn(rng, [3, 2, 4]);
    for (let i = 0; i < target.data.length; i += 3) target.data[i]! *= 3; // some residuals beyond δ
    const rowMask = [1, 0, 1, 1, 0, 1];
    const elemMask = Array.from({ length: 24 }, (_, i) => (i % 5 === 2 ? 0 : 1));
    for (const opts of [{}, { reduction: "sum" as const }, { mask: rowMask }, { mask: elemMask, reduction: "sum" as const }]) {
      check("pred (mse)", () => mseLoss(pred, target, opts).loss, pred, mseLoss(pred, target, opts).dPred.data);
      for (const delta of [1, 0.6]) {
        const o = { ...opts, delta };
        check(`pred (huber δ=${delta})`, () => huberLoss(pred, target, o).loss, pred, huberLoss(pred, target, o).dPred.data);
      }
    }
  });

  it("a mask excludes elements: the mean divides by the counted ones, the excluded get zero gradient and are not read", () => {
    const pred = tensor([[1, 2], [3, NaN], [5, 6]]);
    const target = tensor([[0, 0], [0, NaN], [9, 9]]);
    const r = mseLoss(pred, target, { mask: [1, 0, 1] });   // one flag per row: rows 0 and 2, 4 elements
    expect(r.count).toBe(4);
    expect(r.loss).toBeCloseTo((1 + 4 + 16 + 9) / 4, 12);
    expect(Array.from(r.dPred.data)).toEqual([0.5, 1, 0, 0, -2, -1.5]);
    const e = mseLoss(pred, target, { mask: [true, true, false, false, false, true], reduction: "sum" });
    expect(e.count).toBe(3);
    expect(e.loss).toBe(1 + 4 + 9);
    // row and element masks agree when each row's flags are equal
    const a = huberLoss(pred, target, { mask: [1, 0, 1] }), b = huberLoss(pred, target, { mask: [1, 1, 0, 0, 1, 1] });
    expect(a.loss).toBe(b.loss);
    expect(Array.from(a.dPred.data)).toEqual(Array.from(b.dPred.data));
    const none = mseLoss(pred, target, { mask: [0, 0, 0] });
    expect([none.loss, none.count, ...none.dPred.data]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("non-finite predictions give a non-finite loss; non-finite targets throw", () => {
    expect(mseLoss(tensor([1, Infinity]), tensor([0, 0])).loss).toBe(Infinity);
    expect(Number.isNaN(huberLoss(tensor([1, NaN]), tensor([0, 0])).loss)).toBe(true);
    expect(() => mseLoss(tensor([1, 2]), tensor([0, NaN]))).toThrow(/mseLoss: target must be finite, got NaN at \[1\]/);
    expect(() => huberLoss(tensor([[1, 2]]), tensor([[Infinity, 0]]))).toThrow(/huberLoss: target must be finite, got Infinity at \[0, 0\]/);
  });

  it("Huber is ½d² inside δ and δ(|d| − ½δ) beyond, with gradient clipped to ±δ", () => {
    const r = huberLoss(tensor([0.5, 3, -3, 2]), tensor([0, 0, 0, 0]), { delta: 2, reduction: "sum" });
    expect(r.loss).toBeCloseTo(0.125 + 2 * (3 - 1) * 2 + 2 * (2 - 1), 12);
    expect(Array.from(r.dPred.data)).toEqual([0.5, 2, -2, 2]);
  });

  it("the kernel writes into the caller's buffer and returns loss and count", () => {
    const dPred = new Float32Array(4).fill(7);
    const { loss, count } = mseForwardBackward(dPred, Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 1, 1, 1), 2, 2, true, [1, 0]);
    expect([loss, count]).toEqual([0.5, 2]);
    expect(Array.from(dPred)).toEqual([0, 1, 0, 0]);
  });

  it("bad input names what was expected", () => {
    const p = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => mseLoss(p, tensor([1, 2, 3]))).toThrow(/mseLoss: target must be \[2, 3\], got \[3\]/);
    expect(() => huberLoss(p, tensor([[1, 2], [3, 4]]))).toThrow(/huberLoss: target must be \[2, 3\], got \[2, 2\]/);
    expect(() => mseLoss(p, p, { mask: [1, 0, 1] })).toThrow(/mask must hold one flag per element of pred \[2, 3\] \(6\) or one per row \[2\] \(2\), got 3/);
    expect(() => mseLoss(p, p, { mask: [1, 0.5] })).toThrow(/mask\[1\] must be 0, 1, true or false, got 0.5/);
    expect(() => huberLoss(p, p, { delta: 0 })).toThrow(/huberLoss: delta must be a finite number > 0, got 0/);
    expect(() => mseLoss(p, p, { reduction: "none" } as never)).toThrow(/reduction must be "mean" or "sum", got "none"/);
    expect(() => mseLoss(p, p, { delta: 1 } as never)).toThrow(/mseLoss: unknown option 'delta'/);
    expect(() => mseLoss({ data: [1], shape: [1] } as never, p)).toThrow(/pred\.data must be a Float32Array, got array/);
  });
});

describe("bceWithLogits", () => {
  const { cases } = readFixture<{ cases: BinaryCase[] }>("loss/binary.json");
  for (const c of cases) {
    it(`matches PyTorch's F.binary_cross_entropy_with_logits: ${c.name}`, () => {
      const r = bceWithLogits(tensor(c.logits, c.shape), tensor(c.targets, c.shape), {
        reduction: c.reduction,
        ...(c.posWeight ? { posWeight: c.posWeight } : {}), ...(c.weight ? { weight: c.weight } : {}), ...(c.mask ? { mask: c.mask } : {}),
      });
      expectClose("loss", [r.loss], [c.loss], 1e-6, 1e-7);
      expectClose("dLogits", r.dLogits.data, c.dLogits, 1e-5, 1e-7);
      expect(r.count).toBe(c.count);
    });
  }

  it("gradient matches central differences (posWeight, class and element weights, soft targets, mask)", () => {
    const rng = seededRng(9);
    const logits = randn(rng, [4, 3]), targets = randu(rng, [4, 3]);
    targets.data[0] = 0; targets.data[1] = 1;
    const variants = [
      {}, { posWeight: [2, 0.5, 1] }, { weight: [1, 2, 0.5], reduction: "sum" as const },
      { weight: Array.from({ length: 12 }, (_, i) => 0.5 + i / 12), posWeight: [3, 1, 0.2], mask: [1, 0, 1, 1] },
    ];
    for (const opts of variants) {
      check("logits", () => bceWithLogits(logits, targets, opts).loss, logits, bceWithLogits(logits, targets, opts).dLogits.data);
    }
  });

  it("is stable for huge logits and matches the textbook formula for moderate ones", () => {
    const r = bceWithLogits(tensor([1000, -1000, 1000, -1000]), tensor([1, 0, 0, 1]), { reduction: "sum" });
    expect(r.loss).toBe(2000);
    expect(Array.from(r.dLogits.data)).toEqual([0, 0, 1, -1]);
    const x = 0.7, y = 0.3, s = 1 / (1 + Math.exp(-x));
    expect(bceWithLogits(tensor([x]), tensor([y])).loss).toBeCloseTo(-(y * Math.log(s) + (1 - y) * Math.log(1 - s)), 7);
    expect(Number.isNaN(bceWithLogits(tensor([NaN, 0]), tensor([1, 0])).loss)).toBe(true);
    expect(bceWithLogits(tensor([Infinity]), tensor([0])).loss).toBe(Infinity);
  });

  it("the kernel writes dLogits in place; a row mask zeroes whole rows", () => {
    const d = new Float32Array(4).fill(9);
    const { count } = bceWithLogitsForwardBackward(d, Float32Array.of(0, 0, 0, 0), Float32Array.of(1, 0, 1, 0), 2, 2, false, [0, 1], null, null);
    expect(count).toBe(2);
    expect(Array.from(d)).toEqual([0, 0, -0.5, 0.5]);
  });

  it("bad input names what was expected", () => {
    const x = tensor([[0, 1, 2], [3, 4, 5]]), y = tensor([[0, 1, 0], [1, 0, 1]]);
    expect(() => bceWithLogits(x, tensor([0, 1, 0]))).toThrow(/bceWithLogits: targets must be \[2, 3\], got \[3\]/);
    expect(() => bceWithLogits(x, tensor([[0, 1, 0], [1, 2, 1]]))).toThrow(/targets must be in \[0, 1\], got 2 at \[1, 1\]/);
    expect(() => bceWithLogits(x, tensor([[0, 1, 0], [1, NaN, 1]]))).toThrow(/targets must be finite, got NaN at \[1, 1\]/);
    expect(() => bceWithLogits(x, y, { posWeight: [1, 2] })).toThrow(/posWeight must hold C=3 class weights \(the last axis\), got 2/);
    expect(() => bceWithLogits(x, y, { posWeight: [1, -2, 1] })).toThrow(/posWeight\[1\] must be a finite number ≥ 0, got -2/);
    expect(() => bceWithLogits(x, y, { weight: [1, 2, 3, 4] })).toThrow(/weight must hold C=3 class weights or one per element \(6\), got 4/);
    expect(() => bceWithLogits(x, y, { pos_weight: [1, 1, 1] } as never)).toThrow(/unknown option 'pos_weight'/);
    // a masked-out target is padding: neither validated nor read
    expect(bceWithLogits(x, tensor([[0, 1, 0], [NaN, 7, 1]]), { mask: [1, 0] }).count).toBe(3);
  });
});
