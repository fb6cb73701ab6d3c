import type { Cell, Tape, TapeGrad } from "./cell.js";

/** h' = act(W_ih·x + b_ih + W_hh·h + b_hh), act ∈ {tanh, relu}. The tape's h[s+1] is the activation itself. */
export class RnnCell implements Cell {
  readonly gates = 1;
  readonly actsPerUnit = 0;
  readonly hasCellState = false;
  readonly splitsRecurrent = false;
  readonly relu: boolean;

  constructor(nonlinearity: "tanh" | "relu") {
    this.relu = nonlinearity === "relu";
  }

  step(tape: Tape, s: number, rows: number): void {
    const { B, H, xp, hp, h } = tape;
    const n = rows * H;
    const xo = s * B * H, ho = (s + 1) * B * H;
    if (this.relu) {
      for (let i = 0; i < n; i++) {
        const a = xp[xo + i]! + hp[i]!;
        h[ho + i] = a > 0 ? a : 0;
      }
    } else {
      for (let i = 0; i < n; i++) h[ho + i] = Math.tanh(xp[xo + i]! + hp[i]!);
    }
  }

  backwardStep(tape: Tape, grad: TapeGrad, s: number, rows: number): void {
    // h' = tanh(a)  ⇒  da = dh'⊙(1 − h'²);   h' = relu(a)  ⇒  da = dh'⊙[h' > 0]
    const { B, H, h } = tape;
    const { dh, dhPrev, dxp } = grad;
    const n = rows * H;
    const ho = (s + 1) * B * H, go = s * B * H;
    if (this.relu) {
      for (let i = 0; i < n; i++) dxp[go + i] = h[ho + i]! > 0 ? dh[i]! : 0;
    } else {
      for (let i = 0; i < n; i++) {
        const y = h[ho + i]!;
        dxp[go + i] = dh[i]! * (1 - y * y);
      }
    }
    dhPrev.fill(0, 0, n);
  }
}
