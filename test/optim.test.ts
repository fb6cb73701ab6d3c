import { describe, expect, it } from "vitest";
import {
  Adagrad, Adam, AdamW, CosineAnnealingLR, ExponentialLR, LinearWarmup, RMSprop, SequentialLR, SGD, StepLR,
  clipGradNorm, clipGradValue,
} from "../src/index.js";
import type {
  AdagradOptions, AdamOptions, LRSchedule, Optimizer, OptimizerKind, OptimizerState, RMSpropOptions, SGDOptions,
} from "../src/index.js";
import { expectClose, readFixture } from "./helpers.js";

/** Written by test/fixtures/gen_optim_fixtures.py: torch.optim in float64 from float32 params and gradients. */
interface TrajectoryFixture {
  case: string;
  kind: OptimizerKind;
  options: Record<string, unknown>;
  lrs: number[] | null;
  params0: number[];
  grads: number[][];
  params: number[][];   // after each step
  state: Record<string, number[]>;  // after the last step, PyTorch's state names camelCased
}

interface ClipFixture {
  grads: number[];
  norm: { case: string; maxNorm: number; normType: number | "inf"; totalNorm: number; clipped: number[] }[];
  value: { clipValue: number; clipped: number[] };
}

type ScheduleSpec =
  | { type: "StepLR"; stepSize: number; gamma?: number }
  | { type: "ExponentialLR"; gamma: number }
  | { type: "CosineAnnealingLR"; tMax: number; etaMin?: number }
  | { type: "LinearWarmup"; warmupSteps: number; startFactor?: number }
  | { type: "SequentialLR"; schedules: ScheduleSpec[]; milestones: number[] };

interface ScheduleFixture { case: string; baseLr: number; spec: ScheduleSpec; lrs: number[] }

const trajectories = readFixture<TrajectoryFixture[]>("optim/trajectories.json");

function build(kind: OptimizerKind, options: Record<string, unknown>): Optimizer {
  switch (kind) {
    case "SGD": return new SGD(options as unknown as SGDOptions);
    case "RMSprop": return new RMSprop(options as RMSpropOptions);
    case "Adagrad": return new Adagrad(options as AdagradOptions);
    case "Adam": return new Adam(options as AdamOptions);
    case "AdamW": return new AdamW(options as AdamOptions);
  }
}

function buildSchedule(spec: ScheduleSpec, baseLr: number): LRSchedule {
  switch (spec.type) {
    case "StepLR": return new StepLR({ baseLr, stepSize: spec.stepSize, ...(spec.gamma === undefined ? {} : { gamma: spec.gamma }) });
    case "ExponentialLR": return new ExponentialLR({ baseLr, gamma: spec.gamma });
    case "CosineAnnealingLR": return new CosineAnnealingLR({ baseLr, tMax: spec.tMax, ...(spec.etaMin === undefined ? {} : { etaMin: spec.etaMin }) });
    case "LinearWarmup": return new LinearWarmup({ baseLr, warmupSteps: spec.warmupSteps, ...(spec.startFactor === undefined ? {} : { startFactor: spec.startFactor }) });
    case "SequentialLR": return new SequentialLR({ schedules: spec.schedules.map((s) => buildSchedule(s, baseLr)), milestones: spec.milestones });
  }
}

/** Runs steps [from, to) of a fixture's gradient sequence (and lr sequence, if any). */
function run(opt: Optimizer, values: Float32Array, f: TrajectoryFixture, from: number, to: number): void {
  for (let k = from; k < to; k++) {
    if (f.lrs) opt.lr = f.lrs[k]!;
    opt.step(values, Float32Array.from(f.grads[k]!));
  }
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe("optimizers match torch.optim step by step", () => {
  it("cover SGD (plain, momentum, dampening, nesterov, weight decay), RMSprop (momentum, centered), Adagrad, Adam (L2, AMSGrad), AdamW and lr changes", () => {
    expect(trajectories.map((f) => f.kind)).toEqual(expect.arrayContaining(["SGD", "RMSprop", "Adagrad", "Adam", "AdamW"]));
    expect(trajectories.length).toBeGreaterThanOrEqual(18);
  });

  for (const f of trajectories) {
    it(f.case, () => {
      const opt = build(f.kind, f.options);
      const values = Float32Array.from(f.params0);
      for (let k = 0; k < f.grads.length; k++) {
        if (f.lrs) opt.lr = f.lrs[k]!;
        const grads = Float32Array.from(f.grads[k]!);
        opt.step(values, grads);
        expect(Array.from(grads), "grads are only read").toEqual(Array.from(Float32Array.from(f.grads[k]!)));
        expectClose(`${f.case} params after step ${k + 1}`, values, f.params[k]!, 1e-6, 1e-7);
      }
      expect(opt.stepCount).toBe(f.grads.length);
      const state = opt.getState();
      expect(Object.keys(state.buffers).sort()).toEqual(Object.keys(f.state).sort());
      for (const [name, data] of Object.entries(f.state)) expectClose(`${f.case} state ${name}`, state.buffers[name]!, data, 1e-6, 1e-12);
    });
  }
});

describe("one update, by hand", () => {
  // Values are float32, so each check allows float32 rounding (|diff| < 5e-7).
  const one = (opt: Optimizer, p: number[], ...gradSteps: number[][]): number[] => {
    const values = Float32Array.from(p);
    for (const g of gradSteps) opt.step(values, Float32Array.from(g));
    return Array.from(values);
  };
  const near = (got: number[], want: number[]): void => got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 6));

  it("SGD: p − lr·(g + wd·p); momentum starts as the gradient (no dampening on step 1); nesterov looks ahead", () => {
    near(one(new SGD({ lr: 0.1 }), [1, -2], [0.5, -1]), [0.95, -1.9]);                  // 1 − 0.1·0.5, −2 + 0.1·1
    near(one(new SGD({ lr: 0.1, weightDecay: 0.1 }), [2], [0.5]), [1.93]);               // g = 0.5 + 0.1·2 = 0.7
    // b₁ = g = 1 → p = 0.9;  b₂ = 0.9·1 + (1 − 0.5)·1 = 1.4 → p = 0.9 − 0.14 = 0.76
    near(one(new SGD({ lr: 0.1, momentum: 0.9, dampening: 0.5 }), [1], [1], [1]), [0.76]);
    // b₁ = 1, g + 0.9·b₁ = 1.9 → p = 1 − 0.19
    near(one(new SGD({ lr: 0.1, momentum: 0.9, nesterov: true }), [1], [1]), [0.81]);
  });

  it("RMSprop: v = 0.01·g² on step 1, so the first step is lr·g/(0.1·|g|) = 10·lr; centered divides by √(v − ḡ²)", () => {
    near(one(new RMSprop({ lr: 0.01 }), [1], [0.5]), [0.9]);                             // 0.5/√0.0025 = 10
    // alpha 0.9: v = 0.1·0.25 = 0.025, ḡ = 0.1·0.5 = 0.05, √(0.025 − 0.0025) = 0.15 → p = 1 − 0.01·0.5/0.15
    near(one(new RMSprop({ lr: 0.01, alpha: 0.9, centered: true }), [1], [0.5]), [0.9666667]);
    // step 2: v = 0.99·0.0025 + 0.01·0.25 = 0.004975, g/√v = 7.088811, b = 0.9·10 + 7.088811 → p = 0.9 − 0.01·16.088811
    near(one(new RMSprop({ lr: 0.01, momentum: 0.9 }), [1], [0.5], [0.5]), [0.7391119]);
  });

  it("Adagrad: p − lr/(1 + (t−1)·lrDecay) · g/√Σg²", () => {
    near(one(new Adagrad({ lr: 0.1 }), [1], [0.5]), [0.9]);                               // 0.5/√0.25 = 1
    // step 2: lr 0.1/1.5, Σg² = 0.5, 0.5/√0.5 = 0.7071068 → 0.9 − 0.0666667·0.7071068
    near(one(new Adagrad({ lr: 0.1, lrDecay: 0.5 }), [1], [0.5], [0.5]), [0.8528595]);
    near(one(new Adagrad({ lr: 0.1, initialAccumulatorValue: 0.75 }), [1], [0.5]), [0.95]); // √(0.75 + 0.25) = 1
  });

  it("Adam: the bias-corrected first step is lr·g/|g|; step 2 uses 1 − β1² and 1 − β2²", () => {
    near(one(new Adam({ lr: 0.1 }), [1, 1], [0.5, -3]), [0.9, 1.1]);
    // m = 0.9·0.05 + 0.1·(−0.25) = 0.02, v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225,
    // m̂ = 0.02/0.19 = 0.1052632, √v̂ = √(0.00031225/0.001999) = 0.3952254 → 0.9 − 0.1·0.1052632/0.3952254
    near(one(new Adam({ lr: 0.1 }), [1], [0.5], [-0.25]), [0.8733663]);
    near(one(new Adam({ lr: 0.1, weightDecay: 0.1 }), [2], [0.5]), [1.9]);               // g = 0.7, still one lr
    // AMSGrad with g = 1 then 0: v falls to 0.999·0.001 but the max 0.001 is used: 0.9 − 0.1·(0.09/0.19)/0.7072836
    near(one(new Adam({ lr: 0.1, amsgrad: true }), [1], [1], [0]), [0.8330277]);
    near(one(new Adam({ lr: 0.1 }), [1], [1], [0]), [0.8329942]);                          // ÷ √(0.000999/0.001999)
  });

  it("AdamW: p·(1 − lr·wd) first, then the Adam step; the decay happens even with a zero gradient", () => {
    near(one(new AdamW({ lr: 0.1, weightDecay: 0.5 }), [1], [0.5]), [0.85]);              // 1·0.95 − 0.1
    near(one(new AdamW({ lr: 0.1, weightDecay: 0.5 }), [1], [0]), [0.95]);                // m = 0: only the decay
    expect(new AdamW().options.weightDecay).toBe(0.01);
    expect(new Adam().options).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
  });
});

describe("getState / setState resume a run exactly", () => {
  for (const f of trajectories) {
    it(`${f.case}: 2 steps, save as JSON, restore into a new optimizer, 3 more steps → bit-identical`, () => {
      const a = build(f.kind, f.options);
      const va = Float32Array.from(f.params0);
      run(a, va, f, 0, 2);
      const saved = JSON.parse(JSON.stringify(a.getState())) as OptimizerState;
      const vb = Float32Array.from(va);
      const b = build(f.kind, f.options);
      b.setState(saved);
      expect(b.getState()).toEqual(a.getState());
      run(a, va, f, 2, 5);
      run(b, vb, f, 2, 5);
      expect(bits(vb)).toEqual(bits(va));
      expect(b.getState()).toEqual(a.getState());
    });
  }

  it("restores the options with the state, lr included (as PyTorch's load_state_dict)", () => {
    const a = new Adam({ lr: 0.01, amsgrad: true, betas: [0.8, 0.9] });
    a.step(new Float32Array([1, 2]), new Float32Array([0.1, -0.2]));
    a.lr = 0.123;
    const b = new Adam();
    b.setState(a.getState());
    expect(b.options).toEqual({ lr: 0.123, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 0, amsgrad: true });
    expect(b.stepCount).toBe(1);
    expect(Object.keys(b.getState().buffers)).toEqual(["expAvg", "expAvgSq", "maxExpAvgSq"]);
  });

  it("a fresh state has step 0, size 0 and no buffers, and restoring it resets an optimizer", () => {
    const fresh = new SGD({ lr: 0.1, momentum: 0.9 }).getState();
    expect(fresh).toEqual({ kind: "SGD", step: 0, size: 0, options: { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false }, buffers: {} });
    const sgd = new SGD({ lr: 0.1, momentum: 0.9 });
    sgd.step(new Float32Array(3), new Float32Array([1, 1, 1]));
    sgd.setState(fresh);
    expect(sgd.stepCount).toBe(0);
    const v = new Float32Array([1, 1, 1, 1]);
    sgd.step(v, new Float32Array([1, 1, 1, 1]));  // a new length is fine again, and momentum starts over
    expect(Array.from(v)).toEqual(Array(4).fill(Math.fround(0.9)));
  });

  it("plain SGD has no buffers but its state still records the length", () => {
    const a = new SGD({ lr: 0.1 });
    a.step(new Float32Array(5), new Float32Array(5));
    const b = new SGD({ lr: 0.5 });
    b.setState(a.getState());
    expect(b.lr).toBe(0.1);
    expect(() => b.step(new Float32Array(6), new Float32Array(6))).toThrow(/values has 6 elements but this optimizer's state is for 5/);
  });
});

describe("clipGradNorm and clipGradValue match torch.nn.utils", () => {
  const fx = readFixture<ClipFixture>("optim/clip.json");

  for (const c of fx.norm) {
    it(`${c.case}: returns the norm before clipping and scales by maxNorm/(norm + 1e-6) only when that is < 1`, () => {
      const grads = Float32Array.from(fx.grads);
      const normType = c.normType === "inf" ? Infinity : c.normType;
      const total = clipGradNorm(grads, c.maxNorm, normType);
      expect(Math.abs(total - c.totalNorm)).toBeLessThanOrEqual(1e-12 * c.totalNorm);
      // the only error left is float32 rounding of the result
      expectClose(`${c.case} clipped`, grads, c.clipped, 1e-7, 0);
      const scaled = c.maxNorm / (c.totalNorm + 1e-6) < 1;
      const original = bits(Float32Array.from(fx.grads));
      expect(bits(grads).some((b, i) => b !== original[i]), "grads changed").toBe(scaled);
      expect(scaled).toBe(!c.case.endsWith("below"));
    });
  }

  it("a norm equal to maxNorm still scales, by maxNorm/(maxNorm + 1e-6)", () => {
    const grads = new Float32Array([3, 4]);
    expect(clipGradNorm(grads, 5)).toBe(5);
    expect(grads[0]).toBe(Math.fround(3 * 5 / (5 + 1e-6)));
    expect(grads[0]).not.toBe(3);
  });

  it("a non-finite norm is returned and the gradients are left as they were", () => {
    for (const [bad, normType, want] of [[Infinity, 2, Infinity], [NaN, 2, NaN], [-Infinity, Infinity, Infinity], [NaN, Infinity, NaN]] as const) {
      const grads = new Float32Array([1, bad, 2]);
      const before = bits(grads);
      expect(clipGradNorm(grads, 1, normType)).toBe(want);
      expect(bits(grads)).toEqual(before);
    }
    const nanLast = new Float32Array([5, NaN]);
    expect(clipGradNorm(nanLast, 1, Infinity)).toBeNaN();
  });

  it("an empty gradient has norm 0", () => {
    expect(clipGradNorm(new Float32Array(0), 1)).toBe(0);
  });

  it("clipGradValue clamps to [−v, v]", () => {
    const grads = Float32Array.from(fx.grads);
    clipGradValue(grads, fx.value.clipValue);
    expect(Array.from(grads)).toEqual(fx.value.clipped.map(Math.fround));
    const withNaN = new Float32Array([NaN, -3, 0.25]);
    clipGradValue(withNaN, 1);
    expect(Array.from(withNaN)).toEqual([NaN, -1, 0.25]);
  });
});

describe("schedules match torch.optim.lr_scheduler", () => {
  const fixtures = readFixture<ScheduleFixture[]>("optim/schedules.json");

  for (const f of fixtures) {
    it(`${f.case}: lrAt(t) = get_last_lr() after t scheduler steps`, () => {
      const schedule = buildSchedule(f.spec, f.baseLr);
      // PyTorch multiplies recursively; the closed forms agree to rounding.
      expectClose(f.case, f.lrs.map((_, t) => schedule.lrAt(t)), f.lrs, 1e-12, 1e-17);
    });
  }

  it("closed forms, by hand", () => {
    const step = new StepLR({ baseLr: 1, stepSize: 2 });
    expect([0, 1, 2, 3, 4].map((t) => step.lrAt(t))).toEqual([1, 1, 0.1, 0.1, 0.1 ** 2]);
    const cos = new CosineAnnealingLR({ baseLr: 0.1, tMax: 10, etaMin: 0.02 });
    expect(cos.lrAt(0)).toBe(0.1);
    expect(cos.lrAt(5)).toBeCloseTo(0.06, 15);   // halfway: (base + etaMin)/2
    expect(cos.lrAt(10)).toBe(0.02);
    expect(cos.lrAt(20)).toBeCloseTo(0.1, 15);   // PyTorch's cosine keeps going: back to base at 2·tMax
    const warm = new LinearWarmup({ baseLr: 1, warmupSteps: 4, startFactor: 0 });
    expect([0, 1, 2, 3, 4, 5].map((t) => warm.lrAt(t))).toEqual([0, 0.25, 0.5, 0.75, 1, 1]);
    // from the milestone on, the next schedule runs from its own step 0
    const seq = new SequentialLR({ schedules: [warm, new ExponentialLR({ baseLr: 1, gamma: 0.5 })], milestones: [4] });
    expect([3, 4, 5, 6].map((t) => seq.lrAt(t))).toEqual([0.75, 1, 0.5, 0.25]);
  });

  it("apply sets the optimizer's lr and returns it", () => {
    const adam = new Adam({ lr: 0.1 });
    const schedule = new ExponentialLR({ baseLr: 0.1, gamma: 0.5 });
    const values = new Float32Array([1]);
    const seen: number[] = [];
    for (let k = 0; k < 3; k++) {
      seen.push(schedule.apply(adam, adam.stepCount));
      expect(adam.lr).toBe(seen[k]);
      adam.step(values, new Float32Array([1]));
    }
    expect(seen).toEqual([0.1, 0.05, 0.025]);
  });
});

describe("errors say what was expected and what came", () => {
  it("bad options", () => {
    expect(() => new SGD({ lr: -1 })).toThrow(RangeError);
    expect(() => new SGD({ lr: -1 })).toThrow(/SGD: lr must be ≥ 0, got -1/);
    expect(() => new SGD({} as SGDOptions)).toThrow(TypeError);
    expect(() => new SGD({} as SGDOptions)).toThrow(/SGD: lr is required/);
    expect(() => new RMSprop({ lr: NaN })).toThrow(/RMSprop: lr must be ≥ 0, got NaN/);
    expect(() => new Adam({ lr: "0.1" as unknown as number })).toThrow(/Adam: lr must be a number ≥ 0, got string/);
    expect(() => new Adam({ betas: [0.9, 1] })).toThrow(/Adam: betas must each be in \[0, 1\), got \[0.9, 1\]/);
    expect(() => new AdamW({ betas: [-0.1, 0.9] })).toThrow(/AdamW: betas must each be in \[0, 1\), got \[-0.1, 0.9\]/);
    expect(() => new Adam({ betas: [0.9] as unknown as [number, number] })).toThrow(/Adam: betas must be \[beta1, beta2\], got \[0.9\]/);
    expect(() => new Adam({ eps: 0 })).toThrow(/Adam: eps must be > 0, got 0/);
    expect(() => new Adagrad({ eps: -1e-10 })).toThrow(/Adagrad: eps must be > 0, got -1e-10/);
    expect(() => new Adagrad({ lrDecay: -1 })).toThrow(/Adagrad: lrDecay must be ≥ 0, got -1/);
    expect(() => new RMSprop({ momentum: -0.9 })).toThrow(/RMSprop: momentum must be ≥ 0, got -0.9/);
    expect(() => new RMSprop({ centered: 1 as unknown as boolean })).toThrow(/RMSprop: centered must be true or false, got number/);
    expect(() => new Adam({ weight_decay: 0.1 } as AdamOptions)).toThrow(TypeError);
    expect(() => new Adam({ weight_decay: 0.1 } as AdamOptions)).toThrow(/Adam: unknown option 'weight_decay' \(PyTorch's weight_decay is weightDecay here\); the options are lr, betas, eps, weightDecay, amsgrad/);
    expect(() => new SGD({ lr: 0.1, maximize: true } as SGDOptions)).toThrow(/SGD: unknown option 'maximize'/);
    expect(() => new SGD({ lr: 0.1, nesterov: true })).toThrow(/SGD: nesterov needs momentum > 0 and dampening 0, got momentum 0 and dampening 0/);
    expect(() => new SGD({ lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/got momentum 0.9 and dampening 0.1/);
    expect(() => new Adam(null as unknown as AdamOptions)).toThrow(/Adam: options must be an object, got null/);
    const adam = new Adam();
    expect(() => { adam.lr = -0.5; }).toThrow(/Adam: lr must be ≥ 0, got -0.5/);
    expect(adam.lr).toBe(1e-3);
  });

  it("bad step arguments change nothing", () => {
    const adam = new Adam({ lr: 0.1 });
    const values = new Float32Array(10).fill(1);
    adam.step(values, new Float32Array(10).fill(0.5));
    const before = JSON.stringify(adam.getState()), valuesBefore = bits(values);
    expect(() => adam.step(new Float32Array(12), new Float32Array(12)))
      .toThrow(/Adam.step: values has 12 elements but this optimizer's state is for 10/);
    expect(() => adam.step(values, new Float32Array(9))).toThrow(/Adam.step: grads must have the length of values \(10\), got 9/);
    expect(() => adam.step(new Float64Array(10) as unknown as Float32Array, new Float32Array(10))).toThrow(/values must be a Float32Array, got Float64Array/);
    expect(() => adam.step(values, [1] as unknown as Float32Array)).toThrow(TypeError);
    expect(JSON.stringify(adam.getState())).toBe(before);
    expect(bits(values)).toEqual(valuesBefore);
  });

  it("a bad state is rejected before anything changes", () => {
    const adam = new Adam({ lr: 0.1, amsgrad: true });
    adam.step(new Float32Array([1, 2, 3]), new Float32Array([0.1, 0.2, 0.3]));
    const good = adam.getState();
    const before = JSON.stringify(good);
    const bad = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...JSON.parse(before) as object, ...patch });
    const cases: [unknown, RegExp][] = [
      [null, /Adam.setState: state must be an object \{ kind, step, size, options, buffers \}, got null/],
      [bad({ kind: "AdamW" }), /Adam.setState: state.kind must be "Adam", got "AdamW"/],
      [bad({ step: -1 }), /state.step must be an integer ≥ 0, got -1/],
      [bad({ step: 1.5 }), /state.step must be an integer ≥ 0, got 1.5/],
      [bad({ size: 4 }), /state.buffers.expAvg must have length state.size = 4, got 3/],
      [bad({ step: 0 }), /state.size must be 0 at step 0, got 3/],
      [bad({ options: { lr: -1 } }), /Adam.setState: state.options: lr must be ≥ 0, got -1/],
      [bad({ options: { ...good.options, beta1: 0.9 } }), /state.options: unknown option 'beta1'/],
      [bad({ buffers: { expAvg: [0, 0, 0], expAvgSq: [0, 0, 0] } }), /state.buffers must be \{ expAvg, expAvgSq, maxExpAvgSq \}, got \{ expAvg, expAvgSq \}/],
      [bad({ buffers: { ...good.buffers, extra: [1, 2, 3] } }), /got \{ expAvg, expAvgSq, maxExpAvgSq, extra \}/],
      [bad({ buffers: { ...good.buffers, expAvg: [0, null, 0] } }), /state.buffers.expAvg must be finite, got null at \[1\]/],
      [bad({ buffers: { ...good.buffers, expAvgSq: [0, -1e-3, 0] } }), /state.buffers.expAvgSq must be finite and ≥ 0, got -0.001 at \[1\]/],
      [bad({ buffers: { ...good.buffers, maxExpAvgSq: "0,0,0" } }), /state.buffers.maxExpAvgSq must be an array of numbers, got string/],
    ];
    for (const [state, message] of cases) {
      expect(() => adam.setState(state)).toThrow(message);
      expect(JSON.stringify(adam.getState())).toBe(before);
    }
    expect(adam.options.lr).toBe(0.1);
  });

  it("bad clipping and schedule arguments", () => {
    const g = new Float32Array([1, 2]);
    expect(() => clipGradNorm(g, 1, 1)).toThrow(/clipGradNorm: normType must be 2 or Infinity, got 1/);
    expect(() => clipGradNorm(g, -1)).toThrow(/clipGradNorm: maxNorm must be a number ≥ 0, got -1/);
    expect(() => clipGradNorm(g, NaN)).toThrow(RangeError);
    expect(() => clipGradNorm([1, 2] as unknown as Float32Array, 1)).toThrow(/grads must be a Float32Array, got array/);
    expect(() => clipGradValue(g, -0.5)).toThrow(/clipGradValue: clipValue must be a number ≥ 0, got -0.5/);
    expect(Array.from(g)).toEqual([1, 2]);

    expect(() => new StepLR({ baseLr: 0.1, stepSize: 0 })).toThrow(/StepLR: stepSize must be an integer ≥ 1, got 0/);
    expect(() => new CosineAnnealingLR({ baseLr: 0.1, tMax: 2.5 })).toThrow(/CosineAnnealingLR: tMax must be an integer ≥ 1, got 2.5/);
    expect(() => new LinearWarmup({ baseLr: 0.1, warmupSteps: 5, startFactor: 1.5 })).toThrow(/LinearWarmup: startFactor must be in \[0, 1\], got 1.5/);
    expect(() => new ExponentialLR({ baseLr: -1, gamma: 0.9 })).toThrow(/ExponentialLR: baseLr must be ≥ 0, got -1/);
    expect(() => new ExponentialLR({ gamma: 0.9 } as never)).toThrow(/ExponentialLR: baseLr is required/);
    expect(() => new StepLR({ baseLr: 0.1, step_size: 3 } as never)).toThrow(/StepLR: unknown option 'step_size' \(PyTorch's step_size is stepSize here\)/);
    const exp = new ExponentialLR({ baseLr: 0.1, gamma: 0.9 });
    expect(() => exp.lrAt(-1)).toThrow(/ExponentialLR.lrAt: step must be an integer ≥ 0, got -1/);
    expect(() => exp.lrAt(1.5)).toThrow(/got 1.5/);
    const warm = new LinearWarmup({ baseLr: 0.1, warmupSteps: 5 });
    expect(() => new SequentialLR({ schedules: [warm, exp], milestones: [] })).toThrow(/SequentialLR: milestones must have 1 entries \(one fewer than the schedules\), got 0/);
    expect(() => new SequentialLR({ schedules: [warm, exp, exp], milestones: [5, 5] })).toThrow(/milestones must be increasing integers ≥ 1, got \[5, 5\]/);
    expect(() => new SequentialLR({ schedules: [warm, new ExponentialLR({ baseLr: 0.2, gamma: 0.9 })], milestones: [5] }))
      .toThrow(/SequentialLR: every schedule must have baseLr 0.1 like schedules\[0\], got 0.2 at schedules\[1\]/);
    expect(() => new SequentialLR({ schedules: [], milestones: [] })).toThrow(/schedules must be a non-empty array/);
  });
});
