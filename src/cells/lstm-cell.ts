import type { Cell, Tape, TapeGrad } from "./cell.js";

/**
 * PyTorch's LSTM, gate rows i, f, g, o:
 *   i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)   with a = W_ih·x + b_ih + W_hh·h + b_hh
 *   c' = f⊙c + i⊙g,  h' = o⊙tanh(c')
 * acts per row: [i | f | g | o | tanh(c')], each H wide.
 */
export class LstmCell implements Cell {
  readonly gates = 4;
  readonly actsPerUnit = 5;
  readonly hasCellState = true;
  readonly splitsRecurrent = false;

  step(tape: Tape, s: number, rows: number): void {
    const { B, H, xp, hp, h, c, acts } = tape;
    const G = 4 * H, A = 5 * H;
    for (let b = 0; b < rows; b++) {
      const xo = (s * B + b) * G, ho = b * G, ao = (s * B + b) * A;
      const po = (s * B + b) * H, no = ((s + 1) * B + b) * H;
      for (let j = 0; j < H; j++) {
        const i = 1 / (1 + Math.exp(-(xp[xo + j]! + hp[ho + j]!)));
        const f = 1 / (1 + Math.exp(-(xp[xo + H + j]! + hp[ho + H + j]!)));
        const g = Math.tanh(xp[xo + 2 * H + j]! + hp[ho + 2 * H + j]!);
        const o = 1 / (1 + Math.exp(-(xp[xo + 3 * H + j]! + hp[ho + 3 * H + j]!)));
        const cn = f * c[po + j]! + i * g;
        const tc = Math.tanh(cn);
        acts[ao + j] = i;
        acts[ao + H + j] = f;
        acts[ao + 2 * H + j] = g;
        acts[ao + 3 * H + j] = o;
        acts[ao + 4 * H + j] = tc;
        c[no + j] = cn;
        h[no + j] = o * tc;
      }
    }
  }

  backwardStep(tape: Tape, grad: TapeGrad, s: number, rows: number): void {
    // h' = o⊙tanh(c')  ⇒  do = dh'⊙tanh(c'),  dc' += dh'⊙o⊙(1 − tanh²c')
    // c' = f⊙c + i⊙g   ⇒  di = dc'⊙g, dg = dc'⊙i, df = dc'⊙c, dc = dc'⊙f
    // then through the activations: σ' = σ(1 − σ), tanh' = 1 − tanh²
    const { B, H, c, acts } = tape;
    const { dh, dhPrev, dc, dxp } = grad;
    const G = 4 * H, A = 5 * H;
    for (let b = 0; b < rows; b++) {
      const go = (s * B + b) * G, ao = (s * B + b) * A, po = (s * B + b) * H, ro = b * H;
      for (let j = 0; j < H; j++) {
        const i = acts[ao + j]!, f = acts[ao + H + j]!, g = acts[ao + 2 * H + j]!;
        const o = acts[ao + 3 * H + j]!, tc = acts[ao + 4 * H + j]!;
        const dhj = dh[ro + j]!;
        const dct = dc[ro + j]! + dhj * o * (1 - tc * tc);
        const dOut = dhj * tc;
        dxp[go + j] = dct * g * i * (1 - i);
        dxp[go + H + j] = dct * c[po + j]! * f * (1 - f);
        dxp[go + 2 * H + j] = dct * i * (1 - g * g);
        dxp[go + 3 * H + j] = dOut * o * (1 - o);
        dc[ro + j] = dct * f;
      }
    }
    dhPrev.fill(0, 0, rows * H);
  }
}
