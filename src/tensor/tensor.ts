import { ShapeError, describeKind, expectFinite, formatShape } from "../errors.js";

/** A dense float32 tensor: row-major `data` with `shape`. Recurrent inputs are time-major [T, B, I] unless stated. */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** A nested array of numbers, e.g. [[1, 2], [3, 4]]. */
export type NestedArray = number | readonly NestedArray[];

/** The number of elements of a shape. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function inferShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = (cur as readonly NestedArray[])[0] ?? 0;
  }
  return shape;
}

function flattenInto(v: NestedArray, shape: readonly number[], depth: number, out: Float32Array, at: { i: number }): void {
  if (depth === shape.length) {
    if (typeof v !== "number") throw new TypeError(`tensor: expected a number at depth ${depth}, got ${describeKind(v)}`);
    out[at.i++] = v;
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw new ShapeError(`tensor: nested array is ragged: expected length ${shape[depth]} at depth ${depth}, got ${Array.isArray(v) ? v.length : describeKind(v)}`);
  }
  for (const e of v as readonly NestedArray[]) flattenInto(e, shape, depth + 1, out, at);
}

/**
 * Makes a tensor. `tensor([[1, 2], [3, 4]])` infers the shape; `tensor(flatValues, [2, 2])` takes a flat array-like.
 * Values are copied into a new Float32Array.
 */
export function tensor(values: NestedArray | ArrayLike<number>, shape?: readonly number[]): Tensor {
  if (shape !== undefined) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`tensor: shape must hold non-negative integers, got ${formatShape(shape)}`);
    }
    const n = shapeSize(shape);
    if (typeof values === "number") throw new TypeError("tensor: with a shape, values must be an array-like of numbers, got number");
    const flat = values as ArrayLike<unknown>;
    if (flat.length !== n) throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${formatShape(shape)} (${n} elements)`);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = flat[i];
      if (typeof v !== "number") throw new TypeError(`tensor: values[${i}] must be a number, got ${describeKind(v)}`);
      data[i] = v;
    }
    return { data, shape: [...shape] };
  }
  if (ArrayBuffer.isView(values)) return tensor(values as ArrayLike<number>, [(values as ArrayLike<number>).length]);
  const inferred = inferShape(values as NestedArray);
  const data = new Float32Array(shapeSize(inferred));
  flattenInto(values as NestedArray, inferred, 0, data, { i: 0 });
  return { data, shape: inferred };
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[]): Tensor {
  return { data: new Float32Array(shapeSize(shape)), shape: [...shape] };
}

/** Wraps an existing Float32Array (no copy). */
export function fromData(data: Float32Array, shape: readonly number[]): Tensor {
  if (data.length !== shapeSize(shape)) {
    throw new ShapeError(`fromData: ${data.length} values do not fill shape ${formatShape(shape)} (${shapeSize(shape)} elements)`);
  }
  return { data, shape: [...shape] };
}

/** Nested plain arrays of a tensor's values (for printing and tests). */
export function toNested(t: Tensor): NestedArray {
  const rec = (depth: number, off: number): NestedArray => {
    if (depth === t.shape.length) return t.data[off]!;
    const n = t.shape[depth]!;
    const stride = shapeSize(t.shape.slice(depth + 1));
    const out: NestedArray[] = [];
    for (let i = 0; i < n; i++) out.push(rec(depth + 1, off + i * stride));
    return out;
  };
  return rec(0, 0);
}

/**
 * Checks that `t` is a well-formed tensor (Float32Array data, integer shape whose size matches) and, unless
 * `allowNonFinite`, that every value is finite. Public entry points call this before touching anything.
 */
export function expectTensor(where: string, what: string, t: unknown, allowNonFinite = false): asserts t is Tensor {
  if (t === null || typeof t !== "object") throw new TypeError(`${where}: ${what} must be a Tensor { data: Float32Array, shape }, got ${describeKind(t)}`);
  const { data, shape } = t as { data?: unknown; shape?: unknown };
  if (!(data instanceof Float32Array)) throw new TypeError(`${where}: ${what}.data must be a Float32Array, got ${describeKind(data)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`${where}: ${what}.shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (shapeSize(shape) !== data.length) {
    throw new ShapeError(`${where}: ${what} has shape ${formatShape(shape)} (${shapeSize(shape)} elements) but ${data.length} values`);
  }
  if (!allowNonFinite) expectFinite(where, what, data, shape);
}
