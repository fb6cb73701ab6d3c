/**
 * A minimal protobuf writer and the ONNX messages an exported recurrent model needs (onnx.proto, proto2 syntax).
 * Only what export.ts writes is here: no reader, no groups, no packed encoding of dims (proto2's default, which
 * every parser accepts). Bytes only, so it runs in the browser as well as in Node.
 *
 *   wire types: 0 varint (int32/int64/enum), 2 length-delimited (string, bytes, sub-message), 5 fixed32 (float)
 *   a field starts with the varint (field << 3 | wire type); a length-delimited field then has its byte length
 */

const VARINT = 0, LEN = 2, FIXED32 = 5;

/**
 * Writes one message. Scalars go into a growing scratch buffer; sub-messages and byte blocks (raw tensor data) are
 * kept as references and copied once, into the single array that finish() returns.
 */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private cur: Uint8Array = new Uint8Array(64);
  private at = 0;
  private done = 0;   // bytes in `parts`

  /** Bytes written so far. */
  get length(): number {
    return this.done + this.at;
  }

  private room(n: number): void {
    if (this.at + n <= this.cur.length) return;
    const next = new Uint8Array(Math.max(2 * this.cur.length, this.at + n));
    next.set(this.cur.subarray(0, this.at));
    this.cur = next;
  }

  private flush(): void {
    if (this.at === 0) return;
    this.parts.push(this.cur.slice(0, this.at));
    this.done += this.at;
    this.at = 0;
  }

  /** An unsigned varint; v must be a safe non-negative integer. */
  uint(v: number): void {
    this.room(10);
    let n = v;
    while (n >= 0x80) {
      this.cur[this.at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.cur[this.at++] = n;
  }

  /** An int64 varint: negative values as their 64-bit two's complement (always 10 bytes), as protobuf requires. */
  int64(v: number): void {
    if (v >= 0) {
      this.uint(v);
      return;
    }
    this.room(10);
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.cur[this.at++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.cur[this.at++] = Number(n);
  }

  tag(field: number, wireType: number): void {
    this.uint(field * 8 + wireType);
  }

  /** An int32, int64 or enum field. */
  intField(field: number, v: number): void {
    this.tag(field, VARINT);
    this.int64(v);
  }

  floatField(field: number, v: number): void {
    this.tag(field, FIXED32);
    this.room(4);
    new DataView(this.cur.buffer, this.cur.byteOffset + this.at, 4).setFloat32(0, v, true);
    this.at += 4;
  }

  stringField(field: number, s: string): void {
    this.bytesField(field, utf8(s));
  }

  /** A length-delimited field holding `bytes`, kept by reference until finish(). */
  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, LEN);
    this.uint(bytes.length);
    if (bytes.length <= 64) {
      this.room(bytes.length);
      this.cur.set(bytes, this.at);
      this.at += bytes.length;
      return;
    }
    this.flush();
    this.parts.push(bytes);
    this.done += bytes.length;
  }

  /** A sub-message field; `msg` must not be written to afterwards. */
  messageField(field: number, msg: ProtoWriter): void {
    msg.flush();
    this.tag(field, LEN);
    this.uint(msg.done);
    this.flush();
    for (const p of msg.parts) this.parts.push(p);
    this.done += msg.done;
  }

  /** The message's bytes, in one new array. */
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.done);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** UTF-8 bytes of a string (TextEncoder is not in the ES2022 library this code is limited to). */
export function utf8(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

// ---- ONNX messages ------------------------------------------------------------------------------------------------

/** TensorProto.DataType values used here. */
export type OnnxDataType = "float" | "int32" | "int64" | "bool";
const DATA_TYPE: Record<OnnxDataType, number> = { float: 1, int32: 6, int64: 7, bool: 9 };

/** An initializer: little-endian raw_data of `dims` (dims [] is a scalar). */
export interface OnnxTensor {
  readonly name: string;
  readonly dataType: "float" | "int64";
  readonly dims: readonly number[];
  readonly data: Float32Array | readonly number[];
}

export type OnnxAttribute =
  | { readonly name: string; readonly int: number }
  | { readonly name: string; readonly float: number }
  | { readonly name: string; readonly string: string }
  | { readonly name: string; readonly ints: readonly number[] }
  | { readonly name: string; readonly strings: readonly string[] };

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  /** "" marks an optional input left out. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly OnnxAttribute[];
}

/** A graph input or output: a tensor of `dataType` whose dims are sizes or symbolic names ("T", "B"). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dataType: OnnxDataType;
  readonly dims: ReadonlyArray<number | string>;
  readonly doc?: string;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly doc?: string;
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion?: string;
  readonly doc?: string;
  readonly graph: OnnxGraph;
  readonly metadata?: Readonly<Record<string, string>>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The tensor's values as little-endian bytes (a view, without copying, for float32 on a little-endian machine). */
function rawData(t: OnnxTensor): Uint8Array {
  const n = t.data.length;
  if (t.dataType === "float") {
    if (LITTLE_ENDIAN && t.data instanceof Float32Array) return new Uint8Array(t.data.buffer, t.data.byteOffset, 4 * n);
    const out = new Uint8Array(4 * n), view = new DataView(out.buffer);
    for (let i = 0; i < n; i++) view.setFloat32(4 * i, t.data[i]!, true);
    return out;
  }
  const out = new Uint8Array(8 * n), view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) view.setBigInt64(8 * i, BigInt(t.data[i]!), true);
  return out;
}

/** TensorProto: dims 1, data_type 2, name 8, raw_data 9. */
function tensorProto(t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.intField(1, d);
  w.intField(2, DATA_TYPE[t.dataType]);
  w.stringField(8, t.name);
  w.bytesField(9, rawData(t));
  return w;
}

/** AttributeProto: name 1, f 2, i 3, s 4, ints 8, strings 9, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7, STRINGS 8). */
function attributeProto(a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter();
  w.stringField(1, a.name);
  if ("int" in a) {
    w.intField(3, a.int);
    w.intField(20, 2);
  } else if ("float" in a) {
    w.floatField(2, a.float);
    w.intField(20, 1);
  } else if ("string" in a) {
    w.stringField(4, a.string);
    w.intField(20, 3);
  } else if ("ints" in a) {
    for (const v of a.ints) w.intField(8, v);
    w.intField(20, 7);
  } else {
    for (const s of a.strings) w.stringField(9, s);
    w.intField(20, 8);
  }
  return w;
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5. */
function nodeProto(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const a of n.attributes) w.messageField(5, attributeProto(a));
  return w;
}

/** ValueInfoProto { name 1, type 2: TypeProto { tensor_type 1: { elem_type 1, shape 2: { dim 1: { dim_value 1 | dim_param 2 } } } } }. */
function valueInfoProto(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === "number") dim.intField(1, d);
    else dim.stringField(2, d);
    shape.messageField(1, dim);
  }
  const tensorType = new ProtoWriter();
  tensorType.intField(1, DATA_TYPE[v.dataType]);
  tensorType.messageField(2, shape);
  const type = new ProtoWriter();
  type.messageField(1, tensorType);
  const w = new ProtoWriter();
  w.stringField(1, v.name);
  w.messageField(2, type);
  if (v.doc !== undefined) w.stringField(3, v.doc);
  return w;
}

/** GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12. */
function graphProto(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.messageField(1, nodeProto(n));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.messageField(5, tensorProto(t));
  if (g.doc !== undefined) w.stringField(10, g.doc);
  for (const v of g.inputs) w.messageField(11, valueInfoProto(v));
  for (const v of g.outputs) w.messageField(12, valueInfoProto(v));
  return w;
}

/**
 * ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7,
 * opset_import 8 (OperatorSetIdProto { domain 1 = "" (the default ONNX domain), version 2 }), metadata_props 14.
 */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.intField(1, m.irVersion);
  w.stringField(2, m.producerName);
  if (m.producerVersion !== undefined) w.stringField(3, m.producerVersion);
  if (m.doc !== undefined) w.stringField(6, m.doc);
  w.messageField(7, graphProto(m.graph));
  const opset = new ProtoWriter();
  opset.stringField(1, "");
  opset.intField(2, m.opsetVersion);
  w.messageField(8, opset);
  for (const [key, value] of Object.entries(m.metadata ?? {})) {
    const entry = new ProtoWriter();
    entry.stringField(1, key);
    entry.stringField(2, value);
    w.messageField(14, entry);
  }
  return w.finish();
}
