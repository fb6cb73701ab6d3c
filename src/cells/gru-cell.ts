import type { Cell, Tape, TapeGrad } from "./cell.js";

/**
 * PyTorch's GRU, gate rows r, z, n:
 *   r = σ(W_ir·x + b_ir + W_hr·h + b_hr),  z = σ(W_iz·x + b_iz + W_hz·h + b_hz)
 *   n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn)),  h' = (1 − z)⊙n + z⊙h
 * acts per row: [r | z | n | W_hn·h + b_hn], each H wide.
 */
export class GruCell implements Cell {
  readonly gates = 3;
  readonly actsPerUnit = 4;
  readonly hasCellState = false;
  readonly splitsRecurrent = true;

  step(tape: Tape, s: number, rows: number): void {
    const { B, H, xp, hp, h, acts } = tape;
    const G = 3 * H, A = 4 * H;
    for (let b = 0; b < rows; b++) {
      const xo = (s * B + b) * G, ho = b * G, ao = (s * B + b) * A;
      const po = (s * B + b) * H, no = ((s + 1) * B + b) * H;
      for (let j = 0; j < H; j++) {
        const r = 1 / (1 + Math.exp(-(xp[xo + j]! + hp[ho + j]!)));
        const z = 1 / (1 + Math.exp(-(xp[xo + H + j]! + hp[ho + H + j]!)));
        const hn = hp[ho + 2 * H + j]!;
        const n = Math.tanh(xp[xo + 2 * H + j]! + r * hn);
        acts[ao + j] = r;
        acts[ao + H + j] = z;
        acts[ao + 2 * H + j] = n;
        acts[ao + 3 * H + j] = hn;
        h[no + j] = (1 - z) * n + z * h[po + j]!;
      }
    }
  }

  backwardStep(tape: Tape, grad: TapeGrad, s: number, rows: number): void {
    // h' = (1 − z)⊙n + z⊙h  ⇒  dn = dh'⊙(1 − z), dz = dh'⊙(h − n), dh = dh'⊙z (direct path)
    // n = tanh(a_n + r⊙hn)   ⇒  da_n = dn⊙(1 − n²) (input path), d(hn) = da_n⊙r (recurrent path), dr = da_n⊙hn
    const { B, H, h, acts } = tape;
    const { dh, dhPrev, dxp, dhp } = grad;
    const G = 3 * H, A = 4 * H;
    for (let b = 0; b < rows; b++) {
      const go = (s * B + b) * G, ao = (s * B + b) * A, po = (s * B + b) * H, ro = b * H;
      for (let j = 0; j < H; j++) {
        const r = acts[ao + j]!, z = acts[ao + H + j]!, n = acts[ao + 2 * H + j]!, hn = acts[ao + 3 * H + j]!;
        const dhj = dh[ro + j]!;
        const dan = dhj * (1 - z) * (1 - n * n);
        const dar = dan * hn * r * (1 - r);
        const daz = dhj * (h[po + j]! - n) * z * (1 - z);
        dxp[go + j] = dar;
        dxp[go + H + j] = daz;
        dxp[go + 2 * H + j] = dan;
        dhp[go + j] = dar;
        dhp[go + H + j] = daz;
        dhp[go + 2 * H + j] = dan * r;
        dhPrev[ro + j] = dhj * z;
      }
    }
  }
}
