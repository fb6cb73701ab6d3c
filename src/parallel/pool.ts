import { describeKind } from "../errors.js";
import { checkKeys, checkPositiveInt } from "../layers/config.js";
import { Rng } from "../tensor/random.js";
import type { Batch } from "../train/collate.js";
import type { Trainer } from "../train/trainer.js";
import type { FromWorker, ToWorker, TrainingWorker } from "./protocol.js";
import type { ShardResult } from "./shard.js";

export interface TrainingPoolOptions {
  /** Threads that compute gradients, this one included: `threads − 1` workers are started. Default 2. */
  readonly threads?: number;
  /** Starts one worker running serveTrainingWorker (recurrent-ts/node's createTrainingPool passes its own). */
  readonly spawn: () => TrainingWorker;
}

/**
 * Threads that share one Trainer's work, for data-parallel training (Trainer.stepParallel, fitAsync's `pool`): each
 * step splits the batch into `threads` contiguous shards; the calling thread computes the first while the workers
 * compute the others on replicas of the model that read the same weights from shared memory; the gradients are then
 * summed in shard order and the update is made once, here. The result is deterministic for a given seed and thread
 * count, and equals single-thread training up to float rounding (the sums are grouped by shard).
 *
 * Needs SharedArrayBuffer: always in Node; in browsers only on cross-origin isolated pages (COOP/COEP headers).
 */
export class TrainingPool {
  readonly trainer: Trainer;
  readonly threads: number;
  /** The weights every thread reads, [size], shared. */
  readonly values: Float32Array;
  /** Worker w's gradients (w = 1 … threads − 1; entry 0 unused: the calling thread uses the model's own). */
  readonly grads: readonly Float32Array[];
  private readonly workers: TrainingWorker[];
  private readonly pending = new Map<number, { resolve: (r: ShardResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;
  private busy = false;

  private constructor(trainer: Trainer, threads: number, workers: TrainingWorker[], values: Float32Array, grads: Float32Array[]) {
    this.trainer = trainer;
    this.threads = threads;
    this.workers = workers;
    this.values = values;
    this.grads = grads;
  }

  /** Starts the workers and waits until each has built its replica of `trainer`'s model. */
  static async create(trainer: Trainer, options: TrainingPoolOptions): Promise<TrainingPool> {
    const where = "TrainingPool.create";
    if (trainer === null || typeof trainer !== "object" || typeof trainer.stepParallel !== "function") throw new TypeError(`${where}: trainer must be a Trainer, got ${describeKind(trainer)}`);
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be { threads, spawn }, got ${describeKind(options)}`);
    checkKeys(where, options, ["threads", "spawn"]);
    const threads = options.threads === undefined ? 2 : checkPositiveInt(where, "threads", options.threads);
    if (typeof options.spawn !== "function") throw new TypeError(`${where}: spawn must be a function that starts a worker, got ${describeKind(options.spawn)}`);
    if (typeof SharedArrayBuffer !== "function") throw new Error(`${where}: SharedArrayBuffer is not available (in a browser, serve the page cross-origin isolated: Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)`);
    const model = trainer.model, size = model.store.size;
    const valuesBuf = new SharedArrayBuffer(4 * size), gradsBuf = new SharedArrayBuffer(4 * size * Math.max(threads - 1, 1));
    const values = new Float32Array(valuesBuf);
    values.set(model.store.values);
    const grads = [new Float32Array(0), ...Array.from({ length: threads - 1 }, (_, w) => new Float32Array(gradsBuf, 4 * size * w, size))];
    // each worker's dropout generators get their own seeds, derived from the worker's index only
    const state = model.getRandomState();
    const seeds = new Rng(0x7a11);
    const workers: TrainingWorker[] = [];
    const pool = new TrainingPool(trainer, threads, workers, values, grads);
    try {
      await Promise.all(Array.from({ length: threads - 1 }, async (_, i) => {
        const worker = options.spawn();
        workers.push(worker);
        const fresh = (s: unknown): ReturnType<Rng["getState"]> | null => (s === null ? null : new Rng(seeds.nextU32()).getState());
        const init: ToWorker = {
          type: "init", config: model.config, loss: trainer.lossOptions, values: valuesBuf, grads: gradsBuf, offset: size * i, size,
          randomState: { input: fresh(state.input), rnn: fresh(state.rnn), output: fresh(state.output) },
        };
        await new Promise<void>((resolve, reject) => {
          let ready = false;
          worker.ref?.();
          worker.onMessage((raw) => {
            const m = raw as FromWorker;
            if (!ready) {
              if (m.type === "ready") {
                ready = true;
                worker.unref?.();
                resolve();
              } else if (m.type === "error") {
                reject(new Error(`${where}: worker ${i + 1} could not start: ${m.message}`));
              }
              return;
            }
            pool.receive(m, i + 1);
          });
          worker.onError?.((e) => {
            const err = new Error(`${where}: worker ${i + 1} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
            if (!ready) reject(err);
            else pool.fail(err);
          });
          worker.postMessage(init);
        });
      }));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Throws if the pool can take no more steps (closed, or a worker failed). */
  assertUsable(where: string): void {
    if (this.closed) throw new Error(`${where}: the pool is closed`);
    if (this.failure !== null) throw new Error(`${where}: the pool cannot be used: ${this.failure.message}`, { cause: this.failure });
    if (this.busy) throw new Error(`${where}: the pool is in the middle of a step; await each step before the next`);
  }

  /**
   * Sends batch w to worker w (w ≥ 1; null: nothing to do) and resolves with their results in that order. The
   * caller has written the current weights to `values` and computes shard 0 itself meanwhile.
   */
  dispatch(batches: ReadonlyArray<Batch | null>): Promise<Array<ShardResult | null>> {
    try {
      this.assertUsable("TrainingPool.dispatch");
    } catch (e) {
      return Promise.reject(e);
    }
    this.busy = true;
    return Promise.all(batches.map((batch, w) => {
      if (w === 0 || batch === null) return Promise.resolve(null);
      const id = this.nextId++, worker = this.workers[w - 1]!;
      return new Promise<ShardResult>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        const msg: ToWorker = { type: "step", id, batch };
        worker.ref?.();                       // keeps the process alive until the shard's result is in
        worker.postMessage(msg);
      }).finally(() => worker.unref?.());
    })).finally(() => {
      this.busy = false;
    });
  }

  /** Stops the workers; pending steps fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error("TrainingPool: the pool was closed during a step"));
    await Promise.all(this.workers.map((w) => w.terminate?.()));
  }

  private receive(m: FromWorker, worker: number): void {
    if (m.type === "ready") return;
    const p = m.id === null ? undefined : this.pending.get(m.id);
    if (m.type === "error" && p === undefined) {
      this.fail(new Error(`TrainingPool: worker ${worker} failed: ${m.message}`));
      return;
    }
    if (p === undefined) return;
    this.pending.delete(m.id!);
    if (m.type === "done") p.resolve(m.result);
    else p.reject(new Error(`TrainingPool: worker ${worker}: ${m.message}`));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** A browser (or any standard) Worker as a TrainingWorker: `new Worker(new URL("recurrent-ts/worker", import.meta.url), { type: "module" })`. */
export function webWorker(worker: {
  postMessage(message: unknown): void;
  addEventListener(type: "message" | "error", listener: (event: { data?: unknown; message?: string }) => void): void;
  terminate(): void;
}): TrainingWorker {
  return {
    postMessage: (m) => worker.postMessage(m),
    onMessage: (listener) => worker.addEventListener("message", (e) => listener(e.data)),
    onError: (listener) => worker.addEventListener("error", (e) => listener(new Error(e.message ?? "worker error"))),
    terminate: () => worker.terminate(),
  };
}
