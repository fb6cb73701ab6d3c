/**
 * What every optimizer shares: it updates the model's flat parameter vector in place from the flat gradient vector,
 *
 *   clipGradNorm(store.grads, 1.0);
 *   adam.step(store.values, store.grads);   // values -= update(grads); grads are only read
 *   store.zeroGrad();
 *
 * keeps its per-element state (momentum, Adam's m and v, …) in Float32Arrays of the same length, created at the first
 * step, and saves and restores that state as plain JSON for resuming a run exactly.
 */
import { describeKind } from "../errors.js";

export type OptimizerKind = "SGD" | "RMSprop" | "Adagrad" | "Adam" | "AdamW";

/**
 * An optimizer's complete state as plain JSON: restoring it into a new optimizer of the same kind and continuing
 * gives bit-identical values to never having stopped.
 *
 *   { kind: "Adam", step: 3, size: 10, options: { lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false },
 *     buffers: { expAvg: [...], expAvgSq: [...] } }
 *
 * `step` is the number of steps taken and `size` the length of the parameter vector (0 before the first step).
 * `options` holds every option, `lr` as it is now. `buffers` holds the per-element state under PyTorch's state
 * names in camelCase (momentumBuffer, squareAvg, gradAvg, sum, expAvg, expAvgSq, maxExpAvgSq), each `size` long;
 * it is empty before the first step. Buffers are float32 values, so the JSON numbers restore them exactly.
 */
export interface OptimizerState {
  kind: OptimizerKind;
  step: number;
  size: number;
  options: { [name: string]: number | boolean | number[] };
  buffers: { [name: string]: number[] };
}

/** The part of an optimizer a training loop and a schedule use. */
export interface Optimizer {
  readonly kind: OptimizerKind;
  /** The learning rate of the next step; a schedule sets it before each step. */
  lr: number;
  /** The number of steps taken. */
  readonly stepCount: number;
  /** Updates `values` in place from `grads` (same length; grads are not modified). */
  step(values: Float32Array, grads: Float32Array): void;
  getState(): OptimizerState;
  /** Restores a state from getState() (or its JSON); checks all of it first and changes nothing if any part is wrong. */
  setState(state: unknown): void;
}

/** An options type with every option present and writable: what an optimizer holds after applying defaults. */
export type Resolved<O> = { -readonly [K in keyof O]-?: Exclude<O[K], undefined> };

/** One per-element buffer of an optimizer: its state name, first-step fill and whether it can never be negative. */
export interface BufferSpec {
  readonly name: string;
  readonly init: number;
  readonly nonNegative: boolean;
}

/**
 * The shared machinery: argument checks, lazily created state, the step counter, lr, getState / setState.
 * A subclass parses its options, lists its buffers and writes `update`, the per-element rule.
 */
export abstract class OptimizerBase<R extends { lr: number }> implements Optimizer {
  readonly kind: OptimizerKind;
  /** The resolved options; only lr changes after construction (and setState replaces all of them). */
  protected hp: R;
  private steps = 0;
  /** The length of the parameter vector, fixed by the first step (meaningless before it). */
  private size = 0;
  private state = new Map<string, Float32Array>();

  protected constructor(kind: OptimizerKind, hp: R) {
    this.kind = kind;
    this.hp = hp;
  }

  /** Reads and checks a full options object (the constructor's, or the one in a saved state). */
  protected abstract parseOptions(where: string, given: unknown): R;
  /** The per-element state these options need. */
  protected abstract bufferSpecs(hp: R): readonly BufferSpec[];
  /** One step over every element; `t` is the step number, counting from 1. Arguments are already checked. */
  protected abstract update(values: Float32Array, grads: Float32Array, t: number): void;

  get lr(): number {
    return this.hp.lr;
  }

  set lr(value: number) {
    this.hp.lr = numberOption(this.kind, { lr: value }, "lr", undefined, (v) => v >= 0, "≥ 0");
  }

  get stepCount(): number {
    return this.steps;
  }

  /** Every option as now in effect (a copy). */
  get options(): R {
    return copyOptions(this.hp);
  }

  step(values: Float32Array, grads: Float32Array): void {
    const where = `${this.kind}.step`;
    if (!(values instanceof Float32Array)) throw new TypeError(`${where}: values must be a Float32Array, got ${describeKind(values)}`);
    if (!(grads instanceof Float32Array)) throw new TypeError(`${where}: grads must be a Float32Array, got ${describeKind(grads)}`);
    const n = values.length;
    if (grads.length !== n) throw new RangeError(`${where}: grads must have the length of values (${n}), got ${grads.length}`);
    if (this.steps > 0 && n !== this.size) {
      throw new RangeError(`${where}: values has ${n} elements but this optimizer's state is for ${this.size}; use a new optimizer for a different model`);
    }
    if (this.steps === 0) {
      this.state.clear();
      for (const b of this.bufferSpecs(this.hp)) this.state.set(b.name, new Float32Array(n).fill(b.init));
      this.size = n;
    }
    this.steps++;
    this.update(values, grads, this.steps);
  }

  /** A buffer created at the first step (for `update`). */
  protected buffer(name: string): Float32Array {
    const b = this.state.get(name);
    if (b === undefined) throw new Error(`${this.kind}: internal error, no buffer '${name}'`);
    return b;
  }

  /** A buffer these options may not have: an empty array when absent (for `update` branches that skip it). */
  protected optionalBuffer(name: string): Float32Array {
    return this.state.get(name) ?? EMPTY;
  }

  getState(): OptimizerState {
    const options: OptimizerState["options"] = {};
    const entries: [string, unknown][] = Object.entries(this.hp);
    for (const [k, v] of entries) {
      if (typeof v === "number" || typeof v === "boolean") options[k] = v;
      else if (Array.isArray(v)) options[k] = v.map(Number);
    }
    const buffers: OptimizerState["buffers"] = {};
    for (const [k, b] of this.state) buffers[k] = Array.from(b);
    return { kind: this.kind, step: this.steps, size: this.steps === 0 ? 0 : this.size, options, buffers };
  }

  setState(state: unknown): void {
    const where = `${this.kind}.setState`;
    if (typeof state !== "object" || state === null || Array.isArray(state)) {
      throw new TypeError(`${where}: state must be an object { kind, step, size, options, buffers }, got ${describeKind(state)}`);
    }
    const s = state as Record<string, unknown>;
    if (s["kind"] !== this.kind) throw new TypeError(`${where}: state.kind must be "${this.kind}", got ${JSON.stringify(s["kind"]) ?? "undefined"}`);
    const step = s["step"], size = s["size"];
    if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
      throw new RangeError(`${where}: state.step must be an integer ≥ 0, got ${String(step)}`);
    }
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 || (step === 0 && size !== 0)) {
      throw new RangeError(`${where}: state.size must be ${step === 0 ? "0 at step 0" : "an integer ≥ 0"}, got ${String(size)}`);
    }
    const hp = this.parseOptions(`${where}: state.options`, s["options"]);
    const given = s["buffers"];
    if (typeof given !== "object" || given === null || Array.isArray(given)) {
      throw new TypeError(`${where}: state.buffers must be an object, got ${describeKind(given)}`);
    }
    const g = given as Record<string, unknown>;
    const specs = step === 0 ? [] : this.bufferSpecs(hp);
    const expected = specs.map((b) => b.name);
    const unexpected = Object.keys(g).filter((k) => !expected.includes(k));
    const missing = expected.filter((k) => !Object.hasOwn(g, k));
    if (unexpected.length > 0 || missing.length > 0) {
      const want = step === 0 ? "empty at step 0" : `{ ${expected.join(", ")} }`;
      throw new RangeError(`${where}: state.buffers must be ${want}, got { ${Object.keys(g).join(", ")} }`);
    }
    const next = new Map<string, Float32Array>();
    for (const spec of specs) {
      const data = g[spec.name];
      if (!Array.isArray(data) && !(data instanceof Float32Array) && !(data instanceof Float64Array)) {
        throw new TypeError(`${where}: state.buffers.${spec.name} must be an array of numbers, got ${describeKind(data)}`);
      }
      const arr: ArrayLike<unknown> = data;
      if (arr.length !== size) throw new RangeError(`${where}: state.buffers.${spec.name} must have length state.size = ${size}, got ${arr.length}`);
      const out = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        const v = arr[i];
        if (typeof v !== "number" || !Number.isFinite(v) || (spec.nonNegative && v < 0)) {
          throw new RangeError(`${where}: state.buffers.${spec.name} must be finite${spec.nonNegative ? " and ≥ 0" : ""}, got ${String(v)} at [${i}]`);
        }
        out[i] = v;
      }
      next.set(spec.name, out);
    }
    this.hp = hp;
    this.steps = step;
    this.size = size;
    this.state = next;
  }
}

const EMPTY = new Float32Array(0);

function copyOptions<R extends object>(hp: R): R {
  const out = { ...hp };
  for (const k of Object.keys(out) as (keyof R)[]) {
    const v = out[k];
    if (Array.isArray(v)) out[k] = [...v] as R[keyof R];
  }
  return out;
}

// ---- option parsing shared by the optimizers and the schedules ----

/**
 * Checks that `given` is an options object whose keys are all in `known` and returns it as a record. An unknown
 * key is a TypeError that names the known ones (and the camelCase spelling of a PyTorch snake_case name).
 */
export function readOptions(where: string, given: unknown, known: readonly string[]): Record<string, unknown> {
  if (given === undefined) return {};
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError(`${where}: options must be an object, got ${describeKind(given)}`);
  }
  const bag = given as Record<string, unknown>;
  for (const k of Object.keys(bag)) {
    if (!known.includes(k)) {
      const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      const hint = camel !== k && known.includes(camel) ? ` (PyTorch's ${k} is ${camel} here)` : "";
      throw new TypeError(`${where}: unknown option '${k}'${hint}; the options are ${known.join(", ")}`);
    }
  }
  return bag;
}

/** A number option: `fallback` when absent (undefined means required), else a finite number passing `check`. */
export function numberOption(where: string, bag: Record<string, unknown>, name: string, fallback: number | undefined,
                             check: (v: number) => boolean, must: string): number {
  const v = bag[name] === undefined ? fallback : bag[name];
  if (v === undefined) throw new TypeError(`${where}: ${name} is required (a number ${must})`);
  if (typeof v !== "number") throw new TypeError(`${where}: ${name} must be a number ${must}, got ${describeKind(v)}`);
  if (!Number.isFinite(v) || !check(v)) throw new RangeError(`${where}: ${name} must be ${must}, got ${v}`);
  return v;
}

export function booleanOption(where: string, bag: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const v = bag[name] === undefined ? fallback : bag[name];
  if (typeof v !== "boolean") throw new TypeError(`${where}: ${name} must be true or false, got ${describeKind(v)}`);
  return v;
}
