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
 *     PEERS_DIR (see the bench-peers README), PyTorch when /usr/bin/python3 imports torch (with OpenBLAS when
 *     PEERS_DIR/openblas holds the unpacked libopenblas0-openmp package, as the peers' recorded run did)
 *
 * Units: W1, W2, W5, W6 train tokens/s; W3 generated tokens/s; W4 train sequences/s; GEMM GFLOP/s. Each value is
 * work per step divided by the median step time. `heap` reports heap growth over 100 steady-state W1 steps.
 *
 * W1x2, W4x2, W5x2, W6x2 run the same workloads data-parallel on 2 threads (Trainer.stepParallel with a
 * TrainingPool: this thread and one worker); their JSON lines say "config": "node-…-2t". `--threads N` changes 2.
 * GEMM also times the peers' reg4x4 kernel interleaved with the library's, sample by sample, and reports the ratio:
 * on a shared machine whose speed drifts, that ratio is steadier than either number against a recorded baseline.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  Adam, GRU, LSTM, Linear, ParamStore, RNN, SequenceModel, Trainer, TrainingPool, gemm, linearForwardPacked, packMatrix, softmaxCrossEntropy,
} from "recurrent-ts";
import type { SequenceExample, SequenceModelConfig, Tensor } from "recurrent-ts";
import { spawnSourceWorker } from "../test/source-worker.js";

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
const THREADS = Number(flag("threads") ?? 2);

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
  const head = packMatrix(true, H, V, m.fc.weight.value, 0, H);   // the head's weight packed once, as generate does
  const run = (): void => {
    stream.reset();
    id[0] = 0;
    for (let t = 0; t < N; t++) {
      const h = stream.stepIds(id);                 // one-hot input: a column of W_ih, no dense multiply
      linearForwardPacked(logits, h, head, m.fc.bias!.value, 1);
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
    lstm.backward(null, { dh: fc.backward(dLogits) }, { inputGrad: false });   // x needs no gradient (as in the peers)
    adam.step(store.values, store.grads);
  };
  emit({ workload: "W4-classify-train", metric: "train seqs/s", cell: "lstm", shape: `D=${D}, H=${H}, T=${T}, B=${B}, many-to-one, dense H->2, softmax CE, Adam` },
    timeSteps(step, warmup, steps), B);
}

// ---- GEMM ----------------------------------------------------------------------------------------------------------
/**
 * The peers' best plain-JavaScript kernel (jsgemm_bench.js "reg4x4": 4×4 register tiles, C = A·B row-major, M and N
 * multiples of 4), timed interleaved with the library's gemm as the reference for the ≥ 90 % target.
 */
function reg4x4(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i += 4) {
    const a0 = i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let j = 0; j < N; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let bi = j;
      for (let k = 0; k < K; k++, bi += N) {
        const b0 = B[bi]!, b1 = B[bi + 1]!, b2 = B[bi + 2]!, b3 = B[bi + 3]!;
        const x0 = A[a0 + k]!, x1 = A[a1 + k]!, x2 = A[a2 + k]!, x3 = A[a3 + k]!;
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      let o = i * N + j;
      C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += N;
      C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += N;
      C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += N;
      C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
    }
  }
}

function gemmBench(): void {
  const rnd = mulberry32(42);
  const SAMPLES = QUICK ? 7 : 15;
  for (const [M, K, N] of [[32, 128, 512], [256, 256, 256], [512, 512, 512]] as const) {
    const a = Float32Array.from({ length: M * K }, () => rnd() * 2 - 1);
    const b = Float32Array.from({ length: K * N }, () => rnd() * 2 - 1);
    const c = new Float32Array(M * N), cRef = new Float32Array(M * N);
    const mm = (): void => gemm(false, false, M, N, K, 1, a, 0, K, b, 0, N, 0, c, 0, N);
    const ref = (): void => reg4x4(a, b, cRef, M, K, N);
    const calibrate = (fn: () => void): number => {
      let reps = 1;
      for (;;) {
        const t0 = performance.now();
        for (let r = 0; r < reps; r++) fn();
        if (performance.now() - t0 > 50) return reps;
        reps *= 2;
      }
    };
    const reps = calibrate(mm), refReps = calibrate(ref);
    const rate = (fn: () => void, n: number): number => {
      const t0 = performance.now();
      for (let r = 0; r < n; r++) fn();
      return (2 * M * N * K) / (((performance.now() - t0) / 1000 / n) * 1e9);
    };
    // alternate the two kernels sample by sample, so a drift in the machine's speed hits both alike
    const rates: number[] = [], refRates: number[] = [], ratios: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const x = rate(mm, reps), y = rate(ref, refReps);
      rates.push(x);
      refRates.push(y);
      ratios.push(x / y);
    }
    const out = {
      ...BASE, workload: `gemm-${M}x${K}x${N}`, metric: "GFLOP/s", value: +median(rates).toPrecision(4),
      sample_min: +Math.min(...rates).toPrecision(4), sample_max: +Math.max(...rates).toPrecision(4), samples: SAMPLES, reps_per_sample: reps,
      reg4x4_interleaved: +median(refRates).toPrecision(4), ratio_to_reg4x4: +median(ratios).toPrecision(3),
    };
    records.push(out);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
}

// ---- W1, W4, W5, W6 data-parallel: Trainer.stepParallel on a TrainingPool --------------------------------------
// The workers run the TypeScript sources like this script; the built package starts dist/node-worker.js.

async function timeStepsAsync(fn: (i: number) => Promise<unknown>, warmup: number, steps: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    await fn(warmup + i);
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return ts;
}

async function parallelTrain(workload: string, metric: string, shape: string, config: SequenceModelConfig, data: SequenceExample[][], units: number, warmup: number, steps: number): Promise<void> {
  const trainer = new Trainer({ model: new SequenceModel(config, 1), optimizer: new Adam({ lr: 1e-3 }) });
  const pool = await TrainingPool.create(trainer, { threads: THREADS, spawn: spawnSourceWorker });
  try {
    const times = await timeStepsAsync((i) => trainer.stepParallel(data[i % data.length]!, pool), warmup, steps);
    emit({ workload, metric, cell: config.cell, shape: `${shape}, ${THREADS} threads (Trainer.stepParallel)`, config: `node-${process.versions.node}-${THREADS}t` }, times, units);
  } finally {
    await pool.close();
  }
}

/** charBatches as examples: sequence b of a [T, B] batch is ids[t·B + b] over t. */
function charExamples(T: number, B: number, seed: number): SequenceExample[][] {
  return charBatches(T, B, 4, seed).map(({ ids, y }) => Array.from({ length: B }, (_, b) => ({
    input: Array.from({ length: T }, (_, t) => ids[t * B + b]!),
    target: Array.from({ length: T }, (_, t) => y[t * B + b]!),
  })));
}

async function charTrainParallel(workload: string, cell: Cell, H: number, T: number, B: number, warmup: number, steps: number): Promise<void> {
  const config: SequenceModelConfig = { input: { vocabSize: V, oneHot: true }, cell: cell === "rnn" ? "rnn_tanh" : cell, hiddenSize: H, output: { size: V, per: "step" } };
  await parallelTrain(workload, "train tokens/s", `V=${V} one-hot, H=${H}, T=${T}, B=${B}, Adam`, config, charExamples(T, B, 1000 + H + T + B), B * T, warmup, steps);
}

async function classifyParallel(warmup: number, steps: number): Promise<void> {
  const D = 32, H = 256, T = 64, B = 64, C = 2;
  const rnd = mulberry32(11);
  const data = Array.from({ length: 2 }, () => {
    const x = Float32Array.from({ length: B * T * D }, () => rnd() * 2 - 1);
    const y = Int32Array.from({ length: B }, () => Math.floor(rnd() * C));
    return Array.from({ length: B }, (_, b) => ({
      input: Array.from({ length: T }, (_, t) => x.subarray((b * T + t) * D, (b * T + t + 1) * D)),
      target: y[b]!,
    }));
  });
  const config: SequenceModelConfig = { input: { features: D }, cell: "lstm", hiddenSize: H, output: { size: C, per: "sequence" } };
  await parallelTrain("W4-classify-train", "train seqs/s", `D=${D}, H=${H}, T=${T}, B=${B}, many-to-one, dense H->2, softmax CE, Adam`, config, data, B, warmup, steps);
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
if (want("W1x2")) await charTrainParallel("W1-charlm-train", "lstm", 128, 32, 32, 3, S(20));
if (want("W4x2")) await classifyParallel(2, S(20));
if (want("W5x2")) await charTrainParallel("W5-gru-train", "gru", 128, 32, 32, 3, S(20));
if (want("W6x2")) await charTrainParallel("W6-rnn-train", "rnn", 128, 32, 32, 3, S(20));
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
  // PyTorch as the peers recorded it: with OpenBLAS when PEERS_DIR holds the unpacked package (see the bench-peers
  // README), else with the system's reference BLAS; torch_bench.py names the BLAS it found in its label
  const openblas = `${peersDir}/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp`;
  const torchEnv = existsSync(openblas) ? { ...process.env, LD_LIBRARY_PATH: openblas } : process.env;
  try {
    execFileSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" });
    runs.push(["pytorch", "/usr/bin/python3", [`${scripts}/torch_bench.py`, "--threads", "1", ...only, ...quick]]);
  } catch { /* no PyTorch here */ }
  const out: PeerRecord[] = [];
  const keep = (text: string): void => {
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      const r = JSON.parse(line) as { peer: string; workload: string; value: number; kernel?: string; version?: string; config?: string };
      if (r.peer === "js-gemm" && r.kernel !== "reg4x4" && r.kernel !== "packed-reg4x4") continue;   // the best kernels only
      out.push({ label: peerLabel(r), workload: r.workload, value: r.value });
    }
  };
  for (const [name, cmd, args] of runs) {
    process.stderr.write(`running ${name} …\n`);
    try {
      const env = name === "pytorch" ? torchEnv : process.env;
      keep(execFileSync(cmd, args, { cwd: peersDir, env, encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] }));
    } catch (e) {
      // keep the workloads it finished, and show its own last words (its stderr) so a crash says why
      const { stdout, stderr } = e as { stdout?: unknown; stderr?: unknown };
      keep(String(stdout ?? ""));
      const said = String(stderr ?? "").trim().split("\n").slice(-6).join("\n  ");
      process.stderr.write(`${name} failed: ${(e as Error).message.split("\n")[0]}${said === "" ? "" : `\n  ${said}`}\n`);
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
  const threads = typeof r.config === "string" && !r.config.endsWith("-1t") ? ` (${r.config.replace(/^.*-(\d+)t$/, "$1")} threads)` : "";
  console.log(`| ${r.workload}${threads} | ${r.metric} | ${r.value} |${cells.join("")}`);
}
const paired = records.filter((r) => r.ratio_to_reg4x4 !== undefined);
if (paired.length > 0) console.log(`\nGEMM ÷ reg4x4, timed interleaved (median of per-sample ratios): ${paired.map((r) => `${r.workload} ×${r.ratio_to_reg4x4}`).join(", ")}`);
