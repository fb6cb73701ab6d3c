import { describeKind } from "../errors.js";
import type { SequenceInput, SequenceModel } from "../sequence/sequence-model.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * One training example for a SequenceModel.
 *
 * - `input`: token ids (token models), or one feature vector per step (feature models); at least one step.
 * - `target`, by loss and output:
 *   - cross-entropy, per sequence: a class id;  per step: one class id per input step
 *   - mse / huber / bce, per sequence: `output.size` values;  per step: one vector of `output.size` values per step
 * - `condition`: the conditioning vector (conditioned models).
 */
export interface SequenceExample {
  readonly input: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;
  readonly target: number | ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;
  readonly condition?: ArrayLike<number>;
}

export type LossKind = "cross-entropy" | "mse" | "huber" | "bce-with-logits";

/** A padded, time-major batch ready for the model and the loss. */
export interface Batch {
  readonly input: SequenceInput;
  /** Cross-entropy: class ids [B] or [T·B] (time-major), IGNORE at padded steps. */
  readonly classes: Int32Array | null;
  /** Other losses: target values [B, O] or [T, B, O]. */
  readonly values: Tensor | null;
  /** Per-step value losses: 1 for real steps, 0 for padding, one flag per [T, B] row. */
  readonly mask: Uint8Array | null;
  readonly B: number;
  /** Input steps that are not padding (tokens processed, for throughput). */
  readonly steps: number;
}

export const IGNORE = -100;

/** Pads `examples` to one time-major batch for `model` and `loss`; checks every example and names the bad one. */
export function collate(model: SequenceModel, examples: readonly SequenceExample[], loss: LossKind, where: string): Batch {
  const c = model.config;
  const B = examples.length;
  if (B === 0) throw new RangeError(`${where}: a batch needs at least one example`);
  const tokens = !("features" in c.input);
  const I = "features" in c.input ? c.input.features : 1;
  const V = "features" in c.input ? 0 : c.input.vocabSize;
  const pad = "paddingIdx" in c.input ? c.input.paddingIdx ?? 0 : 0;
  const O = c.output.size, perStep = c.output.per === "step";
  const lengths = examples.map((ex, b) => {
    if (ex === null || typeof ex !== "object" || ex.input === null || typeof ex.input !== "object") throw new TypeError(`${where}: example ${b} must be { input, target }, got ${describeKind(ex)}`);
    const n = ex.input.length;
    if (!(n >= 1)) throw new RangeError(`${where}: example ${b} has an empty input`);
    return n;
  });
  const T = Math.max(...lengths);
  const data = tokens ? new Int32Array(T * B).fill(pad) : new Float32Array(T * B * I);
  for (let b = 0; b < B; b++) {
    const inp = examples[b]!.input;
    for (let t = 0; t < lengths[b]!; t++) {
      const v = inp[t]!;
      if (tokens) {
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= V) throw new RangeError(`${where}: example ${b} input[${t}] must be a token id in [0, ${V}), got ${typeof v === "number" ? v : describeKind(v)}`);
        data[t * B + b] = v;
      } else {
        const row = v as ArrayLike<number>;
        if (row === null || typeof row !== "object" || row.length !== I) throw new RangeError(`${where}: example ${b} input[${t}] must hold ${I} features, got ${typeof row === "object" && row !== null ? row.length : describeKind(row)}`);
        for (let i = 0; i < I; i++) {
          const x = row[i]!;
          if (!Number.isFinite(x)) throw new RangeError(`${where}: example ${b} input[${t}][${i}] must be finite, got ${x}`);
          data[(t * B + b) * I + i] = x;
        }
      }
    }
  }
  let condition: Tensor | undefined;
  if (c.condition !== null) {
    const C = c.condition.size, cd = new Float32Array(B * C);
    examples.forEach((ex, b) => {
      const v = ex.condition;
      if (v === undefined || v.length !== C) throw new RangeError(`${where}: example ${b} needs a condition of ${C} values, got ${v === undefined ? "none" : v.length}`);
      for (let i = 0; i < C; i++) cd[b * C + i] = v[i]!;
    });
    condition = { data: cd, shape: [B, C] };
  }
  const allFull = lengths.every((n) => n === T);
  const input: SequenceInput = {
    ...(tokens ? { tokens: { data, shape: [T, B] } } : { x: { data: data as Float32Array, shape: [T, B, I] } }),
    ...(allFull ? {} : { lengths }),
    ...(condition === undefined ? {} : { condition }),
  };
  const steps = lengths.reduce((a, n) => a + n, 0);
  // ---- targets ----
  const badTarget = (b: number, want: string, got: unknown): never => {
    throw new RangeError(`${where}: example ${b} target must be ${want}, got ${typeof got === "object" && got !== null ? `an array of ${(got as ArrayLike<unknown>).length}` : String(got)}`);
  };
  if (loss === "cross-entropy") {
    const classes = new Int32Array(perStep ? T * B : B).fill(IGNORE);
    examples.forEach((ex, b) => {
      const y = ex.target;
      if (perStep) {
        if (typeof y !== "object" || y === null || y.length !== lengths[b]) badTarget(b, `one class per input step (${lengths[b]})`, y);
        for (let t = 0; t < lengths[b]!; t++) {
          const k = (y as ArrayLike<number>)[t]!;
          if (k !== IGNORE && !(Number.isInteger(k) && k >= 0 && k < O)) badTarget(b, `classes in [0, ${O})`, k);
          classes[t * B + b] = k;
        }
      } else {
        if (typeof y !== "number" || !Number.isInteger(y) || y < 0 || y >= O) badTarget(b, `a class in [0, ${O})`, y);
        classes[b] = y as number;
      }
    });
    return { input, classes, values: null, mask: null, B, steps };
  }
  const values = new Float32Array(perStep ? T * B * O : B * O);
  const mask = perStep ? new Uint8Array(T * B) : null;
  const readRow = (b: number, row: unknown, off: number): void => {
    if (typeof row !== "object" || row === null || (row as ArrayLike<number>).length !== O) badTarget(b, `rows of ${O} values`, row);
    for (let j = 0; j < O; j++) {
      const v = (row as ArrayLike<number>)[j]!;
      if (!Number.isFinite(v)) badTarget(b, "finite values", v);
      values[off + j] = v;
    }
  };
  examples.forEach((ex, b) => {
    const y = ex.target;
    if (perStep) {
      if (typeof y !== "object" || y === null || y.length !== lengths[b]) badTarget(b, `one row per input step (${lengths[b]})`, y);
      for (let t = 0; t < lengths[b]!; t++) {
        readRow(b, (y as ReadonlyArray<ArrayLike<number>>)[t], (t * B + b) * O);
        mask![t * B + b] = 1;
      }
    } else {
      readRow(b, y, b * O);
    }
  });
  return { input, classes: null, values: { data: values, shape: perStep ? [T, B, O] : [B, O] }, mask, B, steps };
}
