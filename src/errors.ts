/**
 * Errors that say what was expected and what came.
 *
 *   LSTM.forward: input must be [T, B, 8], got [5, 3, 12]
 *   LSTM.forward: h0 must be [2, B=3, 32], got [2, 4, 32]
 */

/** A tensor (or state-dict entry) whose shape is not the one required. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

/** A dimension of an expected shape: a fixed size, or a symbol ("T", "B") bound by the first shape that uses it. */
export type Dim = number | string;

/** "[5, 3, 12]" */
export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Checks `shape` against `expected` and returns the symbol bindings. A symbol already in `bound` must match its
 * bound value and is shown as "B=3" in the message; a new symbol binds to any positive size.
 */
export function expectShape(
  where: string,
  what: string,
  shape: readonly number[],
  expected: readonly Dim[],
  bound: Record<string, number> = {},
): Record<string, number> {
  const out: Record<string, number> = { ...bound };
  let ok = shape.length === expected.length;
  for (let i = 0; ok && i < expected.length; i++) {
    const e = expected[i]!;
    const got = shape[i]!;
    if (typeof e === "number") {
      ok = got === e;
    } else if (Object.hasOwn(out, e)) {
      ok = got === out[e];
    } else {
      ok = got >= 1;
      out[e] = got;
    }
  }
  if (!ok) {
    const shown = expected.map((e) => (typeof e === "string" && Object.hasOwn(bound, e) ? `${e}=${bound[e]}` : e));
    throw new ShapeError(`${where}: ${what} must be ${formatShape(shown)}, got ${formatShape(shape)}`);
  }
  return out;
}

/** Throws a RangeError unless every value is finite; names the first bad index as a multi-index of `shape`. */
export function expectFinite(where: string, what: string, data: ArrayLike<number>, shape: readonly number[]): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      throw new RangeError(`${where}: ${what} must be finite, got ${v} at ${formatShape(unravel(i, shape))}`);
    }
  }
}

/** The multi-index of flat index `i` in a row-major array of `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  let rest = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = n > 0 ? rest % n : 0;
    rest = n > 0 ? Math.floor(rest / n) : 0;
  }
  return idx;
}

/** A short human description of a value's kind, for TypeErrors: "Float64Array", "number[]", "null", "string". */
export function describeKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === "object") return "object";
  return typeof v;
}

/** A state dict that does not fit the model: lists every problem found (missing, unexpected, wrong shape, non-finite). */
export class StateDictError extends Error {
  readonly problems: readonly string[];
  constructor(where: string, problems: readonly string[]) {
    super(`${where}: ${problems.join("; ")}; nothing was loaded`);
    this.name = "StateDictError";
    this.problems = [...problems];
  }
}
