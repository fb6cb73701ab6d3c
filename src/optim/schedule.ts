/**
 * Learning-rate schedules as pure functions of the step: `lrAt(t)` is the lr for optimizer step t (counting from 0),
 * the value PyTorch's scheduler reports by get_last_lr() after t calls of scheduler.step(). `apply` sets it:
 *
 *   const schedule = new SequentialLR({
 *     schedules: [new LinearWarmup({ baseLr: 1e-3, warmupSteps: 100, startFactor: 0.01 }),
 *                 new CosineAnnealingLR({ baseLr: 1e-3, tMax: 900 })],
 *     milestones: [100],
 *   });
 *   for (…) { …; schedule.apply(adam, adam.stepCount); adam.step(store.values, store.grads); }
 *
 * PyTorch computes most of these recursively (lr ← lr·factor each step); the closed forms here agree with it to
 * rounding (~1e-16 relative), and a resumed run needs nothing but the step count.
 */
import { numberOption, readOptions } from "./optimizer.js";

/** A schedule: the lr for each step from a base lr. */
export abstract class LRSchedule {
  /** The lr the schedule starts from (PyTorch's initial_lr). */
  readonly baseLr: number;
  private readonly where: string;

  protected constructor(where: string, bag: Record<string, unknown>) {
    this.where = where;
    this.baseLr = numberOption(where, bag, "baseLr", undefined, (v) => v >= 0, "≥ 0");
  }

  /** The lr for optimizer step `step` (an integer ≥ 0). */
  lrAt(step: number): number {
    if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
      throw new RangeError(`${this.where}.lrAt: step must be an integer ≥ 0, got ${String(step)}`);
    }
    return this.at(step);
  }

  /** Sets `opt.lr` to lrAt(step) and returns it. */
  apply(opt: { lr: number }, step: number): number {
    const lr = this.lrAt(step);
    opt.lr = lr;
    return lr;
  }

  /** The closed form; `step` is already checked. */
  protected abstract at(step: number): number;
}

const positiveInt = (v: number): boolean => Number.isSafeInteger(v) && v >= 1;

export interface StepLROptions {
  readonly baseLr: number;
  /** Multiply by gamma every stepSize steps (an integer ≥ 1). */
  readonly stepSize: number;
  /** Default 0.1. */
  readonly gamma?: number;
}

/** As torch.optim.lr_scheduler.StepLR:  lr(t) = baseLr · gamma^⌊t / stepSize⌋. */
export class StepLR extends LRSchedule {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(options: StepLROptions) {
    const o = readOptions("StepLR", options, ["baseLr", "stepSize", "gamma"]);
    super("StepLR", o);
    this.stepSize = numberOption("StepLR", o, "stepSize", undefined, positiveInt, "an integer ≥ 1");
    this.gamma = numberOption("StepLR", o, "gamma", 0.1, (v) => v >= 0, "≥ 0");
  }

  protected at(step: number): number {
    return this.baseLr * this.gamma ** Math.floor(step / this.stepSize);
  }
}

export interface ExponentialLROptions {
  readonly baseLr: number;
  /** The factor per step. */
  readonly gamma: number;
}

/** As torch.optim.lr_scheduler.ExponentialLR:  lr(t) = baseLr · gammaᵗ. */
export class ExponentialLR extends LRSchedule {
  readonly gamma: number;

  constructor(options: ExponentialLROptions) {
    const o = readOptions("ExponentialLR", options, ["baseLr", "gamma"]);
    super("ExponentialLR", o);
    this.gamma = numberOption("ExponentialLR", o, "gamma", undefined, (v) => v >= 0, "≥ 0");
  }

  protected at(step: number): number {
    return this.baseLr * this.gamma ** step;
  }
}

export interface CosineAnnealingLROptions {
  readonly baseLr: number;
  /** Steps from baseLr down to etaMin (an integer ≥ 1). */
  readonly tMax: number;
  /** Default 0. */
  readonly etaMin?: number;
}

/**
 * As torch.optim.lr_scheduler.CosineAnnealingLR:  lr(t) = etaMin + (baseLr − etaMin)·(1 + cos(π·t/tMax))/2.
 * Like PyTorch's it does not stop at tMax: it climbs back to baseLr at 2·tMax, and so on (period 2·tMax).
 */
export class CosineAnnealingLR extends LRSchedule {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(options: CosineAnnealingLROptions) {
    const o = readOptions("CosineAnnealingLR", options, ["baseLr", "tMax", "etaMin"]);
    super("CosineAnnealingLR", o);
    this.tMax = numberOption("CosineAnnealingLR", o, "tMax", undefined, positiveInt, "an integer ≥ 1");
    this.etaMin = numberOption("CosineAnnealingLR", o, "etaMin", 0, (v) => v >= 0, "≥ 0");
  }

  protected at(step: number): number {
    return this.etaMin + (this.baseLr - this.etaMin) * (1 + Math.cos(Math.PI * step / this.tMax)) / 2;
  }
}

export interface LinearWarmupOptions {
  readonly baseLr: number;
  /** Steps of the ramp (an integer ≥ 1); from then on the lr is baseLr. PyTorch's total_iters. */
  readonly warmupSteps: number;
  /** The first step's lr as a fraction of baseLr, in [0, 1]. Default 1/3, as PyTorch's LinearLR. */
  readonly startFactor?: number;
}

/**
 * A linear ramp from startFactor·baseLr to baseLr, as torch.optim.lr_scheduler.LinearLR with end_factor 1:
 * lr(t) = baseLr · (startFactor + (1 − startFactor)·min(t, warmupSteps)/warmupSteps).
 */
export class LinearWarmup extends LRSchedule {
  readonly warmupSteps: number;
  readonly startFactor: number;

  constructor(options: LinearWarmupOptions) {
    const o = readOptions("LinearWarmup", options, ["baseLr", "warmupSteps", "startFactor"]);
    super("LinearWarmup", o);
    this.warmupSteps = numberOption("LinearWarmup", o, "warmupSteps", undefined, positiveInt, "an integer ≥ 1");
    this.startFactor = numberOption("LinearWarmup", o, "startFactor", 1 / 3, (v) => v >= 0 && v <= 1, "in [0, 1]");
  }

  protected at(step: number): number {
    const f = this.startFactor;
    return this.baseLr * (f + (1 - f) * Math.min(this.warmupSteps, step) / this.warmupSteps);
  }
}

export interface SequentialLROptions {
  /** Run one after another; all must share one baseLr. */
  readonly schedules: readonly LRSchedule[];
  /** The steps where the next schedule takes over, increasing; one fewer than the schedules. */
  readonly milestones: readonly number[];
}

/**
 * Schedules one after another, as torch.optim.lr_scheduler.SequentialLR: from milestone k on, schedule k+1 runs
 * from its own step 0. Typically a warm-up and then a decay:
 *
 *   new SequentialLR({ schedules: [warmup, cosine], milestones: [warmup.warmupSteps] })
 */
export class SequentialLR extends LRSchedule {
  readonly schedules: readonly LRSchedule[];
  readonly milestones: readonly number[];

  constructor(options: SequentialLROptions) {
    const where = "SequentialLR";
    const o = readOptions(where, options, ["schedules", "milestones"]);
    const schedules = o["schedules"], milestones = o["milestones"];
    if (!Array.isArray(schedules) || schedules.length === 0 || !schedules.every((s) => s instanceof LRSchedule)) {
      throw new TypeError(`${where}: schedules must be a non-empty array of schedules (StepLR, CosineAnnealingLR, …)`);
    }
    const list: LRSchedule[] = schedules;
    super(where, { baseLr: list[0]!.baseLr });
    const bad = list.findIndex((s) => s.baseLr !== this.baseLr);
    if (bad >= 0) throw new RangeError(`${where}: every schedule must have baseLr ${this.baseLr} like schedules[0], got ${list[bad]!.baseLr} at schedules[${bad}]`);
    if (!Array.isArray(milestones) || milestones.length !== list.length - 1) {
      throw new RangeError(`${where}: milestones must have ${list.length - 1} entries (one fewer than the schedules), got ${Array.isArray(milestones) ? milestones.length : String(milestones)}`);
    }
    const given: unknown[] = milestones, marks: number[] = [];
    for (const m of given) {
      if (typeof m !== "number" || !Number.isSafeInteger(m) || m <= (marks[marks.length - 1] ?? 0)) {
        throw new RangeError(`${where}: milestones must be increasing integers ≥ 1, got [${given.map(String).join(", ")}]`);
      }
      marks.push(m);
    }
    this.schedules = [...list];
    this.milestones = marks;
  }

  protected at(step: number): number {
    let k = 0;
    while (k < this.milestones.length && step >= this.milestones[k]!) k++;
    const start = k === 0 ? 0 : this.milestones[k - 1]!;
    return this.schedules[k]!.lrAt(step - start);
  }
}
