/**
 * The baseline the examples' language models are measured against: a character n-gram model with interpolated
 * absolute discounting (Ney, Essen & Kneser 1994), over the same token ids and the same vocabulary as the network.
 *
 *   P_j(c | h) = (max(N(h c) − δ, 0) + δ · T(h) · P_{j−1}(c | h')) / N(h)     when the context h (j tokens) was seen
 *   P_j(c | h) = P_{j−1}(c | h')                                             otherwise
 *   P_{−1}(c)  = 1 / V
 *
 * N counts training occurrences, T(h) is the number of distinct tokens seen after h, and h' is h without its oldest
 * token. For δ in (0, 1) every P_j sums to 1 over the V ids, and no id gets probability 0. δ is the model's one
 * smoothing constant: `tuneDiscount` picks it on held-back training text, never on the text it is scored on.
 */

export class CharNgram {
  /** Tokens of context + 1: 3 is a trigram model. */
  readonly order: number;
  /** Ids are in [0, V). */
  readonly V: number;
  discount = 0.75;
  /** Per context length j = 0 … order−1: N(h c) by key(h)·V + c, N(h) and T(h) by key(h). */
  private readonly pairs: Map<number, number>[] = [];
  private readonly contexts: Map<number, number>[] = [];
  private readonly types: Map<number, number>[] = [];

  constructor(order: number, V: number) {
    if (!(Number.isInteger(order) && order >= 1)) throw new RangeError(`CharNgram: order must be an integer ≥ 1, got ${order}`);
    if (!(Number.isInteger(V) && V >= 1 && V ** order < 2 ** 53)) throw new RangeError(`CharNgram: V^order must fit a float64 integer, got V=${V}, order=${order}`);
    this.order = order;
    this.V = V;
    for (let j = 0; j < order; j++) {
      this.pairs.push(new Map());
      this.contexts.push(new Map());
      this.types.push(new Map());
    }
  }

  /**
   * Counts every token of seq[from, seq.length) after its context; positions before the start of seq read as `pad`
   * (so a name [bos, c1, …, eos] with pad bos sees c1 after bos, bos, …).
   */
  fit(seq: ArrayLike<number>, from: number, pad: number): this {
    const { V, order } = this;
    for (let i = from; i < seq.length; i++) {
      const c = seq[i]!;
      let key = 0;
      for (let j = 0; j < order; j++) {
        if (j > 0) key = key * V + (i - j >= 0 ? seq[i - j]! : pad);  // the context grows one token further back
        const pk = key * V + c, n = this.pairs[j]!.get(pk) ?? 0;
        this.pairs[j]!.set(pk, n + 1);
        this.contexts[j]!.set(key, (this.contexts[j]!.get(key) ?? 0) + 1);
        if (n === 0) this.types[j]!.set(key, (this.types[j]!.get(key) ?? 0) + 1);
      }
    }
    return this;
  }

  /** log2 P(seq[i] | its context), with the same padding as fit. */
  log2Prob(seq: ArrayLike<number>, i: number, pad: number): number {
    const { V, order, discount: d } = this;
    const c = seq[i]!;
    let p = 1 / V, key = 0;
    for (let j = 0; j < order; j++) {
      if (j > 0) key = key * V + (i - j >= 0 ? seq[i - j]! : pad);
      const n = this.contexts[j]!.get(key);
      if (n === undefined) break;          // a longer context that was never seen was never seen either
      const nc = this.pairs[j]!.get(key * V + c) ?? 0;
      p = (Math.max(nc - d, 0) + d * this.types[j]!.get(key)! * p) / n;
    }
    return Math.log2(p);
  }

  /** Bits per token over seq[from, to). */
  bits(seq: ArrayLike<number>, from: number, to: number, pad: number): { bits: number; count: number } {
    let bits = 0;
    for (let i = from; i < to; i++) bits -= this.log2Prob(seq, i, pad);
    return { bits, count: to - from };
  }
}

/**
 * Sets the discount to the value on a grid in (0, 1) that gives the fewest bits by `score` (bits over text held back
 * from the model's own training text) and returns it with that score.
 */
export function tuneDiscount(model: CharNgram, score: () => { bits: number; count: number }): { discount: number; bitsPerToken: number } {
  let best = { discount: NaN, bitsPerToken: Infinity };
  for (let k = 1; k < 20; k++) {
    model.discount = k / 20;
    const { bits, count } = score();
    if (bits / count < best.bitsPerToken) best = { discount: model.discount, bitsPerToken: bits / count };
  }
  model.discount = best.discount;
  return best;
}
