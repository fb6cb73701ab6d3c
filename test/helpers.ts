import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { StateDict, Tensor } from "../src/index.js";
import { tensor } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));

export function readFixture<T>(relPath: string): T {
  return JSON.parse(readFileSync(join(here, "fixtures", relPath), "utf8")) as T;
}

export interface FixtureTensor {
  shape: number[];
  data: number[];
}

export function toTensor(f: FixtureTensor): Tensor {
  return tensor(f.data, f.shape);
}

/** Σ a·b in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Elementwise |actual − expected| ≤ rtol·|expected| + atol, reporting the worst element by name and index.
 */
export function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, atol = 1e-6): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const ratio = Math.abs(a - e) / (rtol * Math.abs(e) + atol);
    if (!(ratio <= worstRatio)) { worstRatio = ratio; worst = i; }
  }
  if (worstRatio > 1 || Number.isNaN(worstRatio)) {
    expect.fail(`${what}[${worst}]: got ${actual[worst]}, expected ${expected[worst]} (|diff| ${Math.abs(actual[worst]! - expected[worst]!).toExponential(2)}, rtol ${rtol}, atol ${atol})`);
  }
}

export function expectStateDictClose(what: string, actual: StateDict, expected: Record<string, FixtureTensor>, rtol?: number, atol?: number): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, e] of Object.entries(expected)) {
    expect(actual[k]!.shape, `${what}.${k} shape`).toEqual(e.shape);
    expectClose(`${what}.${k}`, actual[k]!.data, e.data, rtol, atol);
  }
}
