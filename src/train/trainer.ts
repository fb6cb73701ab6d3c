import { describeKind, formatShape, unravel } from "../errors.js";
import { checkBool, checkKeys, checkPositiveInt } from "../layers/config.js";
import { clipGradNorm, clipGradValue } from "../optim/clip.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { LRSchedule } from "../optim/schedule.js";
import type { SequenceModel } from "../sequence/sequence-model.js";
import { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import type { LMChunk } from "../text/windows.js";
import type { TrainingPool } from "../parallel/pool.js";
import type { ShardResult } from "../parallel/shard.js";
import { shardGradient } from "../parallel/shard.js";
import { lmBatches } from "../text/windows.js";
import type { BatchLossOptions } from "./batch-loss.js";
import { batchLoss } from "./batch-loss.js";
import type { Batch, LossKind, SequenceExample } from "./collate.js";
import { collate } from "./collate.js";

export interface TrainerOptions {
  readonly model: SequenceModel;
  readonly optimizer: Optimizer;
  /** Default "cross-entropy". */
  readonly loss?: LossKind;
  /** Cross-entropy: label smoothing ε and per-class weights. */
  readonly labelSmoothing?: number;
  readonly classWeights?: ArrayLike<number>;
  /** Huber: δ (default 1). */
  readonly huberDelta?: number;
  /** Clip the global gradient norm to this before each update. */
  readonly clipNorm?: number;
  /** Clamp every gradient to [−v, v] before each update (after clipNorm). */
  readonly clipValue?: number;
  /** Sets the optimizer's lr before every step from its step count. */
  readonly schedule?: LRSchedule;
}

/** Why a step did not update the weights. The weights are as they were before the step. */
export interface NonFiniteReport {
  readonly what: "loss" | "gradient";
  readonly value: number;
  /** The first parameter with a non-finite gradient, and the element's index. */
  readonly parameter?: string;
  readonly index?: readonly number[];
  readonly message: string;
}

export interface StepReport {
  /** Optimizer steps taken so far. */
  readonly step: number;
  readonly loss: number;
  /** Targets that counted in the loss. */
  readonly count: number;
  /** Cross-entropy: targets whose most likely class was right. */
  readonly correct: number;
  /** The global gradient norm before clipping (NaN when the step was skipped for its loss). */
  readonly gradNorm: number;
  readonly lr: number;
  /** Set when the step was skipped: the loss or a gradient was not finite. */
  readonly skipped: NonFiniteReport | null;
}

export interface BatchReport extends StepReport {
  readonly epoch: number;
  readonly batch: number;
  readonly batches: number;
  /** Input steps per second over the epoch so far. */
  readonly tokensPerSecond: number;
  readonly elapsedMs: number;
}

export interface Metrics {
  readonly loss: number;
  readonly count: number;
  /** Cross-entropy only. */
  readonly accuracy?: number;
  /** Cross-entropy only: e^loss, and loss in bits (bits per character for a character model). */
  readonly perplexity?: number;
  readonly bitsPerToken?: number;
}

export interface EpochReport {
  readonly epoch: number;
  readonly train: Metrics;
  readonly validation: Metrics | null;
  readonly skippedSteps: number;
  readonly elapsedMs: number;
}

export type Monitor = "loss" | "accuracy" | "valLoss" | "valAccuracy";

export interface EarlyStopping {
  /** Default "valLoss" with validation data, else "loss". Accuracies are maximised, losses minimised. */
  readonly monitor?: Monitor;
  /** Epochs without improvement before stopping. Default 3. */
  readonly patience?: number;
  /** The smallest change that counts as an improvement. Default 0. */
  readonly minDelta?: number;
  /** Put back the weights of the best epoch when training ends. Default true. */
  readonly restoreBest?: boolean;
}

export interface FitOptions {
  readonly epochs: number;
  /** Default 32. */
  readonly batchSize?: number;
  /** Shuffle the training examples every epoch with a generator seeded by `seed`. Default true. */
  readonly shuffle?: boolean;
  readonly seed?: number;
  /** Held-out examples evaluated after every epoch. */
  readonly validation?: readonly SequenceExample[];
  /** Or: the last fraction of the training examples (before any shuffling), in (0, 1). */
  readonly validationSplit?: number;
  readonly earlyStopping?: EarlyStopping;
  /** Stop training at the first step with a non-finite loss or gradient (its weights stay unchanged). Default true. */
  readonly stopOnNonFinite?: boolean;
  /** After every batch; return false to stop. */
  readonly onBatch?: (report: BatchReport) => void | boolean;
  /** After every epoch; return false to stop. */
  readonly onEpoch?: (report: EpochReport) => void | boolean;
}

/** What an AbortController's signal offers (structurally, so the core needs no DOM or Node types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
}

type ParallelStepResult = { readonly report: StepReport; readonly steps: number };

export interface FitAsyncOptions extends FitOptions {
  /** Compute each step's gradient on the pool's threads (data-parallel; see TrainingPool). */
  readonly pool?: TrainingPool;
  /** Stop before the next batch once this is aborted; the weights are those of the last finished step. */
  readonly signal?: AbortSignalLike;
  /** Stop before the next batch once this many milliseconds have passed. */
  readonly timeBudgetMs?: number;
}

export type StopReason = "completed" | "early-stopping" | "callback" | "non-finite" | "aborted" | "time-budget";

export interface FitResult {
  readonly epochs: readonly EpochReport[];
  readonly stopReason: StopReason;
  /** The epoch whose weights the model holds when restoreBest applied, else null. */
  readonly bestEpoch: number | null;
  /** The report of the step that stopped training for a non-finite value. */
  readonly nonFinite: NonFiniteReport | null;
}

export interface StreamFitOptions {
  readonly epochs: number;
  /** Steps per chunk (the truncation length of BPTT). */
  readonly T: number;
  /** Parallel tracks of the stream. */
  readonly B: number;
  /** A held-out token stream, evaluated after every epoch with the state carried the same way. */
  readonly validation?: ArrayLike<number>;
  readonly stopOnNonFinite?: boolean;
  readonly onBatch?: (report: BatchReport) => void | boolean;
  readonly onEpoch?: (report: EpochReport) => void | boolean;
}

const now = (): number => (globalThis as { performance?: { now(): number } }).performance?.now() ?? Date.now();

/**
 * Trains a SequenceModel: batching and padding, the loss, clipping, the optimizer and its schedule, validation,
 * early stopping with best-weights restore, and reports through callbacks (the library never logs).
 *
 *   const trainer = new Trainer({ model, optimizer: new Adam({ lr: 2e-3 }), clipNorm: 1 });
 *   const result = trainer.fit(train, { epochs: 10, batchSize: 32, validation: test,
 *     earlyStopping: { patience: 2 }, onBatch: (r) => bar.update(r) });
 *
 * A step whose loss or gradient is not finite changes no weight; it is reported (naming the parameter), and fit
 * stops there unless `stopOnNonFinite: false`. The same seeds give bit-identical weights.
 */
export class Trainer {
  readonly model: SequenceModel;
  readonly optimizer: Optimizer;
  readonly loss: LossKind;
  private readonly opts: TrainerOptions;
  /** The loss settings alone, as plain data (what a training worker is sent). */
  readonly lossOptions: BatchLossOptions;

  constructor(options: TrainerOptions) {
    const where = "Trainer";
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
    checkKeys(where, options, ["model", "optimizer", "loss", "labelSmoothing", "classWeights", "huberDelta", "clipNorm", "clipValue", "schedule"]);
    if (options.model === null || typeof options.model !== "object" || typeof options.model.forward !== "function") throw new TypeError(`${where}: model must be a SequenceModel, got ${describeKind(options.model)}`);
    if (options.optimizer === null || typeof options.optimizer !== "object" || typeof options.optimizer.step !== "function") throw new TypeError(`${where}: optimizer must be an optimizer (SGD, Adam, …), got ${describeKind(options.optimizer)}`);
    const loss = options.loss ?? "cross-entropy";
    if (!["cross-entropy", "mse", "huber", "bce-with-logits"].includes(loss)) throw new TypeError(`${where}: loss must be "cross-entropy", "mse", "huber" or "bce-with-logits", got ${JSON.stringify(loss)}`);
    for (const k of ["clipNorm", "clipValue"] as const) {
      const v = options[k];
      if (v !== undefined && !(typeof v === "number" && v > 0)) throw new RangeError(`${where}: ${k} must be a number > 0, got ${v}`);
    }
    this.model = options.model;
    this.optimizer = options.optimizer;
    this.loss = loss;
    this.opts = options;
    this.lossOptions = {
      loss,
      ...(options.labelSmoothing === undefined ? {} : { labelSmoothing: options.labelSmoothing }),
      ...(options.classWeights === undefined ? {} : { classWeights: Array.from(options.classWeights) }),
      ...(options.huberDelta === undefined ? {} : { huberDelta: options.huberDelta }),
    };
  }

  /** Pads examples into one batch (for `step`, or to look at). */
  collate(examples: readonly SequenceExample[]): Batch {
    return collate(this.model, examples, this.loss, "Trainer");
  }

  /** One update on one batch: forward, loss, backward, clipping, schedule, optimizer. */
  step(batch: Batch): StepReport {
    const r = shardGradient(this.model, batch, this.lossOptions, "mean");
    return this.update(r.loss, r.count, r.correct, r.badOutputGrad);
  }

  /**
   * One update on `examples` computed by the threads of `pool` (see TrainingPool): the same update as `step` on the
   * whole batch, up to float rounding.
   */
  async stepParallel(examples: readonly SequenceExample[], pool: TrainingPool): Promise<StepReport> {
    return (await this.parallelStep(examples, pool, "Trainer.stepParallel")).report;
  }

  private async parallelStep(examples: readonly SequenceExample[], pool: TrainingPool, where: string): Promise<{ report: StepReport; steps: number }> {
    if (pool === null || typeof pool !== "object" || typeof (pool as Partial<TrainingPool>).dispatch !== "function") throw new TypeError(`${where}: pool must be a TrainingPool, got ${describeKind(pool)}`);
    if (pool.trainer !== this) throw new TypeError(`${where}: the pool was created for another Trainer`);
    pool.assertUsable(where);                       // before anything changes: a closed pool leaves the gradients alone
    if (!Array.isArray(examples) || examples.length === 0) throw new TypeError(`${where}: examples must be a non-empty array of { input, target }, got ${describeKind(examples)}`);
    // contiguous shards whose sizes differ by at most one; shard 0 is this thread's
    const W = pool.threads, n = examples.length;
    const batches: Array<Batch | null> = [];
    let steps = 0;
    try {
      for (let w = 0, start = 0; w < W; w++) {
        const size = Math.floor(n / W) + (w < n % W ? 1 : 0);
        const batch = size === 0 ? null : collate(this.model, examples.slice(start, start + size), this.loss, where);
        batches.push(batch);
        steps += batch?.steps ?? 0;
        start += size;
      }
    } catch (e) {
      collate(this.model, examples, this.loss, where);   // the same error, naming the example's index in the whole batch
      throw e;
    }
    const store = this.model.store;
    pool.values.set(store.values);
    const others = pool.dispatch(batches);
    let own: ShardResult;
    try {
      own = shardGradient(this.model, batches[0]!, this.lossOptions);
    } catch (e) {
      await others.catch(() => undefined);
      throw e;
    }
    const results = await others;
    let loss = own.loss, denominator = own.denominator, count = own.count, correct = own.correct, badOutputGrad = own.badOutputGrad;
    const grads = store.grads;
    for (let w = 1; w < W; w++) {
      const r = results[w];
      if (r === null || r === undefined) continue;
      loss += r.loss;
      denominator += r.denominator;
      count += r.count;
      correct += r.correct;
      badOutputGrad ??= r.badOutputGrad;
      const g = pool.grads[w]!;
      for (let i = 0; i < grads.length; i++) grads[i]! += g[i]!;
    }
    if (denominator > 0) {
      const scale = 1 / denominator;
      for (let i = 0; i < grads.length; i++) grads[i]! *= scale;
      loss /= denominator;
    }
    return { report: this.update(loss, count, correct, badOutputGrad), steps };
  }

  /** The update after the gradients of a batch whose loss was `loss` are in the store: checks, clipping, schedule, optimizer. */
  private update(loss: number, count: number, correct: number, badOutputGrad: number | null): StepReport {
    const { model, optimizer } = this;
    const store = model.store;
    const lr = optimizer.lr;
    if (!Number.isFinite(loss)) {
      store.zeroGrad();
      const skipped: NonFiniteReport = { what: "loss", value: loss, message: `Trainer.step: loss is ${loss} at step ${optimizer.stepCount + 1}; weights left unchanged` };
      return { step: optimizer.stepCount, loss, count, correct, gradNorm: NaN, lr, skipped };
    }
    if (badOutputGrad !== null) {
      store.zeroGrad();
      const skipped: NonFiniteReport = { what: "gradient", value: badOutputGrad, message: `Trainer.step: the loss's gradient with respect to the model's output is ${badOutputGrad} at step ${optimizer.stepCount + 1} (the loss is ${loss}); weights left unchanged` };
      return { step: optimizer.stepCount, loss, count, correct, gradNorm: NaN, lr, skipped };
    }
    const gradNorm = clipGradNorm(store.grads, this.opts.clipNorm ?? Infinity);
    if (!Number.isFinite(gradNorm)) {
      const skipped = this.locateNonFinite(gradNorm, optimizer.stepCount + 1);
      store.zeroGrad();
      return { step: optimizer.stepCount, loss, count, correct, gradNorm, lr, skipped };
    }
    if (this.opts.clipValue !== undefined) clipGradValue(store.grads, this.opts.clipValue);
    if (this.opts.schedule !== undefined) this.opts.schedule.apply(optimizer, optimizer.stepCount);
    optimizer.step(store.values, store.grads);
    return { step: optimizer.stepCount, loss, count, correct, gradNorm, lr: optimizer.lr, skipped: null };
  }

  /** Trains for `epochs` over `examples`; see FitOptions. */
  fit(examples: readonly SequenceExample[], options: FitOptions): FitResult {
    const run = this.run(examples, options, null, "Trainer.fit");
    for (;;) {
      const r = run.next();
      if (r.done) return r.value;
    }
  }

  /**
   * fit that yields to the event loop between batches, so a page or a server stays responsive, and stops before the
   * next batch on `signal` or after `timeBudgetMs`, keeping the weights of the last finished step.
   */
  async fitAsync(examples: readonly SequenceExample[], options: FitAsyncOptions): Promise<FitResult> {
    const where = "Trainer.fitAsync";
    const { signal, timeBudgetMs, pool } = options;
    if (timeBudgetMs !== undefined && !(timeBudgetMs >= 0)) throw new RangeError(`${where}: timeBudgetMs must be ≥ 0, got ${timeBudgetMs}`);
    const { signal: _s, timeBudgetMs: _t, pool: _p, ...rest } = options;
    const deadline = timeBudgetMs === undefined ? Infinity : now() + timeBudgetMs;
    const stop = (): StopReason | null => (signal?.aborted ? "aborted" : now() >= deadline ? "time-budget" : null);
    const run = this.run(examples, rest, stop, where, pool ?? null);
    let input: ParallelStepResult | undefined;
    for (;;) {
      const r = run.next(input);
      if (r.done) return r.value;
      input = r.value === undefined ? (await yieldToEventLoop(), undefined) : await r.value;
    }
  }

  /** Loss and metrics over `examples`, without dropout and without changing anything. */
  evaluate(examples: readonly SequenceExample[], options: { readonly batchSize?: number } = {}): Metrics {
    const batchSize = options.batchSize === undefined ? 64 : checkPositiveInt("Trainer.evaluate", "batchSize", options.batchSize);
    let sum = 0, count = 0, correct = 0;
    for (let i = 0; i < examples.length; i += batchSize) {
      const batch = this.collate(examples.slice(i, i + batchSize));
      const r = this.lossOf(this.model.forward(batch.input), batch);
      sum += r.loss * r.count;
      count += r.count;
      correct += r.correct;
    }
    return this.metrics(sum, count, correct);
  }

  /**
   * The model's outputs for each example: per-sequence [size], or per-step [length·size] (row-major). Examples need
   * no target (any given is ignored), so training examples and unlabelled inputs both work.
   */
  predict(examples: ReadonlyArray<Pick<SequenceExample, "input" | "condition">>, options: { readonly batchSize?: number } = {}): Float32Array[] {
    const batchSize = options.batchSize === undefined ? 64 : checkPositiveInt("Trainer.predict", "batchSize", options.batchSize);
    const c = this.model.config, O = c.output.size;
    const out: Float32Array[] = [];
    for (let i = 0; i < examples.length; i += batchSize) {
      const chunk = examples.slice(i, i + batchSize).map((ex) => ({ input: ex.input, target: dummyTarget(this.loss, c.output.per, ex.input.length, O), ...(ex.condition === undefined ? {} : { condition: ex.condition }) }));
      const batch = this.collate(chunk);
      const y = this.model.forward(batch.input).data;
      const B = chunk.length;
      chunk.forEach((ex, b) => {
        if (c.output.per === "sequence") out.push(y.slice(b * O, (b + 1) * O));
        else {
          const n = ex.input.length, row = new Float32Array(n * O);
          for (let t = 0; t < n; t++) row.set(y.subarray((t * B + b) * O, (t * B + b + 1) * O), t * O);
          out.push(row);
        }
      });
    }
    return out;
  }

  /**
   * Truncated BPTT over one long token stream (a language model over a book): the stream is cut into B tracks and
   * T-step chunks (`lmBatches`); each chunk starts from the previous chunk's final state, detached, and the state is
   * reset every epoch. Needs a unidirectional token model with per-step output.
   */
  fitStream(ids: ArrayLike<number>, options: StreamFitOptions): FitResult {
    const where = "Trainer.fitStream";
    checkKeys(where, options, ["epochs", "T", "B", "validation", "stopOnNonFinite", "onBatch", "onEpoch"]);
    const c = this.model.config;
    if ("features" in c.input || c.output.per !== "step" || c.bidirectional || c.condition !== null || this.loss !== "cross-entropy") {
      throw new TypeError(`${where}: truncated BPTT needs a unidirectional, unconditioned token model with per-step output and cross-entropy`);
    }
    const epochs = checkPositiveInt(where, "epochs", options.epochs);
    const chunks = lmBatches(ids, options.T, options.B);
    const stopOnNonFinite = checkBool(where, "stopOnNonFinite", options.stopOnNonFinite, true);
    const reports: EpochReport[] = [];
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const t0 = now();
      let state: { h: Tensor; c?: Tensor } | undefined;
      let sum = 0, count = 0, correct = 0, skipped = 0, tokens = 0;
      for (let i = 0; i < chunks.length; i++) {
        const ch = chunks[i]!;
        const batch = chunkBatch(ch, state);
        const r = this.step(batch);
        state = this.model.finalState();
        tokens += batch.steps;
        if (r.skipped !== null) {
          skipped++;
          if (stopOnNonFinite) return { epochs: reports, stopReason: "non-finite", bestEpoch: null, nonFinite: r.skipped };
        } else {
          sum += r.loss * r.count;
          count += r.count;
          correct += r.correct;
        }
        const elapsedMs = now() - t0;
        if (options.onBatch?.({ ...r, epoch, batch: i + 1, batches: chunks.length, tokensPerSecond: tokens / Math.max(elapsedMs / 1000, 1e-9), elapsedMs }) === false) {
          return { epochs: reports, stopReason: "callback", bestEpoch: null, nonFinite: null };
        }
      }
      const validation = options.validation === undefined ? null : this.evaluateStream(options.validation, { T: options.T, B: options.B });
      const report: EpochReport = { epoch, train: this.metrics(sum, count, correct), validation, skippedSteps: skipped, elapsedMs: now() - t0 };
      reports.push(report);
      if (options.onEpoch?.(report) === false) return { epochs: reports, stopReason: "callback", bestEpoch: null, nonFinite: null };
    }
    return { epochs: reports, stopReason: "completed", bestEpoch: null, nonFinite: null };
  }

  /** Loss, accuracy, perplexity and bits per token over a token stream, the state carried across chunks. */
  evaluateStream(ids: ArrayLike<number>, options: { readonly T: number; readonly B: number }): Metrics {
    let state: { h: Tensor; c?: Tensor } | undefined;
    let sum = 0, count = 0, correct = 0;
    for (const ch of lmBatches(ids, options.T, options.B)) {
      const batch = chunkBatch(ch, state);
      const r = this.lossOf(this.model.forward(batch.input), batch);
      state = this.model.finalState();
      sum += r.loss * r.count;
      count += r.count;
      correct += r.correct;
    }
    return this.metrics(sum, count, correct);
  }

  // ---- the shared epoch loop: yields after every batch (fitAsync awaits there) ----------------------------------
  private *run(examples: readonly SequenceExample[], options: FitOptions, stop: (() => StopReason | null) | null, where: string, pool: TrainingPool | null = null): Generator<Promise<ParallelStepResult> | undefined, FitResult, ParallelStepResult | undefined> {
    if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be an object, got ${describeKind(options)}`);
    checkKeys(where, options, ["epochs", "batchSize", "shuffle", "seed", "validation", "validationSplit", "earlyStopping", "stopOnNonFinite", "onBatch", "onEpoch"]);
    if (!Array.isArray(examples) || examples.length === 0) throw new TypeError(`${where}: examples must be a non-empty array of { input, target }, got ${describeKind(examples)}`);
    const epochs = checkPositiveInt(where, "epochs", options.epochs);
    const batchSize = options.batchSize === undefined ? 32 : checkPositiveInt(where, "batchSize", options.batchSize);
    const shuffle = checkBool(where, "shuffle", options.shuffle, true);
    const stopOnNonFinite = checkBool(where, "stopOnNonFinite", options.stopOnNonFinite, true);
    const rng = new Rng(options.seed ?? 0);
    let train = examples, validation = options.validation ?? null;
    if (options.validationSplit !== undefined) {
      const f = options.validationSplit;
      if (validation !== null) throw new TypeError(`${where}: pass validation or validationSplit, not both`);
      if (!(f > 0 && f < 1)) throw new RangeError(`${where}: validationSplit must be in (0, 1), got ${f}`);
      const n = Math.round(examples.length * f);
      if (n < 1 || n >= examples.length) throw new RangeError(`${where}: validationSplit ${f} of ${examples.length} examples leaves an empty side`);
      train = examples.slice(0, examples.length - n);
      validation = examples.slice(examples.length - n);
    }
    const es = options.earlyStopping;
    if (es !== undefined) checkKeys(`${where}: earlyStopping`, es, ["monitor", "patience", "minDelta", "restoreBest"]);
    const monitor: Monitor = es?.monitor ?? (validation !== null ? "valLoss" : "loss");
    if (es !== undefined && monitor.startsWith("val") && validation === null) throw new TypeError(`${where}: earlyStopping monitors ${monitor} but there is no validation data`);
    if (es !== undefined && monitor.endsWith("ccuracy") && this.loss !== "cross-entropy") throw new TypeError(`${where}: earlyStopping can monitor ${monitor} only with cross-entropy`);
    const patience = es?.patience ?? 3, minDelta = es?.minDelta ?? 0, restoreBest = es?.restoreBest ?? true;
    const maximise = monitor.endsWith("ccuracy");
    let best = maximise ? -Infinity : Infinity, bestEpoch: number | null = null, bestValues: Float32Array | null = null, waited = 0;
    const store = this.model.store;
    const reports: EpochReport[] = [];
    const batches = Math.ceil(train.length / batchSize);
    const order = train.map((_, i) => i);
    const finish = (stopReason: StopReason, nonFinite: NonFiniteReport | null = null): FitResult => {
      const restored = es !== undefined && restoreBest && bestValues !== null;
      if (restored) store.values.set(bestValues!);
      return { epochs: reports, stopReason, bestEpoch: restored ? bestEpoch : null, nonFinite };
    };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (shuffle) rng.shuffle(order);
      const t0 = now();
      let sum = 0, count = 0, correct = 0, skipped = 0, tokens = 0;
      for (let bi = 0; bi < batches; bi++) {
        const reason = stop?.() ?? null;
        if (reason !== null) return finish(reason);
        const chosen = order.slice(bi * batchSize, (bi + 1) * batchSize).map((i) => train[i]!);
        let r: StepReport;
        if (pool === null) {
          const batch = this.collate(chosen);
          r = this.step(batch);
          tokens += batch.steps;
        } else {
          const done = (yield this.parallelStep(chosen, pool, where))!;
          r = done.report;
          tokens += done.steps;
        }
        if (r.skipped !== null) {
          skipped++;
          if (stopOnNonFinite) return finish("non-finite", r.skipped);
        } else {
          sum += r.loss * r.count;
          count += r.count;
          correct += r.correct;
        }
        const elapsedMs = now() - t0;
        if (options.onBatch?.({ ...r, epoch, batch: bi + 1, batches, tokensPerSecond: tokens / Math.max(elapsedMs / 1000, 1e-9), elapsedMs }) === false) return finish("callback");
        yield undefined;
      }
      const report: EpochReport = { epoch, train: this.metrics(sum, count, correct), validation: validation === null ? null : this.evaluate(validation, { batchSize }), skippedSteps: skipped, elapsedMs: now() - t0 };
      reports.push(report);
      if (options.onEpoch?.(report) === false) return finish("callback");
      if (es !== undefined) {
        const m = monitor === "loss" ? report.train.loss : monitor === "accuracy" ? report.train.accuracy! : monitor === "valLoss" ? report.validation!.loss : report.validation!.accuracy!;
        if (maximise ? m > best + minDelta : m < best - minDelta) {
          best = m;
          bestEpoch = epoch;
          waited = 0;
          if (restoreBest) bestValues = Float32Array.from(store.values);
        } else if (++waited >= patience) {
          return finish("early-stopping");
        }
      }
    }
    return finish("completed");
  }

  private lossOf(y: Tensor, batch: Batch): { loss: number; dY: Tensor; count: number; correct: number } {
    return batchLoss(y, batch, this.lossOptions);
  }

  private metrics(sum: number, count: number, correct: number): Metrics {
    const loss = count > 0 ? sum / count : NaN;
    if (this.loss !== "cross-entropy") return { loss, count };
    return { loss, count, accuracy: count > 0 ? correct / count : NaN, perplexity: Math.exp(loss), bitsPerToken: loss / Math.LN2 };
  }

  /** Names the first parameter whose gradient is not finite. */
  private locateNonFinite(norm: number, step: number): NonFiniteReport {
    for (const p of this.model.store.params) {
      for (let i = 0; i < p.grad.length; i++) {
        const g = p.grad[i]!;
        if (!Number.isFinite(g)) {
          const index = unravel(i, p.shape);
          return { what: "gradient", value: g, parameter: p.name, index, message: `Trainer.step: gradient of ${p.name}${formatShape(index)} is ${g} at step ${step} (norm ${norm}); weights left unchanged` };
        }
      }
    }
    return { what: "gradient", value: norm, message: `Trainer.step: gradient norm is ${norm} at step ${step}; weights left unchanged` };
  }
}

/** One chunk of a token stream as a batch, starting from `state` (the previous chunk's final state, detached). */
function chunkBatch(ch: LMChunk, state: { h: Tensor; c?: Tensor } | undefined): Batch {
  return {
    input: { tokens: { data: ch.input, shape: ch.shape }, ...(state === undefined ? {} : { state }) },
    classes: ch.target, values: null, mask: null, B: ch.B, steps: ch.T * ch.B,
  };
}

function dummyTarget(loss: LossKind, per: "step" | "sequence", n: number, O: number): number | number[] | number[][] {
  if (loss === "cross-entropy") return per === "sequence" ? 0 : new Array<number>(n).fill(0);
  const row = new Array<number>(O).fill(0);
  return per === "sequence" ? row : Array.from({ length: n }, () => row);
}

/** Lets the host run other tasks (rendering, I/O) before continuing: a macrotask, in browsers and in Node. */
function yieldToEventLoop(): Promise<void> {
  const st = (globalThis as { setTimeout?: (cb: () => void, ms: number) => unknown }).setTimeout;
  return new Promise((resolve) => (st === undefined ? resolve() : st(resolve, 0)));
}

/** One line for a terminal progress bar: "[#####.......] epoch 2/10  batch 30/120  loss 1.234  acc 0.712  4,120 tok/s". */
export function formatProgress(r: BatchReport, epochs: number, width = 24): string {
  const frac = r.batch / r.batches, full = Math.round(frac * width);
  const acc = r.count > 0 && r.correct > 0 ? `  acc ${(r.correct / r.count).toFixed(3)}` : "";
  return `[${"#".repeat(full)}${".".repeat(width - full)}] epoch ${r.epoch}/${epochs}  batch ${r.batch}/${r.batches}  loss ${r.loss.toFixed(4)}${acc}  ${Math.round(r.tokensPerSecond).toLocaleString("en-US")} tok/s`;
}
