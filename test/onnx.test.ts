/**
 * ONNX export, checked against the real engine: every exported model runs in onnxruntime-node's InferenceSession and
 * must give the library's own outputs to |Δ| ≤ 1e-5·|ref| + 1e-6.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  GRU, LSTM, ONNX_IR_VERSION, ONNX_OPSET_VERSION, RNN, SequenceModel, exportOnnx, randn, seededRng,
} from "../src/index.js";
import type { CellType, LSTMOutput, MergeMode, Pooling, Rng, SequenceModelConfig, Tensor } from "../src/index.js";
import { ProtoWriter, utf8 } from "../src/onnx/protobuf.js";
import { expectClose } from "./helpers.js";

const RTOL = 1e-5, ATOL = 1e-6;
const CELLS: CellType[] = ["rnn_tanh", "rnn_relu", "lstm", "gru"];
const T = 5, B = 3, V = 9, E = 3, I = 3, H = 4, OUT = 6;
const LENGTHS = [5, 1, 3];   // padded batch: a full sequence, a one-step one, one in between

type Feeds = Record<string, ort.Tensor>;
const SESSION: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

async function run(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, SESSION);
  const result = await session.run(feeds);
  return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.data as Float32Array]));
}

function randomIds(rng: Rng, n: number, vocab: number): number[] {
  return Array.from({ length: n }, () => Math.floor(rng.uniform() * vocab));
}

const f32 = (t: Tensor): ort.Tensor => new ort.Tensor("float32", t.data, [...t.shape]);
const i64 = (ids: number[], shape: number[]): ort.Tensor => new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), shape);
const lens32 = (lengths: number[]): ort.Tensor => new ort.Tensor("int32", Int32Array.from(lengths), [lengths.length]);

interface Case {
  readonly cell: CellType;
  readonly bidirectional: boolean;
  readonly numLayers: number;
  readonly tokens: boolean;
  /** Token input as one-hot vectors instead of an embedding. */
  readonly oneHot?: boolean;
  readonly per: "step" | "sequence";
  readonly pooling?: Pooling;
  readonly merge?: MergeMode;
  readonly padded: boolean;
}

/** Builds the case's model (seeded), runs it here and in ONNX Runtime, and compares the outputs. */
async function checkCase(c: Case, seed: number): Promise<void> {
  const what = `${c.cell} ${c.bidirectional ? "bi" : "uni"} L${c.numLayers} ${c.tokens ? (c.oneHot ? "one-hot tokens" : "tokens") : "features"} ${c.per}${c.pooling ? `/${c.pooling}` : ""}${c.merge ? ` merge ${c.merge}` : ""}${c.padded ? " padded" : ""}`;
  const config: SequenceModelConfig = {
    input: c.tokens ? (c.oneHot ? { vocabSize: V, oneHot: true } : { vocabSize: V, embeddingDim: E }) : { features: I },
    cell: c.cell, hiddenSize: H, numLayers: c.numLayers, bidirectional: c.bidirectional, dropout: 0.1,
    ...(c.merge === undefined ? {} : { merge: c.merge }),
    output: c.per === "step" ? { size: OUT, per: "step" } : { size: OUT, per: "sequence", pooling: c.pooling ?? "last" },
  };
  const model = new SequenceModel(config, seed);
  const rng = seededRng(seed + 1000);
  const feeds: Feeds = {};
  let ref: Tensor;
  const lengths = c.padded ? { lengths: LENGTHS } : {};
  if (c.tokens) {
    const ids = randomIds(rng, T * B, V);
    ref = model.forward({ tokens: { data: ids, shape: [T, B] }, ...lengths });
    feeds.tokens = i64(ids, [T, B]);
  } else {
    const x = randn(rng, [T, B, I]);
    ref = model.forward({ x, ...lengths });
    feeds.x = f32(x);
  }
  if (c.padded) feeds.sequence_lens = lens32(LENGTHS);
  const out = await run(exportOnnx(model, { sequenceLens: c.padded }), feeds);
  expect(Object.keys(out)).toEqual(["output"]);
  expectClose(what, out.output!, ref.data, RTOL, ATOL);
}

describe("exportOnnx: ONNX Runtime gives the library's outputs", () => {
  for (const cell of CELLS) {
    for (const bidirectional of [false, true]) {
      for (const numLayers of [1, 2]) {
        it(`${cell}, ${bidirectional ? "bidirectional" : "unidirectional"}, ${numLayers} layer${numLayers > 1 ? "s" : ""}: tokens and features × per-step and last × full and padded`, async () => {
          let seed = 1;
          for (const tokens of [true, false]) {
            for (const per of ["step", "sequence"] as const) {
              for (const padded of [false, true]) await checkCase({ cell, bidirectional, numLayers, tokens, per, padded }, seed++);
            }
          }
        });
      }
    }
  }

  it("reads one-hot token input (a OneHot node, no embedding) for every cell, per step and for the last state, padded", async () => {
    let seed = 40;
    for (const cell of CELLS) {
      for (const per of ["step", "sequence"] as const) {
        await checkCase({ cell, bidirectional: seed % 2 === 0, numLayers: 2, tokens: true, oneHot: true, per, padded: true }, seed++);
      }
    }
  });

  it("merges the two directions by concat, sum, mean and mul, per step and for the last states", async () => {
    let seed = 50;
    for (const merge of ["concat", "sum", "mean", "mul"] as const) {
      for (const cell of ["lstm", "gru"] as const) {
        for (const per of ["step", "sequence"] as const) {
          await checkCase({ cell, bidirectional: true, numLayers: 2, tokens: true, per, merge, padded: true }, seed++);
        }
      }
    }
  });

  it("pools by mean and max over each sequence's real steps only", async () => {
    let seed = 80;
    for (const pooling of ["mean", "max"] as const) {
      for (const cell of CELLS) {
        for (const bidirectional of [false, true]) {
          for (const padded of [false, true]) {
            const merge = bidirectional ? (["concat", "sum", "mean", "mul"] as const)[seed % 4]! : undefined;
            await checkCase({ cell, bidirectional, numLayers: 2, tokens: seed % 2 === 0, per: "sequence", pooling, padded, ...(merge ? { merge } : {}) }, seed++);
          }
        }
      }
    }
  });

  it("one session serves any T and B (dynamic axes), and T = 1, B = 1", async () => {
    const model = new SequenceModel({ input: { vocabSize: V, embeddingDim: E }, cell: "gru", hiddenSize: H, numLayers: 2, bidirectional: true, output: { size: OUT, per: "step" } }, 3);
    const session = await ort.InferenceSession.create(exportOnnx(model), SESSION);
    expect(session.inputNames).toEqual(["tokens", "sequence_lens"]);
    expect(session.outputNames).toEqual(["output"]);
    const rng = seededRng(4);
    for (const [t, b] of [[7, 2], [1, 1], [3, 5]] as const) {
      const ids = randomIds(rng, t * b, V), lengths = Array.from({ length: b }, (_, k) => 1 + ((k * 2) % t));
      const ref = model.forward({ tokens: { data: ids, shape: [t, b] }, lengths });
      const out = await session.run({ tokens: i64(ids, [t, b]), sequence_lens: lens32(lengths) });
      expect(out.output!.dims).toEqual([t, b, OUT]);
      expectClose(`T=${t} B=${b}`, out.output!.data as Float32Array, ref.data, RTOL, ATOL);
    }
  });

  it("softmax: true adds probabilities, the softmax of output", async () => {
    const model = new SequenceModel({ input: { features: I }, cell: "lstm", hiddenSize: H, output: { size: OUT, per: "sequence" } }, 5);
    const x = randn(seededRng(6), [T, B, I]);
    const ref = model.forward({ x, lengths: LENGTHS });
    const out = await run(exportOnnx(model, { softmax: true }), { x: f32(x), sequence_lens: lens32(LENGTHS) });
    expectClose("output", out.output!, ref.data, RTOL, ATOL);
    const probs = new Float32Array(B * OUT);
    for (let b = 0; b < B; b++) {
      const row = ref.data.subarray(b * OUT, (b + 1) * OUT), m = Math.max(...row);
      const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
      for (let j = 0; j < OUT; j++) probs[b * OUT + j] = Math.exp(row[j]! - m) / z;
    }
    expectClose("probabilities", out.probabilities!, probs, RTOL, ATOL);
  });

  it("state: true takes h0 (c0) and returns hn (cn), as forward's state and finalState()", async () => {
    for (const cell of CELLS) {
      const model = new SequenceModel({ input: { vocabSize: V, embeddingDim: E }, cell, hiddenSize: H, numLayers: 2, bidirectional: true, output: { size: OUT, per: "step" } }, 7);
      const rng = seededRng(8);
      const ids = randomIds(rng, T * B, V);
      const h = randn(rng, [4, B, H]), c = randn(rng, [4, B, H]);
      const state = cell === "lstm" ? { h, c } : { h };
      const ref = model.forward({ tokens: { data: ids, shape: [T, B] }, lengths: LENGTHS, state });
      const fin = model.finalState();
      const feeds: Feeds = { tokens: i64(ids, [T, B]), sequence_lens: lens32(LENGTHS), h0: f32(h) };
      if (cell === "lstm") feeds.c0 = f32(c);
      const out = await run(exportOnnx(model, { state: true }), feeds);
      expectClose(`${cell} output`, out.output!, ref.data, RTOL, ATOL);
      expectClose(`${cell} hn`, out.hn!, fin.h.data, RTOL, ATOL);
      if (cell === "lstm") expectClose("lstm cn", out.cn!, fin.c!.data, RTOL, ATOL);
      else expect(out.cn).toBeUndefined();
    }
  });

  it("a conditioned model computes its initial state from the condition input", async () => {
    for (const cell of ["lstm", "gru"] as const) {
      const model = new SequenceModel({ input: { vocabSize: V, embeddingDim: E }, cell, hiddenSize: H, numLayers: 2, output: { size: V, per: "step" }, condition: { size: 2 } }, 9);
      const rng = seededRng(10);
      const ids = randomIds(rng, T * B, V), cond = randn(rng, [B, 2]);
      const ref = model.forward({ tokens: { data: ids, shape: [T, B] }, condition: cond });
      const out = await run(exportOnnx(model, { sequenceLens: false }), { tokens: i64(ids, [T, B]), condition: f32(cond) });
      expectClose(`${cell} conditioned`, out.output!, ref.data, RTOL, ATOL);
    }
  });

  it("exports bare RNN, LSTM and GRU layers: output and final states, batchFirst, no bias, initial states", async () => {
    const layers = [
      new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, seed: 1 }),
      new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, batchFirst: true, seed: 2 }),
      new RNN({ inputSize: I, hiddenSize: H, nonlinearity: "relu", bidirectional: true, bias: false, seed: 3 }),
      new RNN({ inputSize: I, hiddenSize: H, numLayers: 3, name: "enc", seed: 4 }),
    ];
    for (const layer of layers) {
      const rng = seededRng(11);
      const LD = layer.numLayers * layer.numDirections;
      const x = randn(rng, layer.batchFirst ? [B, T, I] : [T, B, I]);
      const h0 = randn(rng, [LD, B, H]), c0 = randn(rng, [LD, B, H]);
      const isLstm = layer instanceof LSTM;
      const ref = layer.forward(x, { lengths: LENGTHS, h0, ...(isLstm ? { c0 } : {}) });
      const feeds: Feeds = { input: f32(x), sequence_lens: lens32(LENGTHS), h0: f32(h0) };
      if (isLstm) feeds.c0 = f32(c0);
      const out = await run(exportOnnx(layer, { state: true }), feeds);
      const what = `${layer.mode}${layer.batchFirst ? " batchFirst" : ""}`;
      expectClose(`${what} output`, out.output!, ref.output.data, RTOL, ATOL);
      expectClose(`${what} hn`, out.hn!, ref.h.data, RTOL, ATOL);
      if (isLstm) expectClose(`${what} cn`, out.cn!, (ref as LSTMOutput).c.data, RTOL, ATOL);
      else expect(out.cn).toBeUndefined();
      // and without sequence_lens or initial states
      const plain = layer.forward(x);
      const out2 = await run(exportOnnx(layer, { sequenceLens: false }), { input: f32(x) });
      expectClose(`${what} output (full length, zero state)`, out2.output!, plain.output.data, RTOL, ATOL);
    }
  });

  it("writes a ModelProto with the stated IR version, opset and producer", () => {
    const bytes = exportOnnx(new GRU({ inputSize: 2, hiddenSize: 2 }));
    expect([bytes[0], bytes[1]]).toEqual([0x08, ONNX_IR_VERSION]);                 // field 1 (ir_version), varint
    expect(Buffer.from(bytes.subarray(2, 16)).toString("latin1")).toBe("\x12\x0crecurrent-ts"); // field 2 (producer_name)
    const opset = Buffer.from([0x42, 0x04, 0x0a, 0x00, 0x10, ONNX_OPSET_VERSION]);  // field 8 { domain "", version }
    expect(Buffer.from(bytes).indexOf(opset)).toBeGreaterThan(0);
  });
});

describe("exportOnnx: what ONNX cannot express fails whole, naming the layer", () => {
  const tiny = (): SequenceModel => new SequenceModel({ input: { vocabSize: V, embeddingDim: E }, cell: "lstm", hiddenSize: H, output: { size: OUT, per: "step" } }, 1);

  it("a non-finite weight is named with its index", () => {
    const model = tiny();
    model.rnn.parameters()[1]!.value[5] = Number.NaN;
    expect(() => exportOnnx(model)).toThrow(/exportOnnx: LSTM\(rnn\): rnn\.weight_hh_l0\[1, 1\] is NaN/);
    const head = tiny();
    head.head.weight.value[0] = Infinity;
    expect(() => exportOnnx(head)).toThrow(/exportOnnx: head: head\.weight\[0, 0\] is Infinity/);
  });

  it("a cell or activation outside ONNX's operators is rejected with the layer's name", () => {
    const model = tiny();
    Object.defineProperty(model.rnn, "mode", { value: "LSTM_PEEPHOLE_GELU" });
    expect(() => exportOnnx(model)).toThrow(/exportOnnx: LSTM\(rnn\) has mode "LSTM_PEEPHOLE_GELU"; ONNX's RNN, LSTM and GRU operators express/);
    const rnn = new RNN({ inputSize: 2, hiddenSize: 2, name: "enc" });
    Object.defineProperty(rnn, "nonlinearity", { value: "gelu" });
    expect(() => exportOnnx(rnn)).toThrow(/exportOnnx: RNN\(enc\) has nonlinearity "gelu"/);
  });

  it("conflicting or unknown options and non-models are rejected", () => {
    expect(() => exportOnnx(new GRU({ inputSize: 2, hiddenSize: 2 }), { softmax: true })).toThrow(/softmax applies to a SequenceModel's output; a bare GRU has no head/);
    const cond = new SequenceModel({ input: { features: 2 }, cell: "gru", hiddenSize: 2, output: { size: 2, per: "step" }, condition: { size: 2 } });
    expect(() => exportOnnx(cond, { state: true })).toThrow(/state: true conflicts with this model's condition input/);
    expect(() => exportOnnx(tiny(), { opset: 17 } as never)).toThrow(/unknown option 'opset'/);
    expect(() => exportOnnx({} as never)).toThrow(/model must be a SequenceModel or an RNN, LSTM or GRU layer, got object/);
  });
});

describe("protobuf writer", () => {
  it("varints, negative int64, floats, strings and nested messages in wire format", () => {
    const inner = new ProtoWriter();
    inner.intField(1, 150);
    const w = new ProtoWriter();
    w.intField(1, 300);
    w.intField(2, -1);
    w.floatField(3, 1.5);
    w.stringField(4, "hé");
    w.messageField(5, inner);
    w.bytesField(6, new Uint8Array(100).fill(7));
    const out = [...w.finish()];
    expect(out.slice(0, 3)).toEqual([0x08, 0xac, 0x02]);
    expect(out.slice(3, 14)).toEqual([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(out.slice(14, 19)).toEqual([0x1d, 0x00, 0x00, 0xc0, 0x3f]);
    expect(out.slice(19, 24)).toEqual([0x22, 0x03, 0x68, 0xc3, 0xa9]);
    expect(out.slice(24, 29)).toEqual([0x2a, 0x03, 0x08, 0x96, 0x01]);
    expect(out.slice(29, 31)).toEqual([0x32, 100]);
    expect(out.length).toBe(131);
  });

  it("encodes UTF-8 as TextEncoder does, surrogate pairs included", () => {
    const s = "a\u00e9\u20ac\u{1F600}z";
    expect([...utf8(s)]).toEqual([...new TextEncoder().encode(s)]);
  });
});
