/**
 * The main demo: a character-level LSTM language model trained on five of Shakespeare's sonnets, then asked to
 * write. Everything is seeded, so every run prints the same numbers.
 *
 *   npm run demo                 # 500 steps, under a minute on one core
 *   npm run demo -- --steps 50   # shorter
 *
 * Embedding → LSTM → Linear, softmax cross-entropy at every step, Adam with global-norm clipping: the training loop is
 * written out here so each piece is visible.
 */
import { readFileSync } from "node:fs";
import {
  Adam, Embedding, LSTM, Linear, ParamStore, clipGradNorm, seededRng, softmaxCrossEntropy,
} from "recurrent-ts";
import type { Rng, Tensor } from "recurrent-ts";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const STEPS = arg("steps", 500), SAMPLE_CHARS = arg("chars", 300);
const T = 32, B = 16, E = 32, H = 128;

// ---- data: characters → ids ---------------------------------------------------------------------------------------
const text = readFileSync(new URL("./data/sonnets.txt", import.meta.url), "utf8");
const chars = [...new Set(text)].sort();
const V = chars.length;
const idOf = new Map(chars.map((ch, i) => [ch, i]));
const ids = Int32Array.from(text, (ch) => idOf.get(ch)!);
console.log(`text: ${text.length} characters, vocabulary ${V}; model: Embedding(${V}, ${E}) → LSTM(${E}, ${H}) → Linear(${H}, ${V})`);

// ---- model: three layers sharing one flat parameter vector -------------------------------------------------------
const rng = seededRng(7);
const store = new ParamStore(rng);
const emb = new Embedding({ numEmbeddings: V, embeddingDim: E, name: "emb" }, store);
const lstm = new LSTM({ inputSize: E, hiddenSize: H, name: "lstm" }, store);
const head = new Linear({ inputSize: H, outputSize: V, name: "head" }, store);
const adam = new Adam({ lr: 5e-3 });
console.log(`${store.size} parameters in one Float32Array`);

// ---- training ----------------------------------------------------------------------------------------------------
const x = new Int32Array(T * B), y = new Int32Array(T * B); // [T, B], time-major
const started = performance.now();
let smoothed = Math.log(V);
for (let step = 1; step <= STEPS; step++) {
  for (let b = 0; b < B; b++) {
    const at = rng.int(ids.length - T - 1);
    for (let t = 0; t < T; t++) {
      x[t * B + b] = ids[at + t]!;
      y[t * B + b] = ids[at + t + 1]!;
    }
  }
  const { output } = lstm.forward(emb.forward(x, [T, B]));
  const { loss, dLogits } = softmaxCrossEntropy(head.forward(output), y);
  store.zeroGrad();
  emb.backward(lstm.backward(head.backward(dLogits)).dInput);
  const norm = clipGradNorm(store.grads, 1.0);
  if (!Number.isFinite(loss) || !Number.isFinite(norm)) throw new Error(`step ${step}: loss ${loss}, gradient norm ${norm}`);
  adam.step(store.values, store.grads);

  smoothed = step === 1 ? loss : 0.95 * smoothed + 0.05 * loss;
  const secs = (performance.now() - started) / 1000;
  const line = `step ${String(step).padStart(4)}/${STEPS}  loss ${smoothed.toFixed(3)}  ${(smoothed / Math.LN2).toFixed(2)} bits/char  ${Math.round((step * T * B) / secs)} chars/s`;
  if (process.stdout.isTTY) process.stdout.write(`\r${bar(step / STEPS)} ${line}`);
  else if (step % 50 === 0 || step === STEPS) console.log(line);
}
if (process.stdout.isTTY) process.stdout.write("\n");

// ---- generation: feed the prompt, then one character at a time, carrying the state --------------------------------
for (const temperature of [0.5, 0.9]) {
  console.log(`\n--- sample at temperature ${temperature} ---`);
  console.log(generate("Shall I ", SAMPLE_CHARS, temperature, seededRng(1)));
}

function generate(prompt: string, n: number, temperature: number, r: Rng): string {
  let state: { h0: Tensor; c0: Tensor } | undefined;
  let out = prompt, next = 0;
  const feed = (id: number): Float32Array => {
    const step = lstm.forward(emb.forward([id], [1, 1]), state);
    state = { h0: step.h, c0: step.c };
    return head.forward(step.output).data;
  };
  let logits: Float32Array = new Float32Array(V);
  for (const ch of prompt) logits = feed(idOf.get(ch) ?? 0);
  for (let i = 0; i < n; i++) {
    next = sample(logits, temperature, r);
    out += chars[next];
    logits = feed(next);
  }
  return out;
}

/** Draws from softmax(logits / temperature). */
function sample(logits: Float32Array, temperature: number, r: Rng): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const p = Array.from(logits, (v) => Math.exp((v - max) / temperature));
  let u = r.uniform() * p.reduce((a, b) => a + b, 0);
  for (let i = 0; i < p.length; i++) if ((u -= p[i]!) <= 0) return i;
  return p.length - 1;
}

function bar(frac: number): string {
  const w = 24, full = Math.round(frac * w);
  return `[${"#".repeat(full)}${".".repeat(w - full)}]`;
}
