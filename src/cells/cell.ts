/**
 * A cell knows one time step of one layer and direction, elementwise only: the runner (layers/recurrent.ts) has
 * already done the matrix products, so a cell reads pre-activations and writes states and gate values.
 *
 * Rows are batch rows sorted by sequence length (longest first), so the rows still running at step s are the
 * prefix [0, rows); the runner passes `rows` and the cell touches nothing beyond it.
 */

/** What backward needs for one layer and one direction; sized for the largest (T, B) seen, reused across calls. */
export interface Tape {
  T: number;
  B: number;               // row stride of every [·, B, ·] buffer
  readonly H: number;
  xp: Float32Array;        // [T, B, G*H]  W_ih·x + b_ih for every step, computed in one GEMM before the loop
  hp: Float32Array;        // [B, G*H]     W_hh·h[s] + b_hh for the current step (scratch)
  h: Float32Array;         // [T+1, B, H]  h[0] is the initial state; step s writes h[s+1]
  c: Float32Array;         // [T+1, B, H]  LSTM only (empty otherwise)
  acts: Float32Array;      // [T, B, actsWidth] gate values after their activation
}

/** Gradient buffers the backward steps read and write. */
export interface TapeGrad {
  dh: Float32Array;        // [B, H]  in: dL/dh[s+1] by every path
  dhPrev: Float32Array;    // [B, H]  out: the part of dL/dh[s] that does not go through W_hh (the runner adds that)
  dc: Float32Array;        // [B, H]  in: dL/dc[s+1]; out: dL/dc[s]  (LSTM only)
  dxp: Float32Array;       // [T, B, G*H]  out at step s: dL/d(pre-activation) along the input path
  dhp: Float32Array;       // [T, B, G*H]  out at step s: along the recurrent path; the same array as dxp unless splitsRecurrent
}

export interface Cell {
  /** Gate rows G: weight_ih is [G*H, I]. RNN 1, LSTM 4 (i,f,g,o), GRU 3 (r,z,n). */
  readonly gates: number;
  /** Values per (step, row) on the tape's acts, as a multiple of H. */
  readonly actsPerUnit: number;
  readonly hasCellState: boolean;
  /** True when dL/d(W_hh·h + b_hh) differs from dL/d(W_ih·x + b_ih) (GRU's n gate). */
  readonly splitsRecurrent: boolean;
  /** Reads xp[s], hp, h[s] (and c[s]); writes h[s+1] (and c[s+1]) and acts[s], for rows [0, rows). */
  step(tape: Tape, s: number, rows: number): void;
  /** Reads dh (and dc); writes dxp[s], dhp[s], dhPrev (and dc), for rows [0, rows). */
  backwardStep(tape: Tape, grad: TapeGrad, s: number, rows: number): void;
}
