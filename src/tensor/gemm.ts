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
 * (GEMV) path.
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
  const M4 = M - (M % 4), N4 = N - (N % 4);

  // A tile walks k with stride ak through A and bk through B. With a transposed A (the weight gradients,
  // dW = dYᵀ·X) ak is a whole row of A, and with a plain B bk is a whole row of B. Long rows (≥ 1 KB) then cost a new
  // cache line at every k, which matters once the operand no longer sits in L2: such an operand is first copied into
  // 4-wide k-major panels, read as one contiguous stream. Measured (CPU time) for dW_hh = [4096 × 1024]ᵀ·[4096 × 256]:
  // 1.3–1.4 → 2.3–2.9 GFLOP/s; no gain for short rows, or for a 1 MB B (the per-step W_hh), which L2 holds anyway.
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
  for (let i = 0; i < M4; i += 4) {
    const aBase = a0 + i * aRow;
    for (let j = 0; j < N4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pa = aBase, pb = b0 + j * bCol;
      for (let k = 0; k < K; k++, pa += ak, pb += bk) {
        const x0 = A[pa]!, x1 = A[pa + ai]!, x2 = A[pa + 2 * ai]!, x3 = A[pa + 3 * ai]!;
        const y0 = B[pb]!, y1 = B[pb + bj]!, y2 = B[pb + 2 * bj]!, y3 = B[pb + 3 * bj]!;
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
  for (let j = 0; j < N8; j += 8) {
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
    let pa = a0, pb = bOff + j * bj;
    for (let k = 0; k < K; k++, pa += ak, pb += bk) {
      const x = A[pa]!;
      c0 += x * B[pb]!; c1 += x * B[pb + bj]!; c2 += x * B[pb + 2 * bj]!; c3 += x * B[pb + 3 * bj]!;
      c4 += x * B[pb + 4 * bj]!; c5 += x * B[pb + 5 * bj]!; c6 += x * B[pb + 6 * bj]!; c7 += x * B[pb + 7 * bj]!;
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
    for (let k = 0; k < K; k++, pa += ak, pb += bk) {
      const x = A[pa]!;
      c0 += x * B[pb]!; c1 += x * B[pb + bj]!; c2 += x * B[pb + 2 * bj]!; c3 += x * B[pb + 3 * bj]!;
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
