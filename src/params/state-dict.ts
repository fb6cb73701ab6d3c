import { describeKind, formatShape, StateDictError, unravel } from "../errors.js";
import type { Param } from "./param-store.js";

/** One tensor of a state dict, as PyTorch's `{k: v.tolist()}` would give it after flattening: plain JSON. */
export interface StateEntry {
  shape: number[];
  data: number[];
}

/** PyTorch state-dict layout as plain JSON: `{ "weight_ih_l0": { shape: [4H, I], data: [...] }, ... }`. */
export type StateDict = Record<string, StateEntry>;

export interface LoadOptions {
  /** Require exactly the model's keys (the default, like PyTorch's strict=True); false ignores extra keys but still requires every model key. */
  strict?: boolean;
}

/** A (key, param) list: the keys a layer or store exposes, which may differ from the params' full names. */
export type Entries = ReadonlyArray<readonly [string, Param]>;

export function readEntries(entries: Entries, which: "value" | "grad"): StateDict {
  const out: StateDict = {};
  for (const [key, p] of entries) {
    // defineProperty, not assignment: a key such as "__proto__" must become an own entry, not the object's prototype
    Object.defineProperty(out, key, { value: { shape: [...p.shape], data: Array.from(p[which]) }, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const MAX_LISTED = 6;

function list(items: string[]): string {
  return items.length <= MAX_LISTED ? items.join(", ") : `${items.slice(0, MAX_LISTED).join(", ")} and ${items.length - MAX_LISTED} more`;
}

/**
 * Validates `dict` against `entries` completely (keys, kinds, shapes, sizes, finiteness) and only then copies the
 * values in, so a rejected dict leaves every parameter as it was. Problems are reported together in one error.
 */
export function loadEntries(where: string, entries: Entries, dict: unknown, options: LoadOptions): void {
  if (dict === null || typeof dict !== "object" || Array.isArray(dict)) {
    throw new TypeError(`${where}: state dict must be an object of { shape, data } entries, got ${describeKind(dict)}`);
  }
  const strict = options.strict ?? true;
  const wanted = new Map(entries.map(([k, p]) => [k, p]));
  const given = Object.keys(dict); // own keys only: '__proto__' from JSON.parse is an own key and reported as unexpected
  const missing = [...wanted.keys()].filter((k) => !Object.hasOwn(dict, k));
  const unexpected = given.filter((k) => !wanted.has(k));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing keys ${list(missing)}`);
  if (strict && unexpected.length > 0) problems.push(`unexpected keys ${list(unexpected)}`);
  const sources: Array<[Param, ArrayLike<number>]> = [];
  for (const [key, p] of wanted) {
    if (!Object.hasOwn(dict, key)) continue;
    const entry: unknown = (dict as Record<string, unknown>)[key];
    if (entry === null || typeof entry !== "object") {
      problems.push(`${key} must be { shape, data }, got ${describeKind(entry)}`);
      continue;
    }
    const { shape, data } = entry as { shape?: unknown; data?: unknown };
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      problems.push(`${key}.shape must be an array of non-negative integers, got ${JSON.stringify(shape) ?? describeKind(shape)}`);
      continue;
    }
    if (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
      problems.push(`${key} must be ${formatShape(p.shape)}, got ${formatShape(shape)}`);
      continue;
    }
    if (!(Array.isArray(data) || (ArrayBuffer.isView(data) && !(data instanceof DataView)))) {
      problems.push(`${key}.data must be an array of numbers, got ${describeKind(data)}`);
      continue;
    }
    const values = data as ArrayLike<unknown>;
    if (values.length !== p.size) {
      problems.push(`${key}.data must hold ${p.size} values for shape ${formatShape(p.shape)}, got ${values.length}`);
      continue;
    }
    let bad = -1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== "number" || !Number.isFinite(v)) { bad = i; break; }
    }
    if (bad >= 0) {
      const v = values[bad];
      problems.push(`${key} must hold finite numbers, got ${typeof v === "number" ? v : describeKind(v)} at ${formatShape(unravel(bad, p.shape))}`);
      continue;
    }
    sources.push([p, values as ArrayLike<number>]);
  }
  if (problems.length > 0) throw new StateDictError(where, problems);
  for (const [p, values] of sources) p.value.set(values);
}
