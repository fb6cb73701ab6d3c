import type { Tensor } from "./tensor.js";
import { shapeSize } from "./tensor.js";

const LN2 = 0.6931471805599453;

/**
 * ln(x) for 0 < x ≤ 1 from + − × ÷ only, which IEEE 754 rounds exactly the same everywhere. `Math.log` is
 * "implementation-approximated" by the ECMAScript spec and may differ in the last bit between engines, which
 * would make seeded normals differ across platforms.
 */
function portableLog(x: number): number {
  let e = 0;
  while (x < 0.5) { x *= 2; e--; }            // exact: scaling by 2
  if (x < Math.SQRT1_2) { x *= 2; e--; }       // x ∈ [√½, √2)
  const f = (x - 1) / (x + 1);                 // |f| ≤ 0.1716
  const f2 = f * f;
  // ln x = 2·atanh f = 2(f + f³/3 + f⁵/5 + …); 12 terms reach double precision at |f| ≤ 0.1716.
  let p = 1 / 23;
  for (let k = 21; k >= 1; k -= 2) p = 1 / k + f2 * p;
  return e * LN2 + 2 * f * p;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The serialisable state of an Rng (for saving training runs and resuming them exactly). */
export interface RngState {
  readonly s: readonly [number, number, number, number];
  readonly spare: number | null;
}

/**
 * A seeded generator (xoshiro128**). The same seed gives the same numbers on every platform and engine: integer
 * arithmetic for the stream, exact IEEE operations for uniforms and normals. The library never uses Math.random.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`Rng: seed must be an integer in [0, 2^32), got ${seed}`);
    }
    const st = { s: seed | 0 };
    this.s0 = splitmix32(st);
    this.s1 = splitmix32(st);
    this.s2 = splitmix32(st);
    this.s3 = splitmix32(st);
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = rotl(n3, 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5, lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** A standard normal (Marsaglia's polar method). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1, v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * portableLog(s)) / s); // sqrt is correctly rounded by IEEE 754
        this.spare = v * m;
        return u * m;
      }
    }
  }

  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Shuffles `a` in place (Fisher–Yates). */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  getState(): RngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spare: this.spare };
  }

  setState(state: RngState): void {
    const s: unknown = state?.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff) || s.every((x) => x === 0)) {
      throw new TypeError("Rng.setState: s must be four 32-bit unsigned integers, not all zero");
    }
    if (state.spare !== null && !Number.isFinite(state.spare)) throw new TypeError(`Rng.setState: spare must be a finite number or null, got ${state.spare}`);
    const [a, b, c, d] = s as number[];
    this.s0 = a! | 0;
    this.s1 = b! | 0;
    this.s2 = c! | 0;
    this.s3 = d! | 0;
    this.spare = state.spare;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A new seeded generator. */
export function seededRng(seed: number): Rng {
  return new Rng(seed);
}

/** A tensor of standard normals. */
export function randn(rng: Rng, shape: readonly number[]): Tensor {
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { data, shape: [...shape] };
}

/** A tensor of uniforms in [lo, hi). */
export function randu(rng: Rng, shape: readonly number[], lo = 0, hi = 1): Tensor {
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniformRange(lo, hi);
  return { data, shape: [...shape] };
}
