import v8 from "node:v8";
import { describe, expect, it } from "vitest";
import { gemm, gemmPacked, packMatrix, seededRng } from "../src/index.js";
import type { Rng } from "../src/index.js";

/**
 * gemm against a plain float64 triple loop. Every operand sits inside a larger buffer at a nonzero offset with a
 * leading dimension wider than its rows; the padding of A and B is NaN (a stray read shows up in C) and the padding of
 * C holds a sentinel that must come back bit for bit (a stray write shows up there).
 */

const SENTINEL = -777.25;

/** One gemm call: sizes, flags, scalars, and how the operands are embedded (pad = extra columns, off = leading slack). */
interface Case {
  transA: boolean; transB: boolean;
  M: number; N: number; K: number;
  alpha: number; beta: number;
  pad: number; off: number;
}

function describeCase(c: Case): string {
  return `transA=${c.transA} transB=${c.transB} M=${c.M} N=${c.N} K=${c.K} alpha=${c.alpha} beta=${c.beta} pad=${c.pad} off=${c.off}`;
}

/** A [rows, cols] row-major matrix at `off` with leading dimension cols + pad, inside a buffer padded with `fill`. */
function embedded(rng: Rng, rows: number, cols: number, pad: number, off: number, fill: number): { buf: Float32Array; ld: number } {
  const ld = cols + pad;
  const buf = new Float32Array(off + rows * ld + 3).fill(fill);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) buf[off + r * ld + c] = rng.normal();
  return { buf, ld };
}

/**
 * Runs one case and returns what went wrong, or null. The reference is
 *   C[i, j] = β·C[i, j] + α·Σ_k op(A)[i, k]·op(B)[k, j]      in float64 from the same float32 inputs.
 * Products of float32 values are exact in float64, so the only error allowed is the final rounding to float32 plus a
 * different summation order: |got − ref| ≤ 1e-6·(|β·C| + Σ|α·a·b|). Any indexing mistake is off by O(1).
 * With β = 0 the C block starts as NaN: it must be overwritten without being read.
 */
function runCase(rng: Rng, c: Case): string | null {
  const { transA, transB, M, N, K, alpha, beta, pad, off } = c;
  const a = transA ? embedded(rng, K, M, pad, off, NaN) : embedded(rng, M, K, pad, off, NaN);
  const b = transB ? embedded(rng, N, K, pad, off + 1, NaN) : embedded(rng, K, N, pad, off + 1, NaN);
  const cOff = off + 2;
  const C = embedded(rng, M, N, pad, cOff, SENTINEL);
  if (beta === 0) for (let i = 0; i < M; i++) C.buf.fill(NaN, cOff + i * C.ld, cOff + i * C.ld + N);
  const C0 = C.buf.slice(), A0 = a.buf.slice(), B0 = b.buf.slice();
  const opA = (i: number, k: number): number => (transA ? a.buf[off + k * a.ld + i]! : a.buf[off + i * a.ld + k]!);
  const opB = (k: number, j: number): number => (transB ? b.buf[off + 1 + j * b.ld + k]! : b.buf[off + 1 + k * b.ld + j]!);

  gemm(transA, transB, M, N, K, alpha, a.buf, off, a.ld, b.buf, off + 1, b.ld, beta, C.buf, cOff, C.ld);

  for (let i = 0; i < C.buf.length; i++) {
    const r = i - cOff, row = Math.floor(r / C.ld), col = r - row * C.ld;
    const inBlock = r >= 0 && row < M && col < N;
    if (!inBlock && !Object.is(C.buf[i], C0[i])) return `${describeCase(c)}: C[${i}] outside the block changed from ${C0[i]} to ${C.buf[i]}`;
  }
  if (!sameBits(a.buf, A0) || !sameBits(b.buf, B0)) return `${describeCase(c)}: A or B was written`;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const c0 = beta === 0 ? 0 : C0[cOff + i * C.ld + j]!;
      let s = 0, scale = Math.abs(beta * c0);
      for (let k = 0; k < K; k++) {
        const p = opA(i, k) * opB(k, j);
        s += p;
        scale += Math.abs(alpha * p);
      }
      const ref = beta * c0 + alpha * s;
      const got = C.buf[cOff + i * C.ld + j]!;
      if (!(Math.abs(got - ref) <= 1e-6 * scale)) return `${describeCase(c)}: C[${i}, ${j}] = ${got}, expected ${ref}`;
    }
  }
  return null;
}

function sameBits(x: Float32Array, y: Float32Array): boolean {
  if (x.length !== y.length) return false;
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length), v = new Uint32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
  return true;
}

const MN = [1, 2, 3, 4, 5, 7, 8, 13];  // full 4×4 tiles, 1×4 row tiles, and the element-wise edge, alone and together
const KS = [0, 1, 3, 16, 17];
const ALPHAS = [1, 0.5, -2];
const BETAS = [0, 1, 0.25];            // overwrite, accumulate, and the scale-first path

describe("gemm: C = α·op(A)·op(B) + β·C against a float64 triple loop", () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const layout of [{ pad: 0, off: 0 }, { pad: 3, off: 5 }]) {
        const name = `transA=${transA}, transB=${transB}, ${layout.pad === 0 ? "compact operands" : "operands at offsets inside wider rows"}`;
        it(`${name}: every M, N in {${MN.join(", ")}}, K in {${KS.join(", ")}}, α in {${ALPHAS.join(", ")}}, β in {${BETAS.join(", ")}}`, () => {
          const rng = seededRng(1000 + (transA ? 2 : 0) + (transB ? 1 : 0) + layout.pad);
          const failures: string[] = [];
          let cases = 0;
          for (const M of MN) for (const N of MN) for (const K of KS) for (const alpha of ALPHAS) for (const beta of BETAS) {
            const err = runCase(rng, { transA, transB, M, N, K, alpha, beta, ...layout });
            cases++;
            if (err !== null) failures.push(err);
          }
          expect(cases).toBe(MN.length * MN.length * KS.length * ALPHAS.length * BETAS.length);
          expect(failures.slice(0, 5), `${failures.length} of ${cases} cases failed`).toEqual([]);
        });
      }
    }
  }

  it("computes a hand-written 2×3 · 3×2 product exactly", () => {
    const A = Float32Array.of(1, 2, 3, 4, 5, 6);           // [2, 3]
    const B = Float32Array.of(7, 8, 9, 10, 11, 12);        // [3, 2]
    const C = new Float32Array(4);
    gemm(false, false, 2, 2, 3, 1, A, 0, 3, B, 0, 2, 0, C, 0, 2);
    expect(Array.from(C)).toEqual([58, 64, 139, 154]);
    gemm(true, true, 2, 2, 3, 1, B, 0, 2, A, 0, 3, 0, C, 0, 2); // Bᵀ·Aᵀ = (A·B)ᵀ
    expect(Array.from(C)).toEqual([58, 139, 64, 154]);
  });

  it("β = 0 overwrites a C full of NaN and Infinity without reading it, on every path", () => {
    const rng = seededRng(3);
    for (const [M, N, K] of [[4, 4, 3], [1, 5, 2], [13, 7, 17], [3, 3, 1]] as const) {
      const A = new Float32Array(M * K).map(() => rng.normal());
      const B = new Float32Array(K * N).map(() => rng.normal());
      const C = new Float32Array(M * N).map((_, i) => (i % 2 === 0 ? NaN : -Infinity));
      gemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 0, C, 0, N);
      expect(C.every(Number.isFinite), `M=${M} N=${N} K=${K}`).toBe(true);
    }
  });

  it("M = 0 or N = 0 is a no-op, whatever β", () => {
    const A = new Float32Array(16).fill(1), B = new Float32Array(16).fill(1);
    for (const [M, N] of [[0, 3], [3, 0], [0, 0]] as const) {
      for (const beta of [0, 1, 0.5]) {
        const C = new Float32Array(16).fill(SENTINEL);
        gemm(false, false, M, N, 2, 1, A, 0, 2, B, 0, 4, beta, C, 0, 4);
        expect(C.every((v) => v === SENTINEL), `M=${M} N=${N} beta=${beta}`).toBe(true);
      }
    }
  });

  it("K = 0: β = 0 zeroes the C block (even NaN), β = 1 leaves it, β = 0.25 scales it; padding untouched", () => {
    const A = new Float32Array(8), B = new Float32Array(8);
    const make = (): Float32Array => {
      const C = new Float32Array(2 + 3 * 5).fill(SENTINEL); // [3, 4] at offset 2, ldc 5
      for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) C[2 + i * 5 + j] = 4 * i + j + 1;
      return C;
    };
    const block = (C: Float32Array): number[] => [0, 1, 2].flatMap((i) => Array.from(C.subarray(2 + i * 5, 2 + i * 5 + 4)));
    const padding = (C: Float32Array): number[] => Array.from(C).filter((_, k) => k < 2 || (k - 2) % 5 === 4);
    const orig = block(make());

    const c0 = make();
    for (let i = 0; i < 3; i++) c0[2 + i * 5] = NaN;
    gemm(false, false, 3, 4, 0, 1, A, 0, 1, B, 0, 4, 0, c0, 2, 5);
    expect(block(c0)).toEqual(new Array(12).fill(0));
    expect(padding(c0).every((v) => v === SENTINEL)).toBe(true);

    const c1 = make();
    gemm(false, false, 3, 4, 0, 1, A, 0, 1, B, 0, 4, 1, c1, 2, 5);
    expect(block(c1)).toEqual(orig);

    const cq = make();
    gemm(true, true, 3, 4, 0, -2, A, 0, 3, B, 0, 1, 0.25, cq, 2, 5);
    expect(block(cq)).toEqual(orig.map((v) => v * 0.25));
    expect(padding(cq).every((v) => v === SENTINEL)).toBe(true);
  });

  it("α = 0 gives β·C", () => {
    const rng = seededRng(4);
    const A = new Float32Array(6 * 5).map(() => rng.normal()), B = new Float32Array(5 * 7).map(() => rng.normal());
    const C0 = new Float32Array(6 * 7).map(() => rng.normal());
    for (const beta of [0, 1, 0.25]) {
      const C = C0.slice();
      gemm(false, false, 6, 7, 5, 0, A, 0, 5, B, 0, 7, beta, C, 0, 7);
      expect(Array.from(C), `beta=${beta}`).toEqual(Array.from(C0, (v) => (beta === 0 ? 0 : Math.fround(beta * v))));
    }
  });
});

describe("gemm: the packed paths (long rows of a transposed A, a large strided B)", () => {
  // pad widens the leading dimension past 256 floats, which is when gemm copies that operand into panels; B is only
  // packed when it is also large (K·N > 256 Ki), hence K = 13200. Alpha, beta and the edge rows/columns all apply.
  const cases: Case[] = [
    { transA: true, transB: false, M: 17, N: 21, K: 9, alpha: 1, beta: 1, pad: 250, off: 3 },
    { transA: true, transB: true, M: 19, N: 22, K: 33, alpha: -2, beta: 0, pad: 250, off: 1 },
    { transA: false, transB: false, M: 17, N: 21, K: 13200, alpha: 0.5, beta: 0.25, pad: 240, off: 2 },
    { transA: true, transB: false, M: 18, N: 23, K: 13200, alpha: 1, beta: 0, pad: 240, off: 5 },
  ];
  for (const c of cases) {
    it(describeCase(c), () => {
      expect(runCase(seededRng(41), c)).toBeNull();
    });
  }
});

describe("gemm: the float64 panel path (M ≥ 32 rows)", () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`transA=${transA}, transB=${transB}: M in {31, 32, 33, 35, 64, 80}, N in {1, 3, 4, 5, 13, 40}, K in {0, 1, 3, 17}, α, β`, () => {
        const rng = seededRng(2000 + (transA ? 2 : 0) + (transB ? 1 : 0));
        const failures: string[] = [];
        for (const M of [31, 32, 33, 35, 64, 80]) for (const N of [1, 3, 4, 5, 13, 40]) for (const K of [0, 1, 3, 17]) {
          for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]] as const) {
            const err = runCase(rng, { transA, transB, M, N, K, alpha, beta, pad: 3, off: 2 });
            if (err !== null) failures.push(err);
          }
        }
        expect(failures.slice(0, 5), `${failures.length} cases failed`).toEqual([]);
      });
    }
  }

  it("blocks over columns (long K) and over rows (many rows), with edge rows and columns", () => {
    const rng = seededRng(77);
    for (const c of [
      { transA: false, transB: false, M: 67, N: 21, K: 13200, alpha: 1, beta: 0, pad: 2, off: 1 },
      { transA: true, transB: true, M: 65, N: 30, K: 9000, alpha: 0.5, beta: 1, pad: 0, off: 3 },
      { transA: false, transB: true, M: 601, N: 9, K: 300, alpha: 1, beta: 1, pad: 1, off: 0 },
      { transA: true, transB: false, M: 599, N: 6, K: 301, alpha: -1, beta: 0, pad: 0, off: 0 },
    ]) expect(runCase(rng, c)).toBeNull();
  });

  it("gives bit for bit the float32 kernel's results (the same float64 sums in the same order)", () => {
    const rng = seededRng(5);
    const M = 72, N = 37, K = 29;
    const a = Float32Array.from({ length: M * K }, () => rng.normal()), b = Float32Array.from({ length: K * N }, () => rng.normal());
    const big = new Float32Array(M * N), small = new Float32Array(M * N);
    gemm(false, false, M, N, K, 1, a, 0, K, b, 0, N, 0, big, 0, N);                       // panels
    for (let i = 0; i < M; i += 8) gemm(false, false, Math.min(8, M - i), N, K, 1, a, i * K, K, b, 0, N, 0, small, i * N, N);   // float32 tiles
    expect(sameBits(big, small)).toBe(true);
  });
});

describe("gemm: the k-blocked path (K > 512: weight gradients summed over every step)", () => {
  it("gives bit for bit the float32 kernel's results across k-, row- and column-blocks and their edges, every transpose", () => {
    // K = 1100: k-blocks of 512, 512 and 76; M = 261: row blocks of 256 and 5, one row under a 4-row panel;
    // N = 300: column blocks of 256 and 44, the last 8-column panel part padding
    const rng = seededRng(6);
    const M = 261, N = 300, K = 1100;
    for (const transA of [false, true]) for (const transB of [false, true]) {
      const a = Float32Array.from({ length: M * K + 1 }, () => rng.normal()), b = Float32Array.from({ length: K * N + 2 }, () => rng.normal());
      const lda = transA ? M : K, ldb = transB ? K : N;
      const c0 = Float32Array.from({ length: M * N }, () => rng.normal());
      const blocked = c0.slice(), small = c0.slice();
      gemm(transA, transB, M, N, K, 0.5, a, 1, lda, b, 2, ldb, 1, blocked, 0, N);
      // the same product 8 rows at a time: the float32 4×4 tiles, whole K
      for (let i = 0; i < M; i += 8) {
        const rows = Math.min(8, M - i);
        gemm(transA, transB, rows, N, K, 0.5, a, 1 + i * (transA ? 1 : lda), lda, b, 2, ldb, 1, small, i * N, N);
      }
      expect(sameBits(blocked, small), `transA=${transA} transB=${transB}`).toBe(true);
    }
  });
});

describe("gemmPacked: a pre-packed op(B) times op(A), for the per-step products", () => {
  it("equals gemm bit for bit for every M (batch 1 included), N, K, transposes, α and β ∈ {0, 1}", () => {
    const rng = seededRng(11);
    let cases = 0;
    for (const transA of [false, true]) for (const transB of [false, true]) {
      for (const M of [1, 2, 3, 4, 5, 9, 33]) for (const N of [1, 5, 8, 13, 64]) for (const K of [1, 7, 64]) for (const [alpha, beta] of [[1, 1], [-0.5, 0]] as const) {
        const A = Float32Array.from({ length: M * K + 2 }, () => rng.normal());
        const B = Float32Array.from({ length: K * N + 3 }, () => rng.normal());
        const C0 = Float32Array.from({ length: M * N + 1 }, () => rng.normal());
        const want = C0.slice(), got = C0.slice();
        const lda = transA ? M : K, ldb = transB ? K : N;
        gemm(transA, transB, M, N, K, alpha, A, 2, lda, B, 3, ldb, beta, want, 1, N);
        const P = packMatrix(transB, K, N, B, 3, ldb);
        gemmPacked(transA, M, alpha, A, 2, lda, P, beta, got, 1, N);
        expect(sameBits(got, want), `transA=${transA} transB=${transB} M=${M} N=${N} K=${K} α=${alpha} β=${beta}`).toBe(true);
        cases++;
      }
    }
    expect(cases).toBe(2 * 2 * 7 * 5 * 3 * 2);
  });

  it("packMatrix reuses a big enough buffer and zero-pads the last panel", () => {
    const B = Float32Array.from({ length: 6 }, (_, i) => i + 1);          // [2, 3]
    const P = packMatrix(true, 3, 2, B, 0, 3);                            // op(B) = Bᵀ [3, 2]
    expect(Array.from(P.data.slice(0, 24))).toEqual([1, 4, 0, 0, 0, 0, 0, 0, 2, 5, 0, 0, 0, 0, 0, 0, 3, 6, 0, 0, 0, 0, 0, 0]);
    const again = packMatrix(false, 2, 3, B, 0, 3, P);
    expect(again.data).toBe(P.data);
    expect(Array.from(again.data.slice(0, 16))).toEqual([1, 2, 3, 0, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0]);
    expect(again.source).toBeNull();
  });

  it("packs into an array V8 holds as packed doubles (the kernels' speed depends on it), whatever the values", () => {
    v8.setFlagsFromString("--allow-natives-syntax");
    const kind = new Function("a", "return [%HasDoubleElements(a), %HasHoleyElements(a)]") as (a: unknown) => [boolean, boolean];
    expect(kind([1, 2])[0], "the probe tells small integers from doubles").toBe(false);
    expect(kind(new Array(3).fill(0.5))[1], "and holey from packed").toBe(true);
    for (const values of [[0, 0, 0, 0], [1, 2, 3, 4], [0.5, -1.25, 3, 1e-30]]) {
      const P = packMatrix(false, 1, 4, Float32Array.from(values), 0, 4);
      expect(Array.from(P.data.slice(0, 4))).toEqual(values.map((v) => Math.fround(v)));
      expect(kind(P.data), `packed ${values.join(", ")}`).toEqual([true, false]);
    }
  });

  it("gives the same bits from Float64Array panels, what engines other than V8 pack into", () => {
    const rng = seededRng(12);
    for (const [M, N, K] of [[1, 37, 300], [3, 16, 9], [6, 9, 600], [33, 20, 17]] as const) {
      const A = Float32Array.from({ length: M * K }, () => rng.normal()), B = Float32Array.from({ length: N * K }, () => rng.normal());
      const P = packMatrix(true, K, N, B, 0, K);
      const F = { ...P, data: Float64Array.from(P.data) };
      const want = new Float32Array(M * N), got = new Float32Array(M * N);
      gemmPacked(false, M, 0.5, A, 0, K, P, 0, want, 0, N);
      gemmPacked(false, M, 0.5, A, 0, K, F, 0, got, 0, N);
      expect(sameBits(got, want), `M=${M} N=${N} K=${K}`).toBe(true);
    }
  });

  it("multiplies a matrix too large to pack (over 2^26 elements) in place, with the same sums as gemm", () => {
    // op(B) = B [K, N] with N padded to 8200: 8200 · 8192 = 67,174,400 > 2^26 = 67,108,864 (a 268 MB float32 B)
    const K = 8192, N = 8193, M = 2;
    const B = new Float32Array(K * N);
    for (let i = 0; i < B.length; i++) B[i] = ((i * 7919) % 4093) / 4093 - 0.5;
    const A = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
    const P = packMatrix(false, K, N, B, 0, N);
    expect(P.data.length).toBe(0);
    expect(P.source !== null && P.source.B === B).toBe(true);   // (toEqual would walk the 67 M elements)
    expect({ ...P.source, B: null }).toEqual({ B: null, off: 0, ld: N, transB: false });
    const got = new Float32Array(M * N).fill(NaN);
    gemmPacked(false, M, 1, A, 0, K, P, 0, got, 0, N);
    // the same float64 sums, in the same k order, rounded once to float32
    const sum = new Float64Array(N);
    for (let i = 0; i < M; i++) {
      sum.fill(0);
      for (let k = 0; k < K; k++) {
        const a = A[i * K + k]!, row = k * N;
        for (let j = 0; j < N; j++) sum[j]! += a * B[row + j]!;
      }
      expect(sameBits(got.subarray(i * N, (i + 1) * N), Float32Array.from(sum)), `row ${i}`).toBe(true);
    }
    // a later small matrix packed into the same object is packed again, not read in place
    const small = packMatrix(true, 2, 1, Float32Array.of(3, 4), 0, 2, P);
    expect(small).toBe(P);
    expect(small.source).toBeNull();
    expect(Array.from(small.data.slice(0, 16))).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]);
  }, 60_000);

  it("refuses operands whose indices would not fit the kernels' int32 arithmetic, naming the lengths", () => {
    // only the length is read before the check: a stand-in object, since a real 2^31-element array needs 8 GB
    const huge = { length: 2 ** 31 } as unknown as Float32Array;
    const small = new Float32Array(4), C = new Float32Array(4);
    expect(() => gemm(false, false, 2, 2, 1, 1, huge, 0, 1, small, 0, 2, 0, C, 0, 2))
      .toThrow("gemm: operands may hold at most 2^31 - 1 elements each, got A 2147483648, B 4, C 4");
    const P = packMatrix(false, 1, 2, small, 0, 2);
    expect(() => gemmPacked(false, 2, 1, small, 0, 1, P, 0, huge, 0, 2)).toThrow("gemmPacked: operands may hold at most 2^31 - 1 elements each, got A 4, B 2, C 2147483648");
    expect(Array.from(C)).toEqual([0, 0, 0, 0]);
  });
});
