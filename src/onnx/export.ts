/**
 * ONNX export: a SequenceModel (or a bare RNN, LSTM or GRU layer) as an ONNX ModelProto that ONNX Runtime and other
 * engines run with their standard RNN, LSTM and GRU operators.
 *
 *   const bytes = exportOnnx(model, { softmax: true });   // Uint8Array: write it to a .onnx file, or hand it to
 *   const session = await ort.InferenceSession.create(bytes);   // onnxruntime-node / onnxruntime-web directly
 *
 * The graph, for a token model with per-step output (time-major, T and B dynamic):
 *
 *   tokens int64 [T, B] ─Gather(embedding)→ [T, B, E] ─LSTM(l0)→ Y [T, D, B, H] ─Transpose, Reshape→ [T, B, D·H]
 *     ─LSTM(l1)→ … ─(mask padded steps)─(merge directions)→ [T, B, F] ─MatMul, Add→ output [T, B, V] (─Softmax→)
 *
 * Weights are PyTorch's, reordered to ONNX's gate layout:
 *   LSTM  PyTorch rows i, f, g, o  →  ONNX i, o, f, c
 *   GRU   PyTorch rows r, z, n     →  ONNX z, r, h, with linear_before_reset = 1 (PyTorch applies r after W_hn·h + b_hn)
 *   RNN   one gate; activations ["Tanh"] or ["Relu"], one per direction
 * W [D, G·H, In] and R [D, G·H, H] stack the directions (forward, then reverse); B [D, 2·G·H] is [b_ih | b_hh].
 * A stack of L layers is L single-layer operators; final states are their Y_h (Y_c) concatenated, [L·D, B, H].
 */
import { describeKind } from "../errors.js";
import { checkBool, checkKeys } from "../layers/config.js";
import { GRU, LSTM, RNN, RecurrentLayer } from "../layers/recurrent.js";
import type { RecurrentInputGrads, RecurrentOutput } from "../layers/recurrent.js";
import type { Param } from "../params/param-store.js";
import { SequenceModel } from "../sequence/sequence-model.js";
import type { MergeMode } from "../sequence/merge.js";
import type { OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from "./protobuf.js";
import { encodeModel } from "./protobuf.js";

/** The ONNX operator set the export targets (RNN, LSTM, GRU are version 14 there) and its IR version. */
export const ONNX_OPSET_VERSION: 14 = 14;
export const ONNX_IR_VERSION: 7 = 7;

export interface OnnxExportOptions {
  /** Add the input `sequence_lens` (int32 [B], each in [1, T]) for padded batches. Default true. */
  readonly sequenceLens?: boolean;
  /**
   * Add the inputs `h0` (and `c0` for LSTM), the initial state [L·D, B, H], and the outputs `hn` (and `cn`), the
   * final state, as the layer's forward takes and returns them. Default false. A bare layer always outputs hn (cn).
   */
  readonly state?: boolean;
  /** Add the output `probabilities`: softmax of `output` over its last axis. SequenceModel only. Default false. */
  readonly softmax?: boolean;
  /** The graph's name. Default "recurrent-ts". */
  readonly graphName?: string;
  /** Stored as the model's doc_string. */
  readonly doc?: string;
}

/** Any of the library's recurrent layers. */
export type AnyRecurrentLayer = RecurrentLayer<RecurrentOutput, RecurrentInputGrads>;

const WHERE = "exportOnnx";
const OPTION_KEYS = ["sequenceLens", "state", "softmax", "graphName", "doc"];
/** Largest protobuf message ONNX Runtime parses (2 GiB), less room for everything but the weights. */
const MAX_WEIGHT_BYTES = 2 ** 31 - 2 ** 20;

/**
 * Exports `model` as an ONNX model (opset 14, IR version 7) and returns its bytes. The whole model is checked and
 * built in memory first: a model the ONNX operators cannot express throws, naming the layer and the reason.
 *
 * SequenceModel inputs: `tokens` int64 [T, B] (token models) or `x` float [T, B, I]; `sequence_lens` int32 [B];
 * `condition` float [B, C] (conditioned models); `h0`, `c0` with `state`. Outputs: `output` [T, B, V] (per step) or
 * [B, V] (per sequence), `probabilities` with `softmax`, `hn`, `cn` with `state`. Dropout is left out (inference).
 *
 * A bare layer: input `input` [T, B, I] ([B, T, I] with batchFirst), `sequence_lens`, `h0`, `c0` with `state`;
 * outputs `output` [T, B, D·H] ([B, T, D·H]) and `hn` (and `cn`) [L·D, B, H].
 */
export function exportOnnx(model: SequenceModel | AnyRecurrentLayer, options: OnnxExportOptions = {}): Uint8Array {
  if (options === null || typeof options !== "object") throw new TypeError(`${WHERE}: options must be an object, got ${describeKind(options)}`);
  checkKeys(WHERE, options, OPTION_KEYS);
  const opts = {
    sequenceLens: checkBool(WHERE, "sequenceLens", options.sequenceLens, true),
    state: checkBool(WHERE, "state", options.state, false),
    softmax: checkBool(WHERE, "softmax", options.softmax, false),
    graphName: checkString("graphName", options.graphName, "recurrent-ts"),
    doc: options.doc === undefined ? undefined : checkString("doc", options.doc, ""),
  };
  const g = new GraphBuilder();
  let metadata: Record<string, string>;
  if (model instanceof SequenceModel) {
    buildSequenceModel(g, model, opts);
    metadata = { "recurrent-ts:kind": "SequenceModel", "recurrent-ts:config": JSON.stringify(model.config) };
  } else if (model instanceof RecurrentLayer) {
    if (opts.softmax) throw new TypeError(`${WHERE}: softmax applies to a SequenceModel's output; a bare ${layerName(model)} has no head`);
    buildLayer(g, model, opts);
    metadata = { "recurrent-ts:kind": model.mode };
  } else {
    throw new TypeError(`${WHERE}: model must be a SequenceModel or an RNN, LSTM or GRU layer, got ${describeKind(model)}`);
  }
  const weightBytes = g.initializers.reduce((n, t) => n + t.data.length * (t.dataType === "float" ? 4 : 8), 0);
  if (weightBytes > MAX_WEIGHT_BYTES) {
    throw new RangeError(`${WHERE}: the weights take ${weightBytes} bytes; an ONNX protobuf file holds at most 2 GiB (external data files are not supported)`);
  }
  const onnx: OnnxModel = {
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET_VERSION,
    producerName: "recurrent-ts",
    ...(opts.doc === undefined ? {} : { doc: opts.doc }),
    graph: { name: opts.graphName, nodes: g.nodes, initializers: g.initializers, inputs: g.inputs, outputs: g.outputs },
    metadata,
  };
  return encodeModel(onnx);
}

interface Resolved {
  readonly sequenceLens: boolean;
  readonly state: boolean;
  readonly softmax: boolean;
}

function checkString(what: string, v: unknown, dflt: string): string {
  if (v === undefined) return dflt;
  if (typeof v !== "string") throw new TypeError(`${WHERE}: ${what} must be a string, got ${describeKind(v)}`);
  return v;
}

/** "LSTM(rnn)" or "LSTM", as the layer's own error messages name it. */
function layerName(layer: AnyRecurrentLayer): string {
  const kind = layer instanceof LSTM ? "LSTM" : layer instanceof GRU ? "GRU" : layer instanceof RNN ? "RNN" : "recurrent layer";
  return layer.name ? `${kind}(${layer.name})` : kind;
}

// ---- graph building -----------------------------------------------------------------------------------------------

/** Collects nodes, initializers, inputs and outputs, with unique names. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  /** Every name taken; the graph's input and output names are reserved from the start. */
  private readonly used = new Set<string>(["tokens", "x", "input", "sequence_lens", "condition", "h0", "c0", "output", "probabilities", "hn", "cn"]);
  private readonly consts = new Map<string, string>();

  /** `base`, or `base_2`, `base_3`, … if taken. */
  unique(base: string): string {
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node; returns the names of its `nOut` outputs (`label` + output index). */
  node(opType: string, inputs: readonly string[], label: string, attributes: readonly OnnxAttribute[] = [], nOut = 1): string[] {
    let n = inputs.length;
    while (n > 0 && inputs[n - 1] === "") n--;   // trailing optional inputs left out
    const outputs = Array.from({ length: nOut }, (_, k) => this.unique(nOut === 1 ? label : `${label}_${k}`));
    this.nodes.push({ opType, name: this.unique(`${opType}_${label}`), inputs: inputs.slice(0, n), outputs, attributes });
    return outputs;
  }

  /** One-output node. */
  op(opType: string, inputs: readonly string[], label: string, attributes: readonly OnnxAttribute[] = []): string {
    return this.node(opType, inputs, label, attributes)[0]!;
  }

  /** Two equal halves of x along `axis`. */
  split(x: string, axis: number, label: string): [string, string] {
    const [a, b] = this.node("Split", [x], label, [{ name: "axis", int: axis }], 2);
    return [a!, b!];
  }

  weight(name: string, dims: readonly number[], data: Float32Array): string {
    const n = this.unique(name);
    this.initializers.push({ name: n, dataType: "float", dims, data });
    return n;
  }

  /** A shared int64 constant (dims [] for a scalar). */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i64:${dims.join("x")}:${values.join(",")}`;
    let n = this.consts.get(key);
    if (n === undefined) {
      n = this.unique(`const_${dims.length === 0 ? "scalar_" : ""}${values.join("_").replace(/-/g, "m")}`);
      this.initializers.push({ name: n, dataType: "int64", dims, data: values });
      this.consts.set(key, n);
    }
    return n;
  }

  /** A shared float32 scalar constant. */
  scalar(value: number): string {
    const key = `f32:${value}`;
    let n = this.consts.get(key);
    if (n === undefined) {
      n = this.unique(`const_f_${String(value).replace(/[^0-9a-zA-Z]/g, "_")}`);
      this.initializers.push({ name: n, dataType: "float", dims: [], data: new Float32Array([value]) });
      this.consts.set(key, n);
    }
    return n;
  }

  input(v: OnnxValueInfo): string {
    this.inputs.push(v);
    return v.name;
  }

  /** Names `src` as graph output `v.name` (through Identity, so every output keeps its documented name). */
  output(src: string, v: OnnxValueInfo): void {
    this.nodes.push({ opType: "Identity", name: this.unique(`Identity_${v.name}`), inputs: [src], outputs: [v.name], attributes: [] });
    this.outputs.push(v);
  }
}

/** PyTorch gate block → ONNX gate block: ONNX block j holds PyTorch block ORDER[j]. */
const GATE_ORDER: Record<string, readonly number[]> = {
  LSTM: [0, 3, 1, 2],   // i, f, g, o → i, o, f, c
  GRU: [1, 0, 2],       // r, z, n → z, r, h
  RNN_TANH: [0],
  RNN_RELU: [0],
};
const OP_TYPE: Record<string, string> = { LSTM: "LSTM", GRU: "GRU", RNN_TANH: "RNN", RNN_RELU: "RNN" };

/** dst[offset…] = src [G·H, cols] with its gate blocks (H rows each) in ONNX's order. */
function copyGates(dst: Float32Array, offset: number, src: Float32Array, order: readonly number[], H: number, cols: number): void {
  const block = H * cols;
  for (let j = 0; j < order.length; j++) {
    const from = order[j]! * block;
    dst.set(src.subarray(from, from + block), offset + j * block);
  }
}

/** Rejects non-finite weights, naming the parameter and the element: an engine would only return NaN from them. */
function checkFinite(what: string, p: Param): void {
  const v = p.value;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) {
      const cols = p.shape.length === 2 ? p.shape[1]! : 1;
      const at = p.shape.length === 2 ? `[${Math.floor(i / cols)}, ${i % cols}]` : `[${i}]`;
      throw new RangeError(`${WHERE}: ${what}: ${p.name}${at} is ${v[i]}; a model with non-finite weights cannot be exported`);
    }
  }
}

/** Checks that ONNX can express the layer; returns the parameters by PyTorch key (weight_ih_l0, …). */
function checkLayer(layer: AnyRecurrentLayer): Map<string, Param> {
  const who = layerName(layer);
  const mode: unknown = layer.mode;
  if (typeof mode !== "string" || !Object.hasOwn(GATE_ORDER, mode)) {
    throw new TypeError(`${WHERE}: ${who} has mode ${JSON.stringify(mode)}; ONNX's RNN, LSTM and GRU operators express RNN_TANH, RNN_RELU, LSTM and GRU only`);
  }
  if (layer instanceof RNN) {
    const nl: unknown = layer.nonlinearity;
    const expected = mode === "RNN_RELU" ? "relu" : "tanh";
    if (nl !== expected) throw new TypeError(`${WHERE}: ${who} has nonlinearity ${JSON.stringify(nl)}; ONNX's RNN operator here takes "tanh" or "relu" (matching mode ${mode})`);
  } else if ((mode === "LSTM") !== (layer instanceof LSTM) || (mode === "GRU") !== (layer instanceof GRU)) {
    throw new TypeError(`${WHERE}: ${who} has mode ${mode}, which does not match its class`);
  }
  const prefix = layer.name ? `${layer.name}.` : "";
  const byKey = new Map<string, Param>();
  for (const p of layer.parameters()) byKey.set(p.name.startsWith(prefix) ? p.name.slice(prefix.length) : p.name, p);
  const G = GATE_ORDER[mode]!.length, H = layer.hiddenSize, D = layer.numDirections;
  for (let l = 0; l < layer.numLayers; l++) {
    const inSize = l === 0 ? layer.inputSize : D * H;
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d ? "_reverse" : ""}`;
      const want: Array<[string, number[]]> = [[`weight_ih${sfx}`, [G * H, inSize]], [`weight_hh${sfx}`, [G * H, H]]];
      if (layer.bias) want.push([`bias_ih${sfx}`, [G * H]], [`bias_hh${sfx}`, [G * H]]);
      for (const [key, shape] of want) {
        const p = byKey.get(key);
        if (p === undefined || p.shape.join(",") !== shape.join(",")) {
          throw new TypeError(`${WHERE}: ${who} should have ${key} of shape [${shape.join(", ")}], got ${p === undefined ? "none" : `[${p.shape.join(", ")}]`}`);
        }
        checkFinite(who, p);
      }
    }
  }
  return byKey;
}

/** Output of the recurrent stack: the top layer's Y and every layer's final states. */
interface StackOut {
  readonly yFlat: string;             // [T, B, D·H]
  readonly hLast: string;             // [D, B, H] top layer's Y_h
  readonly hn: string;                // [L·D, B, H]
  readonly cn: string | null;         // [L·D, B, H] (LSTM)
}

/**
 * The recurrent stack as L single-layer operators. x [T, B, In]; seqLens int32 [B] or ""; h0/c0 [L·D, B, H] or "".
 */
function addStack(g: GraphBuilder, layer: AnyRecurrentLayer, params: Map<string, Param>, x: string, seqLens: string, h0: string, c0: string): StackOut {
  const mode = layer.mode, order = GATE_ORDER[mode]!, opType = OP_TYPE[mode]!;
  const G = order.length, H = layer.hiddenSize, D = layer.numDirections, L = layer.numLayers, GH = G * H;
  const base = layer.name || opType.toLowerCase();
  const attrs: OnnxAttribute[] = [{ name: "hidden_size", int: H }];
  if (D === 2) attrs.push({ name: "direction", string: "bidirectional" });
  if (mode === "GRU") attrs.push({ name: "linear_before_reset", int: 1 });
  if (opType === "RNN") attrs.push({ name: "activations", strings: new Array<string>(D).fill(mode === "RNN_RELU" ? "Relu" : "Tanh") });
  let input = x;
  let out: { yFlat: string; yh: string } | null = null;
  const hs: string[] = [], cs: string[] = [];
  for (let l = 0; l < L; l++) {
    const inSize = l === 0 ? layer.inputSize : D * H;
    const W = new Float32Array(D * GH * inSize), R = new Float32Array(D * GH * H);
    const Bias = layer.bias ? new Float32Array(D * 2 * GH) : null;
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d ? "_reverse" : ""}`;
      copyGates(W, d * GH * inSize, params.get(`weight_ih${sfx}`)!.value, order, H, inSize);
      copyGates(R, d * GH * H, params.get(`weight_hh${sfx}`)!.value, order, H, H);
      if (Bias !== null) {
        copyGates(Bias, d * 2 * GH, params.get(`bias_ih${sfx}`)!.value, order, H, 1);
        copyGates(Bias, d * 2 * GH + GH, params.get(`bias_hh${sfx}`)!.value, order, H, 1);
      }
    }
    const w = g.weight(`${base}.W_l${l}`, [D, GH, inSize], W);
    const r = g.weight(`${base}.R_l${l}`, [D, GH, H], R);
    const b = Bias === null ? "" : g.weight(`${base}.B_l${l}`, [D, 2 * GH], Bias);
    // this layer's slice [l·D, (l+1)·D) of the initial states
    const slice = (s: string, what: string): string => (s === "" || L === 1 ? s
      : g.op("Slice", [s, g.ints([l * D]), g.ints([(l + 1) * D]), g.ints([0])], `${base}.${what}_l${l}`));
    const ins = [input, w, r, b, seqLens, slice(h0, "h0")];
    if (mode === "LSTM") ins.push(slice(c0, "c0"));
    const outs = g.node(opType, ins, `${base}.l${l}`, attrs, mode === "LSTM" ? 3 : 2);
    const y = outs[0]!, yh = outs[1]!;
    hs.push(yh);
    if (mode === "LSTM") cs.push(outs[2]!);
    // Y [T, D, B, H] → the next layer's X [T, B, D·H]: forward and reverse outputs side by side, as the library's output
    const yFlat = D === 1 ? g.op("Squeeze", [y, g.ints([1])], `${base}.out_l${l}`)
      : g.op("Reshape", [g.op("Transpose", [y], `${base}.yt_l${l}`, [{ name: "perm", ints: [0, 2, 1, 3] }]), g.ints([0, 0, -1])], `${base}.out_l${l}`);
    out = { yFlat, yh };
    input = yFlat;
  }
  const top = out!;
  const cat = (xs: string[], what: string): string => (xs.length === 1 ? xs[0]! : g.op("Concat", xs, `${base}.${what}`, [{ name: "axis", int: 0 }]));
  return { yFlat: top.yFlat, hLast: top.yh, hn: cat(hs, "hn"), cn: mode === "LSTM" ? cat(cs, "cn") : null };
}

/** mask [T, B, 1], 1 at real steps (t < len_b) and 0 at padding, as bool and float. `like` is [T, B, …]. */
function addMask(g: GraphBuilder, like: string, seqLens: string): { bool: string; float: string } {
  const T = g.op("Gather", [g.op("Shape", [like], "shape"), g.ints([0], [])], "T", [{ name: "axis", int: 0 }]);
  const steps = g.op("Range", [g.ints([0], []), T, g.ints([1], [])], "steps");                       // [T]
  const lens = g.op("Cast", [seqLens], "lens_i64", [{ name: "to", int: 7 }]);                           // [B]
  const real = g.op("Less", [g.op("Unsqueeze", [steps, g.ints([1])], "steps_col"), g.op("Unsqueeze", [lens, g.ints([0])], "lens_row")], "real"); // [T, B]
  const bool = g.op("Unsqueeze", [real, g.ints([2])], "mask");                                          // [T, B, 1]
  return { bool, float: g.op("Cast", [bool], "mask_f", [{ name: "to", int: 1 }]) };
}

/** [..., 2H] = [fwd | bwd] → [..., H] by the merge mode (SequenceModel's mergeForward). */
function addMerge(g: GraphBuilder, x: string, mode: Exclude<MergeMode, "concat">, label: string): string {
  const [f, b] = g.split(x, -1, `${label}_dir`);
  if (mode === "mul") return g.op("Mul", [f, b], label);
  const sum = g.op("Add", [f, b], mode === "sum" ? label : `${label}_sum`);
  return mode === "sum" ? sum : g.op("Mul", [sum, g.scalar(0.5)], label);
}

/** x [..., K] · W[O, K]ᵀ + b[O] → [..., O]. */
function addLinear(g: GraphBuilder, x: string, weight: Param, bias: Param | null, name: string): string {
  const O = weight.shape[0]!, K = weight.shape[1]!;
  const wt = new Float32Array(K * O), w = weight.value;
  for (let o = 0; o < O; o++) for (let k = 0; k < K; k++) wt[k * O + o] = w[o * K + k]!;
  const y = g.op("MatMul", [x, g.weight(`${name}.weight_t`, [K, O], wt)], `${name}.matmul`);
  return bias === null ? y : g.op("Add", [y, g.weight(`${name}.bias`, [O], bias.value)], `${name}.out`);
}

function stateInputs(g: GraphBuilder, layer: AnyRecurrentLayer, opts: Resolved): { h0: string; c0: string } {
  if (!opts.state) return { h0: "", c0: "" };
  const dims = [layer.numLayers * layer.numDirections, "B", layer.hiddenSize];
  const h0 = g.input({ name: "h0", dataType: "float", dims, doc: "initial hidden state [L·D, B, H], layer-major, direction-minor" });
  const c0 = layer.mode === "LSTM" ? g.input({ name: "c0", dataType: "float", dims, doc: "initial cell state [L·D, B, H]" }) : "";
  return { h0, c0 };
}

function stateOutputs(g: GraphBuilder, layer: AnyRecurrentLayer, stack: StackOut): void {
  const dims = [layer.numLayers * layer.numDirections, "B", layer.hiddenSize];
  g.output(stack.hn, { name: "hn", dataType: "float", dims, doc: "final hidden state [L·D, B, H], at each sequence's last real step" });
  if (stack.cn !== null) g.output(stack.cn, { name: "cn", dataType: "float", dims, doc: "final cell state [L·D, B, H]" });
}

function seqLensInput(g: GraphBuilder, opts: Resolved): string {
  if (!opts.sequenceLens) return "";
  return g.input({ name: "sequence_lens", dataType: "int32", dims: ["B"], doc: "real length of each sequence, in [1, T]" });
}

function buildLayer(g: GraphBuilder, layer: AnyRecurrentLayer, opts: Resolved): void {
  const params = checkLayer(layer);
  const I = layer.inputSize, DH = layer.numDirections * layer.hiddenSize;
  let x = g.input({ name: "input", dataType: "float", dims: layer.batchFirst ? ["B", "T", I] : ["T", "B", I] });
  if (layer.batchFirst) x = g.op("Transpose", [x], "input_tm", [{ name: "perm", ints: [1, 0, 2] }]);
  const seqLens = seqLensInput(g, opts);
  const { h0, c0 } = stateInputs(g, layer, opts);
  const stack = addStack(g, layer, params, x, seqLens, h0, c0);
  let y = stack.yFlat;
  if (seqLens !== "") y = g.op("Mul", [y, addMask(g, x, seqLens).float], "output_masked");
  if (layer.batchFirst) y = g.op("Transpose", [y], "output_bf", [{ name: "perm", ints: [1, 0, 2] }]);
  g.output(y, { name: "output", dataType: "float", dims: layer.batchFirst ? ["B", "T", DH] : ["T", "B", DH], doc: "every step's top-layer output; 0 at padded steps" });
  stateOutputs(g, layer, stack);
}

function buildSequenceModel(g: GraphBuilder, model: SequenceModel, opts: Resolved): void {
  const c = model.config, layer = model.rnn;
  const params = checkLayer(layer);
  const H = c.hiddenSize, L = c.numLayers, D = layer.numDirections, LD = L * D;
  const heads: Array<[string, Param]> = [["head", model.head.weight]];
  if (model.head.bias !== null) heads.push(["head", model.head.bias]);
  if (model.embedding !== null) heads.push(["embedding", model.embedding.weight]);
  if (model.conditioner !== null) {
    heads.push(["condition", model.conditioner.weight]);
    if (model.conditioner.bias !== null) heads.push(["condition", model.conditioner.bias]);
  }
  for (const [who, p] of heads) checkFinite(who, p);
  if (opts.state && model.conditioner !== null) {
    throw new TypeError(`${WHERE}: state: true conflicts with this model's condition input, which sets the initial state (SequenceModel.forward takes one or the other)`);
  }

  // ---- the sequence in, [T, B, I] ----
  let x: string;
  if (model.embedding !== null) {
    const tokens = g.input({ name: "tokens", dataType: "int64", dims: ["T", "B"], doc: `token ids in [0, ${model.embedding.numEmbeddings}), time-major` });
    const E = model.embedding.embeddingDim;
    x = g.op("Gather", [g.weight("embedding.weight", [model.embedding.numEmbeddings, E], model.embedding.weight.value), tokens], "embedded", [{ name: "axis", int: 0 }]);
  } else if ("oneHot" in c.input) {
    const V = c.input.vocabSize;
    const tokens = g.input({ name: "tokens", dataType: "int64", dims: ["T", "B"], doc: `token ids in [0, ${V}), time-major, read as one-hot vectors` });
    x = g.op("OneHot", [tokens, g.ints([V], [1]), g.weight("one_hot.values", [2], Float32Array.of(0, 1))], "one_hot", [{ name: "axis", int: -1 }]);
  } else {
    x = g.input({ name: "x", dataType: "float", dims: ["T", "B", layer.inputSize], doc: "feature vectors, time-major" });
  }
  const seqLens = seqLensInput(g, opts);

  // ---- initial state: inputs, or tanh(W·condition + b) split into h0 (and c0) ----
  let { h0, c0 } = stateInputs(g, layer, opts);
  if (model.conditioner !== null) {
    const k = c.cell === "lstm" ? 2 : 1;
    const cond = g.input({ name: "condition", dataType: "float", dims: ["B", model.conditioner.inputSize], doc: "conditioning vectors; the initial state is tanh(W·condition + b)" });
    const act = g.op("Tanh", [addLinear(g, cond, model.conditioner.weight, model.conditioner.bias, "condition")], "condition.tanh");
    // per row [h0 (LD×H) | c0 (LD×H)] → [B, k, LD, H] → [k, LD, B, H]
    const states = g.op("Transpose", [g.op("Reshape", [act, g.ints([0, k, LD, H])], "condition.split")], "condition.states", [{ name: "perm", ints: [1, 2, 0, 3] }]);
    if (k === 1) {
      h0 = g.op("Squeeze", [states, g.ints([0])], "condition.h0");
    } else {
      const [hs, cs] = g.split(states, 0, "condition.hc");
      h0 = g.op("Squeeze", [hs, g.ints([0])], "condition.h0");
      c0 = g.op("Squeeze", [cs, g.ints([0])], "condition.c0");
    }
  }

  const stack = addStack(g, layer, params, x, seqLens, h0, c0);
  const merge = D === 2 && c.merge !== "concat" ? c.merge : null;

  // ---- features for the head ----
  let feats: string;
  const out = c.output;
  if (out.per === "sequence" && out.pooling === "last") {
    // the top layer's final states: forward at each sequence's last real step, reverse after reading back to t = 0
    feats = D === 1 ? g.op("Squeeze", [stack.hLast, g.ints([0])], "last")
      : g.op("Reshape", [g.op("Transpose", [stack.hLast], "last_bdh", [{ name: "perm", ints: [1, 0, 2] }]), g.ints([0, -1])], "last");
    if (merge !== null) feats = addMerge(g, feats, merge, "last_merged");
  } else {
    const mask = seqLens === "" ? null : addMask(g, x, seqLens);
    let seq = stack.yFlat;                                               // [T, B, D·H]
    if (mask !== null) seq = g.op("Mul", [seq, mask.float], "rnn_out_masked");   // padded steps give 0, as the library's
    if (merge !== null) seq = addMerge(g, seq, merge, "merged");         // [T, B, F]
    if (out.per === "step") {
      feats = seq;
    } else if (out.pooling === "mean") {
      if (mask === null) {
        feats = g.op("ReduceMean", [seq], "pooled", [{ name: "axes", ints: [0] }, { name: "keepdims", int: 0 }]);
      } else {
        // Σ over real steps / length (padded steps are already 0)
        const sum = g.op("ReduceSum", [seq, g.ints([0])], "pooled_sum", [{ name: "keepdims", int: 0 }]);
        const len = g.op("Unsqueeze", [g.op("Cast", [seqLens], "lens_f", [{ name: "to", int: 1 }]), g.ints([1])], "lens_col");
        feats = g.op("Div", [sum, len], "pooled");
      }
    } else {
      // max over real steps: padded steps become −∞ first
      const masked = mask === null ? seq : g.op("Where", [mask.bool, seq, g.scalar(-Infinity)], "pool_input");
      feats = g.op("ReduceMax", [masked], "pooled", [{ name: "axes", ints: [0] }, { name: "keepdims", int: 0 }]);
    }
  }

  // ---- head ----
  const V = model.head.outputSize;
  const y = addLinear(g, feats, model.head.weight, model.head.bias, "head");
  const dims: Array<number | string> = out.per === "step" ? ["T", "B", V] : ["B", V];
  g.output(y, { name: "output", dataType: "float", dims, doc: out.per === "step" ? "per-step outputs (logits)" : "per-sequence outputs (logits)" });
  if (opts.softmax) g.output(g.op("Softmax", [y], "softmax", [{ name: "axis", int: -1 }]), { name: "probabilities", dataType: "float", dims, doc: "softmax of output over its last axis" });
  if (opts.state) stateOutputs(g, layer, stack);
}
