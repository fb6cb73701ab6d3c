/**
 * The one matrix kernel: C = α·op(A)·op(B) + β·C, row-major, float32 storage, float64 accumulation.
 *
 *   op(A) is [M, K]: A is [M, K] (lda ≥ K), or [K, M] when transA (lda ≥ M)
 *   op(B) is [K, N]: B is [K, N] (ldb ≥ N), or [N, K] when transB (ldb ≥ K)
 *   C is [M, N] (ldc ≥ N)
 *
 * Each operand is an (array, offset, leading dimension) triple, so callers hand in a step of a larger buffer without
 * making a subarray. β = 0 overwrites C without reading it (NaN or garbage in C does not leak through); β = 1 adds.
 *
 * Work is cut into 4×4 tiles of C held in 16 local accumulators (the register-blocking that takes scalar JavaScript
 * to its practical ceiling); rows that do not fill a tile go through 1×8 and 1×4 tiles, which are also the batch-1
 * (GEMV) path. With M ≥ 32 rows both operands are first copied into float64 panels (see blockedProduct) and the
 * tiles are 4×8: a float64 load needs no conversion, and that, not the arithmetic, is what bounds a scalar kernel in
 * V8.
 */
export function gemm(
  transA: boolean, transB: boolean,
  M: number, N: number, K: number,
  alpha: number,
  A: Float32Array, aOff: number, lda: number,
  B: Float32Array, bOff: number, ldb: number,
  beta: number,
  C: Float32Array, cOff: number, ldc: number,
): void {
  if (M <= 0 || N <= 0) return;
  if (A.length > MAX_INDEX || B.length > MAX_INDEX || C.length > MAX_INDEX) tooLong("gemm", A.length, B.length, C.length);
  if (beta !== 0 && beta !== 1) {
    for (let i = 0; i < M; i++) {
      const o = cOff + i * ldc;
      for (let j = 0; j < N; j++) C[o + j]! *= beta;
    }
  }
  const acc = beta !== 0;
  if (K <= 0 || alpha === 0) {
    if (!acc) for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
    return;
  }
  // Element strides: op(A)[i, k] = A[aOff + i·ai + k·ak], op(B)[k, j] = B[bOff + k·bk + j·bj].
  const ai = transA ? 1 : lda, ak = transA ? lda : 1;
  const bk = transB ? 1 : ldb, bj = transB ? ldb : 1;
  if (M >= PACK_MIN_ROWS) {
    blockedProduct(M, N, K, alpha, A, aOff, ai, ak, B, bOff, bk, bj, acc, C, cOff, ldc);
    return;
  }
  const M4 = M - (M % 4), N4 = N - (N % 4);

  // Below 32 rows, on the float32 operands: a tile walks k with stride ak through A and bk through B. With a
  // transposed A (weight gradients of small layers, dW = dYᵀ·X) ak is a whole row of A, and with a plain B bk is a
  // whole row of B. Long rows (≥ 1 KB) then cost a new cache line at every k once the operand no longer sits in L2:
  // such an operand is first copied into 4-wide k-major float32 panels, read as one contiguous stream. (Measured when
  // every gemm took this path, for dW_hh = [4096 × 1024]ᵀ·[4096 × 256]: 1.3–1.4 → 2.3–2.9 GFLOP/s; no gain for short
  // rows, or for a 1 MB B, which L2 holds anyway.)
  // Each element of C is still the same float64 sum in the same k order, so packing never changes a result.
  if (M4 > 0 && N4 > 0) {
    const packA = transA && lda >= 256 && N4 >= 16;
    const packB = !transB && ldb >= 256 && M4 >= 16 && K * N4 > 262144;
    tiles(M4, N4, K, alpha,
      packA ? packRows(A, aOff, lda, M4, K) : A, packA ? 0 : aOff, packA ? K : ai, packA ? 1 : ai, packA ? 4 : ak,
      packB ? packCols(B, bOff, ldb, N4, K) : B, packB ? 0 : bOff, packB ? K : bj, packB ? 1 : bj, packB ? 4 : bk,
      acc, C, cOff, ldc);
  }
  if (N4 < N) edge(0, M4, N4, N, K, alpha, A, aOff, ai, ak, B, bOff, bk, bj, acc, C, cOff, ldc);
  if (M4 < M) {
    for (let i = M4; i < M; i++) rowTiles(i, N4, K, alpha, A, aOff, ai, ak, B, bOff, bk, bj, acc, C, cOff, ldc);
    if (N4 < N) edge(M4, M, N4, N, K, alpha, A, aOff, ai, ak, B, bOff, bk, bj, acc, C, cOff, ldc);
  }
}

/**
 * The kernels step their indices with int32 arithmetic, `p = (p + 8) | 0`: V8 then compiles each index without an
 * overflow check (1.1–1.3× on every kernel, measured interleaved). Every index must therefore fit in an int32.
 */
const MAX_INDEX = 0x7fffffff;

function tooLong(where: string, a: number, b: number, c: number): never {
  throw new RangeError(`${where}: operands may hold at most 2^31 - 1 elements each, got A ${a}, B ${b}, C ${c}`);
}

// Panel buffers for packing, grown to the largest call and reused (one thread runs one gemm at a time).
let panelA = new Float32Array(0);
let panelB = new Float32Array(0);

/** panelA[(i/4·K + k)·4 + i%4] = A[off + k·lda + i] for i < M4: the rows of op(A) = Aᵀ in 4-row k-major panels. */
function packRows(A: Float32Array, off: number, lda: number, M4: number, K: number): Float32Array {
  if (panelA.length < M4 * K) panelA = new Float32Array(M4 * K);
  const P = panelA;
  for (let k = 0; k < K; k++) {
    const src = off + k * lda;
    for (let i = 0; i < M4; i++) P[((i >> 2) * K + k) * 4 + (i & 3)] = A[src + i]!;
  }
  return P;
}

/** panelB[(j/4·K + k)·4 + j%4] = B[off + k·ldb + j] for j < N4: the columns of op(B) = B in 4-column k-major panels. */
function packCols(B: Float32Array, off: number, ldb: number, N4: number, K: number): Float32Array {
  if (panelB.length < N4 * K) panelB = new Float32Array(N4 * K);
  const P = panelB;
  for (let k = 0; k < K; k++) {
    const src = off + k * ldb;
    for (let j = 0; j < N4; j++) P[((j >> 2) * K + k) * 4 + (j & 3)] = B[src + j]!;
  }
  return P;
}

/**
 * The 4×4 tiles of C[0, M4) × [0, N4). Row block i of op(A) starts at A[a0 + i·aRow] with rows ai apart and k steps
 * of ak; column block j of op(B) starts at B[b0 + j·bCol] with columns bj apart and k steps of bk.
 */
function tiles(
  M4: number, N4: number, K: number, alpha: number,
  A: Float32Array, a0: number, aRow: number, ai: number, ak: number,
  B: Float32Array, b0: number, bCol: number, bj: number, bk: number,
  acc: boolean, C: Float32Array, cOff: number, ldc: number,
): void {
  const ai2 = 2 * ai, ai3 = 3 * ai, bj2 = 2 * bj, bj3 = 3 * bj;
  for (let i = 0; i < M4; i += 4) {
    const aBase = a0 + i * aRow;
    for (let j = 0; j < N4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pa = aBase, pb = b0 + j * bCol;
      for (let k = 0; k < K; k = (k + 1) | 0, pa = (pa + ak) | 0, pb = (pb + bk) | 0) {
        const x0 = A[pa]!, x1 = A[(pa + ai) | 0]!, x2 = A[(pa + ai2) | 0]!, x3 = A[(pa + ai3) | 0]!;
        const y0 = B[pb]!, y1 = B[(pb + bj) | 0]!, y2 = B[(pb + bj2) | 0]!, y3 = B[(pb + bj3) | 0]!;
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      let o = cOff + i * ldc + j;
      if (acc) {
        C[o] = C[o]! + alpha * c00; C[o + 1] = C[o + 1]! + alpha * c01; C[o + 2] = C[o + 2]! + alpha * c02; C[o + 3] = C[o + 3]! + alpha * c03; o += ldc;
        C[o] = C[o]! + alpha * c10; C[o + 1] = C[o + 1]! + alpha * c11; C[o + 2] = C[o + 2]! + alpha * c12; C[o + 3] = C[o + 3]! + alpha * c13; o += ldc;
        C[o] = C[o]! + alpha * c20; C[o + 1] = C[o + 1]! + alpha * c21; C[o + 2] = C[o + 2]! + alpha * c22; C[o + 3] = C[o + 3]! + alpha * c23; o += ldc;
        C[o] = C[o]! + alpha * c30; C[o + 1] = C[o + 1]! + alpha * c31; C[o + 2] = C[o + 2]! + alpha * c32; C[o + 3] = C[o + 3]! + alpha * c33;
      } else {
        C[o] = alpha * c00; C[o + 1] = alpha * c01; C[o + 2] = alpha * c02; C[o + 3] = alpha * c03; o += ldc;
        C[o] = alpha * c10; C[o + 1] = alpha * c11; C[o + 2] = alpha * c12; C[o + 3] = alpha * c13; o += ldc;
        C[o] = alpha * c20; C[o + 1] = alpha * c21; C[o + 2] = alpha * c22; C[o + 3] = alpha * c23; o += ldc;
        C[o] = alpha * c30; C[o + 1] = alpha * c31; C[o + 2] = alpha * c32; C[o + 3] = alpha * c33;
      }
    }
  }
}

/**
 * One row of C in 1×8 tiles, then 1×4: eight (four) dot products at once, so each element of op(A)'s row is loaded
 * once per eight multiply-adds. This is the batch-1 path (GEMV), and the rows left under a 4×4 tile.
 */
function rowTiles(
  i: number, N4: number, K: number, alpha: number,
  A: Float32Array, aOff: number, ai: number, ak: number,
  B: Float32Array, bOff: number, bk: number, bj: number,
  acc: boolean, C: Float32Array, cOff: number, ldc: number,
): void {
  const a0 = aOff + i * ai;
  const N8 = N4 - (N4 % 8);
  const bj2 = 2 * bj, bj3 = 3 * bj, bj4 = 4 * bj, bj5 = 5 * bj, bj6 = 6 * bj, bj7 = 7 * bj;
  for (let j = 0; j < N8; j += 8) {
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
    let pa = a0, pb = bOff + j * bj;
    for (let k = 0; k < K; k = (k + 1) | 0, pa = (pa + ak) | 0, pb = (pb + bk) | 0) {
      const x = A[pa]!;
      c0 += x * B[pb]!; c1 += x * B[(pb + bj) | 0]!; c2 += x * B[(pb + bj2) | 0]!; c3 += x * B[(pb + bj3) | 0]!;
      c4 += x * B[(pb + bj4) | 0]!; c5 += x * B[(pb + bj5) | 0]!; c6 += x * B[(pb + bj6) | 0]!; c7 += x * B[(pb + bj7) | 0]!;
    }
    const o = cOff + i * ldc + j;
    if (acc) {
      C[o] = C[o]! + alpha * c0; C[o + 1] = C[o + 1]! + alpha * c1; C[o + 2] = C[o + 2]! + alpha * c2; C[o + 3] = C[o + 3]! + alpha * c3;
      C[o + 4] = C[o + 4]! + alpha * c4; C[o + 5] = C[o + 5]! + alpha * c5; C[o + 6] = C[o + 6]! + alpha * c6; C[o + 7] = C[o + 7]! + alpha * c7;
    } else {
      C[o] = alpha * c0; C[o + 1] = alpha * c1; C[o + 2] = alpha * c2; C[o + 3] = alpha * c3;
      C[o + 4] = alpha * c4; C[o + 5] = alpha * c5; C[o + 6] = alpha * c6; C[o + 7] = alpha * c7;
    }
  }
  for (let j = N8; j < N4; j += 4) {
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    let pa = a0, pb = bOff + j * bj;
    for (let k = 0; k < K; k = (k + 1) | 0, pa = (pa + ak) | 0, pb = (pb + bk) | 0) {
      const x = A[pa]!;
      c0 += x * B[pb]!; c1 += x * B[(pb + bj) | 0]!; c2 += x * B[(pb + bj2) | 0]!; c3 += x * B[(pb + bj3) | 0]!;
    }
    const o = cOff + i * ldc + j;
    if (acc) {
      C[o] = C[o]! + alpha * c0; C[o + 1] = C[o + 1]! + alpha * c1; C[o + 2] = C[o + 2]! + alpha * c2; C[o + 3] = C[o + 3]! + alpha * c3;
    } else {
      C[o] = alpha * c0; C[o + 1] = alpha * c1; C[o + 2] = alpha * c2; C[o + 3] = alpha * c3;
    }
  }
}

/** The columns [j0, j1) of rows [i0, i1), one element at a time. */
function edge(
  i0: number, i1: number, j0: number, j1: number, K: number, alpha: number,
  A: Float32Array, aOff: number, ai: number, ak: number,
  B: Float32Array, bOff: number, bk: number, bj: number,
  acc: boolean, C: Float32Array, cOff: number, ldc: number,
): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) {
      let s = 0;
      let pa = aOff + i * ai, pb = bOff + j * bj;
      for (let k = 0; k < K; k++, pa += ak, pb += bk) s += A[pa]! * B[pb]!;
      const o = cOff + i * ldc + j;
      C[o] = acc ? C[o]! + alpha * s : alpha * s;
    }
  }
}

// ---- float64 panels ---------------------------------------------------------------------------------------------
//
// V8 turns every Float32Array load into a load and a float32→float64 conversion, plus index and bounds arithmetic;
// in a 4×4 tile that overhead, not the 32 floating-point operations per k, bounds the speed. Operands copied once
// into float64 panels (k-major, 4 rows of op(A) or 8 columns of op(B) side by side, so a tile reads each operand as
// one stream with constant offsets) are read without conversion. Measured by timing interleaved with the float32
// kernels on this project's 2-vCPU machine: 1.07–1.25× for gemm from 64 rows, copies included; in the benchmark
// workloads, where gemmPacked multiplies by W_hh packed once per pass, 1.2–1.3× on W4 and 1.2–1.6× on batch-1
// generation (W3). The copies are exact and each element of C is the same float64 sum in the same k order, so
// results are bit for bit those of the float32 kernels.
//
// In V8 (Node, Chromium) the panels are plain arrays of numbers, not Float64Arrays. V8 keeps such an array's elements
// as unboxed doubles (PACKED_DOUBLE_ELEMENTS) and loads one with an int32 compare and one instruction addressing
// [elements + 8·i + c]; a Float64Array load also adds its base and external pointers and sign-extends the index,
// every time (read in `node --print-opt-code`: 4 instructions per load against 6). Measured interleaved, whole
// benchmark runs: batch-1 generation (W3) 1.25×, the 256³ and 512³ products 1.1–1.3×, W1 training 1.07–1.2×; in
// Chromium 156 the batch-1 kernel alone 1.5×. Other engines keep Float64Arrays: in Firefox 153 (SpiderMonkey) plain
// arrays ran the batch-1 kernel 1.14× and the 4×8 tile 1.7× slower. Results are the same bits either way.
// Every kernel below must only ever see arrays made by doubles(): an array of another kind (small integers, holes,
// or both arrays and Float64Arrays in one process) would send V8 to slower, polymorphic code.

/**
 * Whether this engine is V8, told by its stack-trace format ("    at f (file:1:2)"; SpiderMonkey and JavaScriptCore
 * write "f@file:1:2"). Stack traces switched off (Error.stackTraceLimit = 0) only make V8 take the Float64Arrays.
 */
const PLAIN_PANELS = /^\s+at /m.test(new Error().stack ?? "");

/** float64 panels: see doubles(). */
type Doubles = number[] | Float64Array;

/**
 * n zeros: in V8 a plain array of kind PACKED_DOUBLE_ELEMENTS (grown from a literal double by doubling, so never
 * holey and never small integers), elsewhere a Float64Array.
 */
function doubles(n: number): Doubles {
  if (!PLAIN_PANELS) return new Float64Array(n);
  let a = [0.5];
  while (a.length < n) a = a.concat(a);
  a.length = n;
  return a.fill(0);
}

/** doubles(n), or null where the engine cannot make an array that long (an engine whose arrays hold fewer elements). */
function tryDoubles(n: number): Doubles | null {
  try {
    return doubles(n);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/**
 * gemm packs both operands itself from this many rows of C. Measured interleaved, panels against the float32 tiles
 * (copies included): M = 32: 1.0–1.2×, M = 24: 0.83–1.08×, M = 16: 0.80–0.93×, M = 8: 0.66–0.82×: below 32 rows the
 * copy of op(B) costs more than the faster loads save.
 */
const PACK_MIN_ROWS = 32;
/** Panel budgets in elements: a block of op(B) (K × NC) and of op(A) (MC × K), each ≤ 1 MiB, stay in L2. */
const B_BLOCK = 131072;
const A_BLOCK = 131072;
/** Sums over more than KC products are cut into k-blocks of KC (see kBlockedProduct). */
const KC = 512;

/**
 * At most this many elements (with the padding) are packed: 2^26 doubles, 512 MB, half of the longest array V8 makes.
 * A larger op(B) (a word-level head of 100,000 × 1,024, say) is multiplied in place by gemm, which packs it in blocks.
 */
const PACK_MAX = 1 << 26;

/**
 * op(B) [K, N] as float64 8-column k-major panels, zero-padded to whole panels: what gemmPacked multiplies by. Make
 * one with packMatrix (a hand-built `data` of another array kind still multiplies correctly, but slows every kernel).
 */
export interface PackedMatrix {
  K: number;
  N: number;
  /**
   * data[(j/8·K + k)·8 + j%8] = op(B)[k, j] (0 for j ≥ N), then at least K slots that a batch-1 product uses as
   * scratch. In V8 a plain array of numbers, which V8 keeps as unboxed doubles and reads with less index arithmetic
   * than a Float64Array; in other engines a Float64Array. Empty when op(B) is too large to pack (over 2^26
   * elements): gemmPacked then reads `source`.
   */
  data: number[] | Float64Array;
  /** op(B) itself, read in place by gemmPacked when it was too large to pack (then later changes to B are seen); else null. */
  source: { readonly B: Float32Array; readonly off: number; readonly ld: number; readonly transB: boolean } | null;
}

/**
 * Packs op(B) ([K, N]: B is [K, N] with leading dimension ldb, or [N, K] when transB) for gemmPacked, into `into`
 * if given (its buffer is reused when big enough: pass the previous result to allocate nothing).
 */
export function packMatrix(transB: boolean, K: number, N: number, B: Float32Array, bOff: number, ldb: number, into: PackedMatrix | null = null): PackedMatrix {
  const n = ((N + 7) & ~7) * K + K;   // the panels, then room for a row of op(A) (see row64)
  const P = into ?? { K, N, data: doubles(0), source: null };
  P.K = K;
  P.N = N;
  P.source = null;
  if (P.data.length < n) {
    const data = n <= PACK_MAX ? tryDoubles(n) : null;
    if (data === null) {   // too large to pack: gemmPacked multiplies B in place
      P.data = doubles(0);
      P.source = { B, off: bOff, ld: ldb, transB };
      return P;
    }
    P.data = data;
  }
  packCols64(P.data, 0, K, N, B, bOff, transB ? 1 : ldb, transB ? ldb : 1);
  return P;
}

/**
 * C = α·op(A)·P + β·C for a packed P = op(B) [K, N] (see packMatrix), β 0 or 1: the per-step products of a recurrent
 * layer, whose weight matrix is packed once per pass and multiplied T times. Same operand conventions as gemm, and
 * bit for bit gemm's result.
 */
export function gemmPacked(
  transA: boolean, M: number, alpha: number,
  A: Float32Array, aOff: number, lda: number,
  P: PackedMatrix, beta: 0 | 1,
  C: Float32Array, cOff: number, ldc: number,
): void {
  const { K, N } = P;
  if (M <= 0 || N <= 0) return;
  const src = P.source;
  if (src !== null) {
    gemm(transA, src.transB, M, N, K, alpha, A, aOff, lda, src.B, src.off, src.ld, beta, C, cOff, ldc);
    return;
  }
  if (A.length > MAX_INDEX || C.length > MAX_INDEX) tooLong("gemmPacked", A.length, K * N, C.length);   // (P.data holds at most PACK_MAX)
  const acc = beta === 1;
  if (K <= 0 || alpha === 0) {
    if (!acc) for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
    return;
  }
  packedRows(M, N, K, alpha, A, aOff, transA ? 1 : lda, transA ? lda : 1, P.data, 0, N, acc, C, cOff, ldc);
}

let panelA64 = doubles(0);
let panelB64 = doubles(0);

/** The product through float64 panels, blocked so each panel stays in L2: NC columns of op(B) at a time, MC rows of op(A). */
function blockedProduct(
  M: number, N: number, K: number, alpha: number,
  A: Float32Array, aOff: number, ai: number, ak: number,
  B: Float32Array, bOff: number, bk: number, bj: number,
  acc: boolean, C: Float32Array, cOff: number, ldc: number,
): void {
  if (K > KC) {
    kBlockedProduct(M, N, K, alpha, A, aOff, ai, ak, B, bOff, bk, bj, acc, C, cOff, ldc);
    return;
  }
  const NC = Math.max(8, Math.min((N + 7) & ~7, Math.floor(B_BLOCK / K) & ~7));
  if (panelB64.length < NC * K + K) panelB64 = doubles(NC * K + K);
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nb = Math.min(NC, N - j0);
    packCols64(panelB64, 0, K, nb, B, bOff + j0 * bj, bk, bj);
    packedRows(M, nb, K, alpha, A, aOff, ai, ak, panelB64, 0, nb, acc, C, cOff + j0, ldc);
  }
}

/**
 * Sums longer than KC (the weight gradients, whose k runs over all T·B steps) are cut into blocks of KC: a block of
 * MC rows × NC columns of C keeps its float64 sums in S while the k-blocks pass, each with its own panels of op(A)
 * (4 × KC: 16 KB, in L1) and op(B) (KC × NC, in L2). Each sum still runs over k in order from 0, so results are bit for
 * bit those of one pass. Measured on dW_hh of W4 ([256 × 4096]ᵀ · [4096 × 1024]), interleaved: 1.2× over whole-K
 * panels, whose NC shrinks to 32 columns at K = 4096 so that op(A) was packed again for every 32 columns.
 */
function kBlockedProduct(
  M: number, N: number, K: number, alpha: number,
  A: Float32Array, aOff: number, ai: number, ak: number,
  B: Float32Array, bOff: number, bk: number, bj: number,
  acc: boolean, C: Float32Array, cOff: number, ldc: number,
): void {
  const NC = Math.max(8, Math.min((N + 7) & ~7, Math.floor(B_BLOCK / KC) & ~7));
  const MC = Math.max(4, Math.min((M + 3) & ~3, Math.floor(A_BLOCK / KC) & ~3));
  if (panelB64.length < NC * KC + KC) panelB64 = doubles(NC * KC + KC);
  if (panelA64.length < MC * KC) panelA64 = doubles(MC * KC);
  if (sums.length < MC * NC) sums = doubles(MC * NC);
  const Ap = panelA64, Bp = panelB64, S = sums, xo = Bp.length - KC;
  for (let i0 = 0; i0 < M; i0 += MC) {
    const mb = Math.min(MC, M - i0), m4 = mb & ~3;
    for (let j0 = 0; j0 < N; j0 += NC) {
      const nb = Math.min(NC, N - j0), W = (nb + 7) & ~7;
      S.fill(0, 0, mb * W);
      for (let k0 = 0; k0 < K; k0 += KC) {
        const kc = Math.min(KC, K - k0);
        packCols64(Bp, 0, kc, nb, B, bOff + k0 * bk + j0 * bj, bk, bj);
        packRows64(Ap, kc, m4, A, aOff + i0 * ai + k0 * ak, ai, ak);
        for (let i = 0; i < m4; i += 4) tileRow64(kc, nb, Ap, (i >> 2) * kc * 4, Bp, 0, S, i * W, W);
        for (let i = m4; i < mb; i++) {
          const src = aOff + (i0 + i) * ai + k0 * ak;
          for (let k = 0; k < kc; k++) Bp[xo + k] = A[src + k * ak]!;
          row64(kc, nb, Bp, xo, 0, S, i * W);
        }
      }
      finish(S, W, mb, nb, alpha, acc, C, cOff + i0 * ldc + j0, ldc);
    }
  }
}

/** Ap[(i/4·K + k)·4 + i%4] = op(A)[i, k] for i < M4 (a multiple of 4), k < K, with op(A)[i, k] = A[off + i·ai + k·ak]. */
function packRows64(Ap: Doubles, K: number, M4: number, A: Float32Array, off: number, ai: number, ak: number): void {
  if (ak === 1) {
    for (let i = 0; i < M4; i++) {
      const src = off + i * ai, base = (i >> 2) * K * 4 + (i & 3);
      for (let k = 0; k < K; k++) Ap[base + 4 * k] = A[src + k]!;
    }
  } else {
    for (let k = 0; k < K; k++) {
      const src = off + k * ak;
      for (let i = 0; i < M4; i++) Ap[((i >> 2) * K + k) * 4 + (i & 3)] = A[src + i * ai]!;
    }
  }
}

/** panel[(j/8·K + k)·8 + j%8] = op(B)[k, j] for j < N (op(B)[k, j] = B[off + k·bk + j·bj]), zeros up to whole panels. */
function packCols64(P: Doubles, p0: number, K: number, N: number, B: Float32Array, off: number, bk: number, bj: number): void {
  const N8 = (N + 7) & ~7;
  if (bj === 1) {
    for (let k = 0; k < K; k++) {
      const src = off + k * bk;
      for (let j = 0; j < N; j++) P[p0 + ((j >> 3) * K + k) * 8 + (j & 7)] = B[src + j]!;
    }
  } else {
    for (let j = 0; j < N; j++) {
      const src = off + j * bj, base = p0 + (j >> 3) * K * 8 + (j & 7);
      for (let k = 0; k < K; k++) P[base + 8 * k] = B[src + k * bk]!;
    }
  }
  for (let j = N; j < N8; j++) {
    const base = p0 + (j >> 3) * K * 8 + (j & 7);
    for (let k = 0; k < K; k++) P[base + 8 * k] = 0;
  }
}

/**
 * C[0..M) × [0..N) (+)= α·op(A)·op(B) with op(B) in panels at Bp[b0…]: op(A) is packed MC rows at a time into 4-row
 * float64 panels (the last rows, under a whole panel, one at a time), then multiplied tile by tile.
 */
function packedRows(
  M: number, N: number, K: number, alpha: number,
  A: Float32Array, aOff: number, ai: number, ak: number,
  Bp: Doubles, b0: number, nValid: number,
  acc: boolean, C: Float32Array, cOff: number, ldc: number,
): void {
  const M4 = M & ~3;
  const MC = Math.max(4, Math.min(M4, Math.floor(A_BLOCK / K) & ~3));
  if (panelA64.length < MC * K) panelA64 = doubles(MC * K);
  const W = (N + 7) & ~7;
  if (sums.length < 4 * W) sums = doubles(4 * W);
  const Ap = panelA64, S = sums;
  for (let i0 = 0; i0 < M4; i0 += MC) {
    const mb = Math.min(MC, M4 - i0);
    packRows64(Ap, K, mb, A, aOff + i0 * ai, ai, ak);
    for (let i = 0; i < mb; i += 4) {
      S.fill(0, 0, 4 * W);
      tileRow64(K, N, Ap, (i >> 2) * K * 4, Bp, b0, S, 0, W);
      finish(S, W, 4, nValid, alpha, acc, C, cOff + (i0 + i) * ldc, ldc);
    }
  }
  for (let i = M4; i < M; i++) oneRow(K, N, A, aOff + i * ai, ak, Bp, b0, nValid, alpha, acc, C, cOff + i * ldc);
}

/**
 * One row of C from row i of op(A) (A[a0 + k·ak]), copied into the last K slots of Bp's array, which every panel
 * array keeps free for it (see row64); a function of its own so the k loop is compiled with few live values.
 */
function oneRow(K: number, N: number, A: Float32Array, a0: number, ak: number, Bp: Doubles, b0: number, nValid: number, alpha: number, acc: boolean, C: Float32Array, o: number): void {
  const S = sums, xo = Bp.length - K;
  for (let k = 0; k < K; k++) Bp[xo + k] = A[a0 + k * ak]!;
  S.fill(0, 0, (N + 7) & ~7);
  row64(K, N, Bp, xo, b0, S, 0);
  finish(S, (N + 7) & ~7, 1, nValid, alpha, acc, C, o, 0);
}

// The kernels below add raw float64 sums to the ones in S and return (S starts at zero; the k-blocked product carries
// its sums there from one k-block to the next); α, β and the edge columns are applied by finish(), so the k loops
// compile with as few live values as possible.
let sums = doubles(0);

/**
 * One row of 4×8 tiles: the 4 rows of the A panel at Ap[a0…] times every 8-column B panel; S[s0 + r·W + j] += the sums.
 * (4×8 rather than 4×4: 12 loads per 32 multiply-adds instead of 8 per 16; 1.03–1.06× measured.)
 */
function tileRow64(K: number, N: number, Ap: Doubles, a0: number, Bp: Doubles, b0: number, S: Doubles, s0: number, W: number): void {
  for (let j = 0; j < N; j += 8) {
    let o = s0 + j;   // row r of the tile's sums at o + r·W (recomputed after the k loop: fewer values live across it)
    let s1 = o, s2 = o + W, s3 = s2 + W, s4 = s3 + W;
    let c00 = S[s1]!, c01 = S[s1 + 1]!, c02 = S[s1 + 2]!, c03 = S[s1 + 3]!, c04 = S[s1 + 4]!, c05 = S[s1 + 5]!, c06 = S[s1 + 6]!, c07 = S[s1 + 7]!;
    let c10 = S[s2]!, c11 = S[s2 + 1]!, c12 = S[s2 + 2]!, c13 = S[s2 + 3]!, c14 = S[s2 + 4]!, c15 = S[s2 + 5]!, c16 = S[s2 + 6]!, c17 = S[s2 + 7]!;
    let c20 = S[s3]!, c21 = S[s3 + 1]!, c22 = S[s3 + 2]!, c23 = S[s3 + 3]!, c24 = S[s3 + 4]!, c25 = S[s3 + 5]!, c26 = S[s3 + 6]!, c27 = S[s3 + 7]!;
    let c30 = S[s4]!, c31 = S[s4 + 1]!, c32 = S[s4 + 2]!, c33 = S[s4 + 3]!, c34 = S[s4 + 4]!, c35 = S[s4 + 5]!, c36 = S[s4 + 6]!, c37 = S[s4 + 7]!;
    let pa = a0, pb = b0 + (j >> 3) * K * 8;
    for (let k = 0; k < K; k = (k + 1) | 0, pa = (pa + 4) | 0, pb = (pb + 8) | 0) {
      const x0 = Ap[pa]!, x1 = Ap[(pa + 1) | 0]!, x2 = Ap[(pa + 2) | 0]!, x3 = Ap[(pa + 3) | 0]!;
      let y = Bp[pb]!; c00 += x0 * y; c10 += x1 * y; c20 += x2 * y; c30 += x3 * y;
      y = Bp[(pb + 1) | 0]!; c01 += x0 * y; c11 += x1 * y; c21 += x2 * y; c31 += x3 * y;
      y = Bp[(pb + 2) | 0]!; c02 += x0 * y; c12 += x1 * y; c22 += x2 * y; c32 += x3 * y;
      y = Bp[(pb + 3) | 0]!; c03 += x0 * y; c13 += x1 * y; c23 += x2 * y; c33 += x3 * y;
      y = Bp[(pb + 4) | 0]!; c04 += x0 * y; c14 += x1 * y; c24 += x2 * y; c34 += x3 * y;
      y = Bp[(pb + 5) | 0]!; c05 += x0 * y; c15 += x1 * y; c25 += x2 * y; c35 += x3 * y;
      y = Bp[(pb + 6) | 0]!; c06 += x0 * y; c16 += x1 * y; c26 += x2 * y; c36 += x3 * y;
      y = Bp[(pb + 7) | 0]!; c07 += x0 * y; c17 += x1 * y; c27 += x2 * y; c37 += x3 * y;
    }
    o = s0 + j;
    s1 = o; s2 = o + W; s3 = s2 + W; s4 = s3 + W;
    S[s1] = c00; S[s1 + 1] = c01; S[s1 + 2] = c02; S[s1 + 3] = c03; S[s1 + 4] = c04; S[s1 + 5] = c05; S[s1 + 6] = c06; S[s1 + 7] = c07;
    S[s2] = c10; S[s2 + 1] = c11; S[s2 + 2] = c12; S[s2 + 3] = c13; S[s2 + 4] = c14; S[s2 + 5] = c15; S[s2 + 6] = c16; S[s2 + 7] = c17;
    S[s3] = c20; S[s3 + 1] = c21; S[s3 + 2] = c22; S[s3 + 3] = c23; S[s3 + 4] = c24; S[s3 + 5] = c25; S[s3 + 6] = c26; S[s3 + 7] = c27;
    S[s4] = c30; S[s4 + 1] = c31; S[s4 + 2] = c32; S[s4 + 3] = c33; S[s4 + 4] = c34; S[s4 + 5] = c35; S[s4 + 6] = c36; S[s4 + 7] = c37;
  }
}

/**
 * One row: x (K float64 values at Bp[xo…], in the same array as the panels) times every 8-column panel, 1×8 tiles
 * reading one stream with constant offsets; S[s0 + j] += the sums. With x in the panels' own array the k loop
 * checks the map and length of one array instead of two: 1.05–1.1× on the 256 × 1024 product of batch-1 generation.
 */
function row64(K: number, N: number, Bp: Doubles, xo: number, b0: number, S: Doubles, s0: number): void {
  const end = (xo + K) | 0;
  for (let j = 0; j < N; j += 8) {
    const o = s0 + j;
    let c0 = S[o]!, c1 = S[o + 1]!, c2 = S[o + 2]!, c3 = S[o + 3]!, c4 = S[o + 4]!, c5 = S[o + 5]!, c6 = S[o + 6]!, c7 = S[o + 7]!;
    let p = b0 + (j >> 3) * K * 8;
    for (let q = xo; q < end; q = (q + 1) | 0, p = (p + 8) | 0) {
      const v = Bp[q]!;
      c0 += v * Bp[p]!; c1 += v * Bp[(p + 1) | 0]!; c2 += v * Bp[(p + 2) | 0]!; c3 += v * Bp[(p + 3) | 0]!;
      c4 += v * Bp[(p + 4) | 0]!; c5 += v * Bp[(p + 5) | 0]!; c6 += v * Bp[(p + 6) | 0]!; c7 += v * Bp[(p + 7) | 0]!;
    }
    S[o] = c0; S[o + 1] = c1; S[o + 2] = c2; S[o + 3] = c3; S[o + 4] = c4; S[o + 5] = c5; S[o + 6] = c6; S[o + 7] = c7;
  }
}

/** C rows (+)= α·S: `rows` rows of the first n columns, row r of the sums at S[r·W …]. */
function finish(S: Doubles, W: number, rows: number, n: number, alpha: number, acc: boolean, C: Float32Array, o: number, ldc: number): void {
  for (let r = 0; r < rows; r++, o += ldc) {
    const s0 = r * W;
    if (acc) for (let j = 0; j < n; j++) C[o + j] = C[o + j]! + alpha * S[s0 + j]!;
    else for (let j = 0; j < n; j++) C[o + j] = alpha * S[s0 + j]!;
  }
}
