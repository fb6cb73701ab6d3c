import { describeKind } from "../errors.js";
import { ParamStore } from "../params/param-store.js";

/** Checks shared by every layer's constructor and methods. */

export function checkPositiveInt(where: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RangeError(`${where}: ${what} must be a positive integer, got ${typeof v === "number" ? v : describeKind(v)}`);
  return v;
}

export function checkBool(where: string, what: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new TypeError(`${where}: ${what} must be a boolean, got ${describeKind(v)}`);
  return v;
}

/** Rejects option keys the callee does not know (a JavaScript caller's typo would otherwise be ignored). */
export function checkKeys(where: string, obj: object, known: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new TypeError(`${where}: unknown option '${k}' (known: ${known.join(", ")})`);
  }
}

export function checkName(where: string, name: unknown): string {
  if (name === undefined) return "";
  if (typeof name !== "string" || name === "") throw new TypeError(`${where}: name must be a non-empty string, got ${describeKind(name)}`);
  return name;
}

/** The store a layer adds its parameters to: the one passed in, or its own seeded one. */
export function checkStore(where: string, store: unknown, seed: number | undefined): ParamStore {
  if (store !== undefined && !(store instanceof ParamStore)) throw new TypeError(`${where}: store must be a ParamStore, got ${describeKind(store)}`);
  if (store !== undefined && seed !== undefined) throw new TypeError(`${where}: seed applies only to a layer's own store; with a shared ParamStore the store's generator initialises it`);
  return store ?? new ParamStore(seed ?? 0);
}

/** `buf` when it holds at least n values, else a new buffer of n (workspaces grow, never shrink). */
export function ensure(buf: Float32Array, n: number): Float32Array {
  return buf.length >= n ? buf : new Float32Array(n);
}
