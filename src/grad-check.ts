import { describeKind, unravel } from "./errors.js";
import { ParamStore } from "./params/param-store.js";
import { Rng } from "./tensor/random.js";

/** Anything with values and their analytic gradient: a Param, or an input you differentiate (its dInput copied into `grad`). */
export interface GradTarget {
  readonly name: string;
  readonly value: Float32Array;
  readonly grad: Float32Array;
  /** For naming failing elements as multi-indices; flat indices when absent. */
  readonly shape?: readonly number[];
}

export interface GradCheckOptions {
  /** Step of the central difference. With float32 values 1e-3 works well; 1e-4 drowns in rounding. Default 1e-3. */
  readonly eps?: number;
  /** An element passes when |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|). Defaults 1e-4 and 1e-2. */
  readonly atol?: number;
  readonly rtol?: number;
  /** Check at most this many elements of each tensor, chosen by a seeded generator. Default: all. */
  readonly maxPerTensor?: number;
  readonly seed?: number;
}

/** The worst element of one tensor. */
export interface TensorGradCheck {
  readonly name: string;
  readonly checked: number;
  /** max |analytic − numeric| / max(|analytic|, |numeric|) over the checked elements (0 where both are 0). */
  readonly maxRelError: number;
  readonly maxAbsError: number;
  /** The element with the largest error relative to its tolerance, and its two values. */
  readonly worstIndex: number;
  readonly worstAt: string;
  readonly analytic: number;
  readonly numeric: number;
  readonly ok: boolean;
}

export interface GradCheckReport {
  readonly ok: boolean;
  readonly tensors: readonly TensorGradCheck[];
  /** One line per failing tensor ("weight_hh_l0[13]: analytic 0.0412, numeric 0.0388, …"), or "all N tensors match". */
  readonly message: string;
}

/**
 * Checks analytic gradients against central differences: for each element x of each target,
 * numeric = (loss(x + ε) − loss(x − ε)) / (2ε), compared with the `grad` the caller's backward left there.
 *
 *   const loss = () => dot(lstm.forward(x).output.data, dOut.data);
 *   loss(); lstm.backward(dOut);
 *   const report = gradCheck(loss, lstm.store);    // or an array of Params and GradTargets
 *   if (!report.ok) throw new Error(report.message);
 *
 * `loss` must be deterministic and read the targets' current values; each value is restored bit for bit.
 */
export function gradCheck(loss: () => number, targets: ParamStore | ReadonlyArray<GradTarget>, options: GradCheckOptions = {}): GradCheckReport {
  if (typeof loss !== "function") throw new TypeError(`gradCheck: loss must be a function returning a number, got ${describeKind(loss)}`);
  const list: ReadonlyArray<GradTarget> = targets instanceof ParamStore ? targets.params : targets;
  if (!Array.isArray(list)) throw new TypeError(`gradCheck: targets must be a ParamStore or an array of { name, value, grad }, got ${describeKind(targets)}`);
  const eps = options.eps ?? 1e-3, atol = options.atol ?? 1e-4, rtol = options.rtol ?? 1e-2;
  if (!(eps > 0)) throw new RangeError(`gradCheck: eps must be positive, got ${eps}`);
  const mpt = options.maxPerTensor;
  if (mpt !== undefined && !(Number.isInteger(mpt) && mpt >= 1)) throw new RangeError(`gradCheck: maxPerTensor must be a positive integer, got ${mpt}`);
  for (const t of list) {
    if (!(t?.value instanceof Float32Array) || !(t.grad instanceof Float32Array) || t.value.length !== t.grad.length) {
      throw new TypeError(`gradCheck: target ${t?.name ?? "?"} must have Float32Array value and grad of equal length`);
    }
  }
  const rng = new Rng(options.seed ?? 0);
  const analyticAll = list.map((t) => Float64Array.from(t.grad)); // the caller's backward may run again inside loss
  const tensors: TensorGradCheck[] = [];
  list.forEach((t, ti) => {
    const n = t.value.length;
    let idx = Array.from({ length: n }, (_, i) => i);
    if (options.maxPerTensor !== undefined && n > options.maxPerTensor) idx = rng.shuffle(idx).slice(0, options.maxPerTensor).sort((a, b) => a - b);
    let maxRel = 0, maxAbs = 0, worst = -1, worstRatio = -1, wa = 0, wn = 0;
    for (const i of idx) {
      const x = t.value[i]!;
      const xp = Math.fround(x + eps), xm = Math.fround(x - eps);
      let fp: number, fm: number;
      try {
        t.value[i] = xp;
        fp = loss();
        t.value[i] = xm;
        fm = loss();
      } finally {
        t.value[i] = x; // restored even when loss() throws
      }
      const num = (fp - fm) / (xp - xm);
      const ana = analyticAll[ti]![i]!;
      const diff = Math.abs(ana - num);
      const scale = Math.max(Math.abs(ana), Math.abs(num));
      const rel = scale > 0 ? diff / scale : 0;
      const ratio = Number.isFinite(diff) ? diff / (atol + rtol * scale) : Infinity;
      if (rel > maxRel || Number.isNaN(rel)) maxRel = Number.isNaN(rel) ? Infinity : rel;
      if (diff > maxAbs || Number.isNaN(diff)) maxAbs = Number.isNaN(diff) ? Infinity : diff;
      if (ratio > worstRatio) { worstRatio = ratio; worst = i; wa = ana; wn = num; }
    }
    const at = worst < 0 ? "" : t.shape ? `[${unravel(worst, t.shape).join(", ")}]` : `[${worst}]`;
    tensors.push({ name: t.name, checked: idx.length, maxRelError: maxRel, maxAbsError: maxAbs, worstIndex: worst, worstAt: at, analytic: wa, numeric: wn, ok: worstRatio <= 1 });
  });
  const bad = tensors.filter((r) => !r.ok);
  const message = bad.length === 0
    ? `all ${tensors.length} tensors match (eps ${eps}, atol ${atol}, rtol ${rtol})`
    : bad.map((r) => `${r.name}${r.worstAt}: analytic ${r.analytic.toPrecision(4)}, numeric ${r.numeric.toPrecision(4)} (|diff| ${Math.abs(r.analytic - r.numeric).toExponential(2)} > ${(atol + rtol * Math.max(Math.abs(r.analytic), Math.abs(r.numeric))).toExponential(2)})`).join("\n");
  return { ok: bad.length === 0, tensors, message };
}
