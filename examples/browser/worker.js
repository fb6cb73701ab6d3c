/**
 * The model and its training loop, in a module Web Worker so the page never waits for it.
 *
 * Embedding(V, 32) → LSTM(32, 128) → Linear(128, V) over characters, trained with Trainer.fitAsync on windows of the
 * sonnets: fitAsync yields to this worker's event loop after every batch, which is when "stop" and "temperature"
 * messages get through. Messages:
 *
 *   page → worker   { type: "start" } | { type: "stop" } | { type: "temperature", value }
 *   worker → page   { type: "ready", chars, vocabSize, params, windows }
 *                   { type: "training", running, reason? }        reason: why fitAsync returned ("aborted" on Stop)
 *                   { type: "progress", step, loss, charsPerSecond }   after every batch
 *                   { type: "sample", step, temperature, text }        every 2 s while training, on Stop, and on a new
 *                                                                  temperature while stopped
 *                   { type: "error", message }
 */
import { Adam, SequenceModel, Trainer, Vocab, seededRng } from "../../dist/index.js";

const T = 32;                    // characters per training window
const STRIDE = 4;                // windows start every STRIDE characters, so they overlap
const B = 16;                    // windows per batch
const HIDDEN = 128, EMBEDDING = 32;
const PROMPT = "Shall I ";
const SAMPLE_CHARS = 240, SAMPLE_EVERY_MS = 2000;

let temperature = 0.7;
let controller = null;           // the AbortController of the running fitAsync; null while stopped
const rng = seededRng(1);        // for sampling

const post = (message) => self.postMessage(message);
const fail = (err) => post({ type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });

const setup = load();
setup.then(({ vocab, text, model, examples }) => {
  post({ type: "ready", chars: text.length, vocabSize: vocab.size, params: model.store.size, windows: examples.length });
}).catch(fail);

self.onmessage = ({ data }) => {
  if (data.type === "start") train();
  else if (data.type === "stop") controller?.abort();
  else if (data.type === "temperature") {
    temperature = data.value;
    if (controller === null) setup.then((s) => { if (s.trainer.optimizer.stepCount > 0) post(sample(s)); }).catch(fail);
  }
};

async function load() {
  const res = await fetch(new URL("../data/sonnets.txt", import.meta.url));
  if (!res.ok) throw new Error(`fetching sonnets.txt: HTTP ${res.status}`);
  const text = await res.text();
  const vocab = Vocab.fromText(text, { level: "char" });
  const ids = vocab.encode(text);
  // Language modelling: each window's target is its input shifted by one character.
  const examples = [];
  for (let at = 0; at + T + 1 <= ids.length; at += STRIDE) {
    examples.push({ input: ids.subarray(at, at + T), target: ids.subarray(at + 1, at + T + 1) });
  }
  const model = new SequenceModel({
    input: { vocabSize: vocab.size, embeddingDim: EMBEDDING }, cell: "lstm", hiddenSize: HIDDEN,
    output: { size: vocab.size, per: "step" },
  }, /* seed */ 7);
  const trainer = new Trainer({ model, optimizer: new Adam({ lr: 5e-3 }), clipNorm: 1 });
  return { text, vocab, examples, model, trainer };
}

/** Trains until Stop; Start again carries on from the same weights and optimizer state. */
async function train() {
  if (controller !== null) return;
  const stop = (controller = new AbortController());
  try {
    const s = await setup;
    post({ type: "training", running: true });
    let lastSample = -Infinity;
    const result = await s.trainer.fitAsync(s.examples, {
      epochs: 1_000_000, batchSize: B, seed: s.trainer.optimizer.stepCount, signal: stop.signal,
      onBatch: (r) => {
        post({ type: "progress", step: r.step, loss: r.loss, charsPerSecond: r.tokensPerSecond });
        if (performance.now() - lastSample >= SAMPLE_EVERY_MS) {
          post(sample(s));
          lastSample = performance.now();
        }
      },
    });
    if (result.nonFinite !== null) fail(result.nonFinite.message);
    post(sample(s));
    post({ type: "training", running: false, reason: result.stopReason });
  } catch (err) {
    fail(err);
    post({ type: "training", running: false, reason: "error" });
  } finally {
    controller = null;
  }
}

/** PROMPT and what the model writes after it, one character at a time at the current temperature. */
function sample({ vocab, model, trainer }) {
  const [ids] = model.generate({ start: [vocab.encode(PROMPT)], maxLength: SAMPLE_CHARS, temperature, rng });
  return { type: "sample", step: trainer.optimizer.stepCount, temperature, text: PROMPT + vocab.decode(ids) };
}
