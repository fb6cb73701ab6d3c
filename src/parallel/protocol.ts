import type { SequenceModelConfig } from "../sequence/sequence-model.js";
import type { RngState } from "../tensor/random.js";
import type { BatchLossOptions } from "../train/batch-loss.js";
import type { Batch } from "../train/collate.js";
import type { ShardResult } from "./shard.js";

/**
 * One end of a channel to a training worker: Node's Worker or MessagePort, a browser Worker or the worker's own
 * scope, reduced to what the pool needs (see nodeWorker in recurrent-ts/node, and webWorker).
 */
export interface TrainingWorker {
  postMessage(message: unknown): void;
  /** Calls `listener` with every message from the other end. */
  onMessage(listener: (message: unknown) => void): void;
  /** Calls `listener` when the worker fails (it cannot load, or throws outside a step). Optional for a worker's scope. */
  onError?(listener: (error: unknown) => void): void;
  terminate?(): unknown;
  /**
   * Node only: whether the worker keeps the process alive. The pool keeps its workers referenced only while a step
   * is under way, so a program that forgets `pool.close()` still exits when it is done.
   */
  ref?(): void;
  unref?(): void;
}

export type ToWorker =
  | {
    readonly type: "init";
    readonly config: SequenceModelConfig;
    readonly loss: BatchLossOptions;
    /** The model's values, shared by every thread, and this worker's gradients (elements [offset, offset + size)). */
    readonly values: SharedArrayBuffer;
    readonly grads: SharedArrayBuffer;
    readonly offset: number;
    readonly size: number;
    readonly randomState: { input: RngState | null; rnn: RngState | null; output: RngState | null };
  }
  | { readonly type: "step"; readonly id: number; readonly batch: Batch };

export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly id: number; readonly result: ShardResult }
  | { readonly type: "error"; readonly id: number | null; readonly message: string };
