/**
 * recurrent-ts benchmark: the peer workloads W1–W6 and raw GEMM, with the same shapes, data generation, warm-up and
 * step counts as the brain.js / TensorFlow.js / PyTorch scripts in the shared bench-peers folder, and the same JSON
 * line per workload, so the numbers sit side by side.
 *
 *   npm run bench                              # everything (about a minute)
 *   npm run bench -- --only W1,GEMM --quick    # a subset, fewer steps (smoke runs only)
 *   npm run bench -- --peers <baseline.jsonl>  # also print the ratio to each peer's recorded value
 *   npm run bench -- --run-peers <PEERS_DIR>   # run the peer scripts too, in this same run, and compare with those:
 *     the pure-JS GEMM kernels always (they need nothing installed), brain.js and TensorFlow.js when installed in
 *     PEERS_DIR (see the bench-peers README), PyTorch when /usr/bin/python3 imports torch
 *
 * Units: W1, W2, W5, W6 train tokens/s; W3 generated tokens/s; W4 train sequences/s; GEMM GFLOP/s. Each value is
 * work per step divided by the median step time. `heap` reports heap growth over 100 steady-state W1 steps.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  Adam, GRU, LSTM, Linear, ParamStore, RNN, gemm, linearForward, softmaxCrossEntropy,
} from "recurrent-ts";
import type { Tensor } from "recurrent-ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ONLY = (flag("only") ?? "").split(",").filter(Boolean);
const QUICK = argv.includes("--quick");
const want = (w: string): boolean => ONLY.length === 0 || ONLY.includes(w);
const S = (n: number): number => (QUICK ? Math.max(2, Math.ceil(n / 4)) : n);
const V = 65;
const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
const BASE = { peer: "recurrent-ts", version: VERSION, config: `node-${process.versions.node}-1t` };

interface Record { workload: string; metric: string; value: number; [k: string]: unknown }
const records: Record[] = [];

// ---- the peers' helpers, reimplemented: mulberry32 data, step timing, the JSON line -----------------------------
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y), n = a.length;
  return n % 2 ? a[(n - 1) >> 1]! : 0.5 * (a[n / 2 - 1]! + a[n / 2]!);
}

function timeSteps(fn: (i: number) => void, warmup: number, steps: number): number[] {
  for (let i = 0; i < warmup; i++) fn(i);
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    fn(warmup + i);
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return ts;
}

function emit(rec: { workload: string; metric: string; [k: string]: unknown }, times: number[], units: number): void {
  const per = times.map((t) => units / t);
  const out = {
    ...BASE, ...rec,
    value: +(units / median(times)).toPrecision(5),
    step_min: +Math.min(...per).toPrecision(5),
    step_max: +Math.max(...per).toPrecision(5),
    median_step_ms: +(1000 * median(times)).toPrecision(5),
    steps: times.length,
  };
  records.push(out);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// ---- W1, W2, W5, W6: character LM training on one-hot input -------------------------------------------------------
type Cell = "lstm" | "gru" | "rnn";

function charModel(cell: Cell, H: number, seed: number) {
  const store = new ParamStore(seed);
  const cfg = { inputSize: V, hiddenSize: H, name: "rnn" };
  const rnn = cell === "lstm" ? new LSTM(cfg, store) : cell === "gru" ? new GRU(cfg, store) : new RNN({ ...cfg, nonlinearity: "tanh" }, store);
  const fc = new Linear({ inputSize: H, outputSize: V, name: "fc" }, store);
  return { store, rnn, fc };
}

/**
 * A pool of fixed-seed batches: the ids of one-hot inputs [T, B] (the peers build the one-hot matrix [T, B, V]; the
 * library reads the same input as ids, so it never multiplies by it) and next-character targets [T, B].
 */
function charBatches(T: number, B: number, pool: number, seed: number): Array<{ ids: Int32Array; shape: number[]; y: Int32Array }> {
  const rnd = mulberry32(seed);
  return Array.from({ length: pool }, () => {
    const idx = Array.from({ length: (T + 1) * B }, () => Math.floor(rnd() * V));
    const ids = new Int32Array(T * B), y = new Int32Array(T * B);
    for (let i = 0; i < T * B; i++) {
      ids[i] = idx[i]!;
      y[i] = idx[i + B]!;
    }
    return { ids, shape: [T, B], y };
  });
}

function charTrainStep(m: ReturnType<typeof charModel>, adam: Adam) {
  return (batch: { ids: Int32Array; shape: number[]; y: Int32Array }): void => {
    m.store.zeroGrad();
    const { output } = m.rnn.forwardIds(batch.ids, batch.shape);
    const { dLogits } = softmaxCrossEntropy(m.fc.forward(output), batch.y);
    m.rnn.backwardIds(m.fc.backward(dLogits));
    adam.step(m.store.values, m.store.grads);
  };
}

function charTrain(workload: string, cell: Cell, H: number, T: number, B: number, warmup: number, steps: number): void {
  const m = charModel(cell, H, 1);
  const adam = new Adam({ lr: 1e-3 });
  const data = charBatches(T, B, 4, 1000 + H + T + B);
  const step = charTrainStep(m, adam);
  emit({ workload, metric: "train tokens/s", cell, shape: `V=${V} one-hot, H=${H}, T=${T}, B=${B}, Adam` },
    timeSteps((i) => step(data[i % data.length]!), warmup, steps), B * T);
}

// ---- W3: generate 1000 tokens at batch 1, state carried ------------------------------------------------------------
function generate(warmup: number, steps: number): void {
  const H = 256, N = 1000;
  const m = charModel("lstm", H, 2);
  const stream = (m.rnn as LSTM).stream(1);
  const rnd = mulberry32(3);
  const logits = new Float32Array(V), probs = new Float64Array(V), id = [0];
  const run = (): void => {
    stream.reset();
    id[0] = 0;
    for (let t = 0; t < N; t++) {
      const h = stream.stepIds(id);                 // one-hot input: a column of W_ih, no dense multiply
      linearForward(logits, h, m.fc.weight.value, m.fc.bias!.value, 1, H, V);
      let max = -Infinity, sum = 0;
      for (let j = 0; j < V; j++) max = Math.max(max, logits[j]!);
      for (let j = 0; j < V; j++) sum += probs[j] = Math.exp(logits[j]! - max);
      let u = rnd() * sum, next = V - 1;
      for (let j = 0; j < V; j++) if ((u -= probs[j]!) <= 0) { next = j; break; }
      id[0] = next;
    }
  };
  emit({ workload: "W3-generate", metric: "gen tokens/s", cell: "lstm", shape: `V=${V}, H=${H}, batch 1, ${N} sampled tokens, state carried` },
    timeSteps(run, warmup, steps), N);
}

// ---- W4: many-to-one classifier ------------------------------------------------------------------------------------
function classify(warmup: number, steps: number): void {
  const D = 32, H = 256, T = 64, B = 64, C = 2;
  const store = new ParamStore(4);
  const lstm = new LSTM({ inputSize: D, hiddenSize: H, batchFirst: true, name: "rnn" }, store);
  const fc = new Linear({ inputSize: H, outputSize: C, name: "fc" }, store);
  const adam = new Adam({ lr: 1e-3 });
  const rnd = mulberry32(11);
  const pool = Array.from({ length: 2 }, () => ({
    x: { data: Float32Array.from({ length: B * T * D }, () => rnd() * 2 - 1), shape: [B, T, D] } as Tensor,
    y: Int32Array.from({ length: B }, () => Math.floor(rnd() * C)),
  }));
  const step = (i: number): void => {
    const { x, y } = pool[i % 2]!;
    store.zeroGrad();
    const { h } = lstm.forward(x);
    const { dLogits } = softmaxCrossEntropy(fc.forward(h), y);   // h is [1, B, H]: the last step of the one layer
    lstm.backward(null, { dh: fc.backward(dLogits) });
    adam.step(store.values, store.grads);
  };
  emit({ workload: "W4-classify-train", metric: "train seqs/s", cell: "lstm", shape: `D=${D}, H=${H}, T=${T}, B=${B}, many-to-one, dense H->2, softmax CE, Adam` },
    timeSteps(step, warmup, steps), B);
}

// ---- GEMM ----------------------------------------------------------------------------------------------------------
function gemmBench(): void {
  const rnd = mulberry32(42);
  for (const [M, K, N] of [[32, 128, 512], [256, 256, 256], [512, 512, 512]] as const) {
    const a = Float32Array.from({ length: M * K }, () => rnd() * 2 - 1);
    const b = Float32Array.from({ length: K * N }, () => rnd() * 2 - 1);
    const c = new Float32Array(M * N);
    const mm = (): void => gemm(false, false, M, N, K, 1, a, 0, K, b, 0, N, 0, c, 0, N);
    let reps = 1;
    for (;;) {
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) mm();
      if (performance.now() - t0 > 100) break;
      reps *= 2;
    }
    const rates: number[] = [];
    for (let s = 0; s < 7; s++) {
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) mm();
      rates.push((2 * M * N * K) / (((performance.now() - t0) / 1000 / reps) * 1e9));
    }
    const out = { ...BASE, workload: `gemm-${M}x${K}x${N}`, metric: "GFLOP/s", value: +median(rates).toPrecision(4), sample_min: +Math.min(...rates).toPrecision(4), sample_max: +Math.max(...rates).toPrecision(4), samples: 7, reps_per_sample: reps };
    records.push(out);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
}

// ---- heap growth over steady-state training --------------------------------------------------------------------
function heapGrowth(): void {
  const m = charModel("lstm", 128, 1);
  const adam = new Adam({ lr: 1e-3 });
  const data = charBatches(32, 32, 4, 1000 + 128 + 32 + 32);
  const step = charTrainStep(m, adam);
  for (let i = 0; i < 5; i++) step(data[i % 4]!);
  gc();
  const before = process.memoryUsage().heapUsed;
  const n = QUICK ? 20 : 100;
  for (let i = 0; i < n; i++) step(data[i % 4]!);
  gc();
  const growth = process.memoryUsage().heapUsed - before;
  const out = { ...BASE, workload: "heap-growth-W1", metric: "bytes", value: growth, steps: n };
  records.push(out);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (want("GEMM")) gemmBench();
if (want("W1")) charTrain("W1-charlm-train", "lstm", 128, 32, 32, 3, S(20));
if (want("W2")) charTrain("W2-charlm-online", "lstm", 64, 25, 1, 20, S(200));
if (want("W3")) generate(1, S(5));
if (want("W4")) classify(2, S(20));
if (want("W5")) charTrain("W5-gru-train", "gru", 128, 32, 32, 3, S(20));
if (want("W6")) charTrain("W6-rnn-train", "rnn", 128, 32, 32, 3, S(20));
if (want("heap")) heapGrowth();

// ---- peers: recorded values, or the peer scripts run now ---------------------------------------------------------
interface PeerRecord { label: string; workload: string; value: number }

/** The label the peers' aggregate.js gives a record. */
function peerLabel(r: { peer: string; version?: string; config?: string; kernel?: string }): string {
  if (r.peer === "js-gemm") return `js-gemm ${r.kernel}`;
  if (r.peer === "brain.js") return `brain.js ${r.version}`;
  if (r.peer === "tfjs-cpu") return `tfjs-cpu ${r.version} ${r.config}`;
  if (r.peer === "pytorch-cpu") return `pytorch ${r.version} ${r.config}`;
  return `${r.peer} ${r.config ?? ""}`;
}

function runPeers(peersDir: string): PeerRecord[] {
  const scripts = flag("peer-scripts") ?? new URL("../../shared/bench-peers/", import.meta.url).pathname;
  const only = ONLY.length > 0 ? ["--only", ONLY.join(",")] : [];
  const quick = QUICK ? ["--quick"] : [];
  const runs: Array<[string, string, string[]]> = [["js-gemm", "node", [`${scripts}/jsgemm_bench.js`, ...quick]]];
  if (existsSync(`${peersDir}/node_modules/brain.js`)) runs.push(["brain.js", "node", [`${scripts}/brainjs_bench.js`, ...only, ...quick]]);
  if (existsSync(`${peersDir}/node_modules/@tensorflow/tfjs`)) runs.push(["tfjs", "node", [`${scripts}/tfjs_bench.js`, "--config", "core", ...only, ...quick]]);
  try {
    execFileSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" });
    runs.push(["pytorch", "/usr/bin/python3", [`${scripts}/torch_bench.py`, "--threads", "1", ...only, ...quick]]);
  } catch { /* no PyTorch here */ }
  const out: PeerRecord[] = [];
  for (const [name, cmd, args] of runs) {
    process.stderr.write(`running ${name} …\n`);
    try {
      const text = execFileSync(cmd, args, { cwd: peersDir, encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "ignore"] });
      for (const line of text.split("\n")) {
        if (!line.startsWith("{")) continue;
        const r = JSON.parse(line) as { peer: string; workload: string; value: number; kernel?: string; version?: string; config?: string };
        if (r.peer === "js-gemm" && r.kernel !== "reg4x4" && r.kernel !== "packed-reg4x4") continue;   // the best kernels only
        out.push({ label: peerLabel(r), workload: r.workload, value: r.value });
      }
    } catch (e) {
      process.stderr.write(`${name} failed: ${(e as Error).message.split("\n")[0]}\n`);
    }
  }
  return out;
}

// ---- table, with ratios to the peers ---------------------------------------------------------------------------
const runDir = flag("run-peers");
const peersPath = flag("peers") ?? new URL("../../shared/bench-peers/baseline.jsonl", import.meta.url).pathname;
const peers: PeerRecord[] = runDir !== undefined ? runPeers(runDir)
  : existsSync(peersPath) ? readFileSync(peersPath, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as PeerRecord)
  : [];
const labels = [...new Set(peers.map((p) => p.label))];
console.log(`\n| workload | metric | recurrent-ts |${labels.map((l) => ` ${l} |`).join("")}`);
console.log(`|---|---|---|${labels.map(() => "---|").join("")}`);
for (const r of records) {
  const cells = labels.map((l) => {
    const p = peers.find((q) => q.label === l && q.workload === r.workload);
    return p ? ` ${p.value} (×${(r.value / p.value).toFixed(2)}) |` : " – |";
  });
  console.log(`| ${r.workload} | ${r.metric} | ${r.value} |${cells.join("")}`);
}
