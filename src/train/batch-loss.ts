import { bceWithLogits } from "../loss/binary.js";
import { softmaxCrossEntropy } from "../loss/cross-entropy.js";
import { huberLoss, mseLoss } from "../loss/regression.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Batch, LossKind } from "./collate.js";
import { IGNORE } from "./collate.js";

/** The loss settings of a Trainer, as plain data (what a training worker is sent). */
export interface BatchLossOptions {
  readonly loss: LossKind;
  readonly labelSmoothing?: number;
  readonly classWeights?: ArrayLike<number>;
  readonly huberDelta?: number;
}

export interface BatchLoss {
  /** The mean loss ("mean"), or the sum that the mean divides by `denominator` ("sum"). */
  readonly loss: number;
  readonly dY: Tensor;
  /** Targets (cross-entropy) or elements that counted. */
  readonly count: number;
  /** Cross-entropy: targets whose most likely class was right. */
  readonly correct: number;
  /**
   * What the mean divides by: the count, or for cross-entropy with class weights the summed weight of the counted
   * targets. Shards of one batch reduced with "sum" and divided by the sum of their denominators give the batch's mean.
   */
  readonly denominator: number;
}

/** The loss of a model's output `y` on `batch`, with dL/dy, as Trainer computes it. */
export function batchLoss(y: Tensor, batch: Batch, o: BatchLossOptions, reduction: "mean" | "sum" = "mean"): BatchLoss {
  if (o.loss === "cross-entropy") {
    const classes = batch.classes!;
    const r = softmaxCrossEntropy(y, classes, {
      reduction,
      ignoreIndex: IGNORE,
      ...(o.labelSmoothing === undefined ? {} : { labelSmoothing: o.labelSmoothing }),
      ...(o.classWeights === undefined ? {} : { weight: o.classWeights }),
    });
    const V = y.shape[y.shape.length - 1]!;
    let correct = 0, denominator = 0;
    for (let n = 0; n < classes.length; n++) {
      const c = classes[n]!;
      if (c === IGNORE) continue;
      denominator += o.classWeights === undefined ? 1 : o.classWeights[c]!;
      let best = 0;
      for (let j = 1; j < V; j++) if (y.data[n * V + j]! > y.data[n * V + best]!) best = j;
      if (best === c) correct++;
    }
    return { loss: r.loss, dY: r.dLogits, count: r.count, correct, denominator };
  }
  const values = batch.values!;
  const mask = batch.mask === null ? {} : { mask: batch.mask };
  if (o.loss === "bce-with-logits") {
    const r = bceWithLogits(y, values, { ...mask, reduction });
    return { loss: r.loss, dY: r.dLogits, count: r.count, correct: 0, denominator: r.count };
  }
  const r = o.loss === "mse" ? mseLoss(y, values, { ...mask, reduction })
    : huberLoss(y, values, { ...mask, reduction, ...(o.huberDelta === undefined ? {} : { delta: o.huberDelta }) });
  return { loss: r.loss, dY: r.dPred, count: r.count, correct: 0, denominator: r.count };
}
