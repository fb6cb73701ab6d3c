import type { SequenceModel } from "../sequence/sequence-model.js";
import type { BatchLossOptions } from "../train/batch-loss.js";
import { batchLoss } from "../train/batch-loss.js";
import type { Batch } from "../train/collate.js";

/** What one thread reports for its shard of a batch; its gradient is in its own gradient buffer. */
export interface ShardResult {
  /** The shard's summed loss (its mean is loss / denominator), or its mean with reduction "mean". */
  readonly loss: number;
  readonly denominator: number;
  readonly count: number;
  readonly correct: number;
  /** A non-finite element of dL/doutput (the backward was skipped), or null. */
  readonly badOutputGrad: number | null;
}

/**
 * Forward and backward of one shard into the model's gradients (zeroed first). With the loss reduced by "sum" (the
 * default), the shards' gradients and losses summed and divided by the summed denominators are the whole batch's
 * mean; Trainer.step runs a whole batch with "mean". A shard whose loss or dL/doutput is not finite skips its
 * backward (the step will be skipped anyway).
 */
export function shardGradient(model: SequenceModel, batch: Batch, loss: BatchLossOptions, reduction: "mean" | "sum" = "sum"): ShardResult {
  model.store.zeroGrad();
  const y = model.forward(batch.input, { training: true });
  const r = batchLoss(y, batch, loss, reduction);
  const badOutputGrad = Number.isFinite(r.loss) ? firstNonFinite(r.dY.data) : null;
  if (Number.isFinite(r.loss) && badOutputGrad === null) model.backward(r.dY, { inputGrad: false });
  return { loss: r.loss, denominator: r.denominator, count: r.count, correct: r.correct, badOutputGrad };
}

/** The first element of `a` that is not finite, or null. */
export function firstNonFinite(a: Float32Array): number | null {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return a[i]!;
  return null;
}
