/**
 * recurrent-ts model files: a model's architecture (`config`, opaque here), its weights and, optionally, its
 * vocabulary, optimizer state and anything else, in one versioned file, as JSON text or as a compact binary.
 *
 * JSON ("json"): one document, a top-level field per line and a weight per line:
 *
 *   {
 *   "format":"recurrent-ts",
 *   "version":1,
 *   "config":{…},
 *   "vocab":…,                                      only when given, as are extra and optimizer
 *   "extra":{…},
 *   "weights":{
 *   "rnn.weight_ih_l0":{"shape":[24,4],"data":[0.12345678,…]},
 *   …
 *   },
 *   "optimizer":{"kind":"Adam","step":3,"size":330,"options":{…},"buffers":{"expAvg":[…],"expAvgSq":[…]}}
 *   }
 *
 * Binary ("binary"), every integer little-endian:
 *
 *   bytes [0, 4)        magic "RTSM" (52 54 53 4D)
 *   bytes [4, 8)        format version, u32: 1
 *   bytes [8, 12)       H, the header's length in bytes, u32, a multiple of 4
 *   bytes [12, 12+H)    the header: UTF-8 JSON, the document above with the numbers taken out: a weight is
 *                       {"shape":[24,4],"offset":0,"length":96} and an optimizer buffer {"offset":330,"length":330},
 *                       offset and length counted in float32 values from the start of the data; spaces pad it to H
 *   bytes [12+H, end)   the data: float32, little-endian, the weights in header order and then the optimizer buffers,
 *                       contiguous, covering the rest of the file exactly (so it starts 4-byte aligned)
 *
 * Weights and optimizer buffers are float32 values. Saving rounds other numbers to float32, so both formats hold
 * the same values and a save → load gives them back bit for bit, -0 included (the JSON writes "-0"). NaN and ±∞
 * are refused in both directions. `config`, `vocab` and `extra` must be plain JSON data; they go through
 * JSON.stringify, which writes -0 as 0.
 */
import { ShapeError, describeKind, formatShape, unravel } from "../errors.js";
import type { OptimizerKind, OptimizerState } from "../optim/optimizer.js";
import type { StateDict } from "../params/state-dict.js";
import { decodeUtf8, encodeUtf8 } from "./utf8.js";

/** Any value JSON can hold. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/** "json": one readable text document; "binary": a JSON header followed by raw float32 data. */
export type ModelFileFormat = "json" | "binary";

/** Everything a model file holds. `config` is the architecture, in whatever shape the model's code wants it. */
export interface ModelFileContent {
  format: "recurrent-ts";
  version: 1;
  config: JSONValue;
  weights: StateDict;
  vocab?: JSONValue;
  optimizer?: OptimizerState;
  extra?: Record<string, JSONValue>;
}

/**
 * What saveModel takes: a ModelFileContent, or anything shaped like one. `config`, `vocab` and `extra` may be any
 * plain JSON data, typed as you like: an interface such as VocabJSON or RecurrentConfig has no index signature, so
 * TypeScript would not let it stand for JSONValue; saveModel checks them when saving instead. Weights may hold
 * Float32Arrays.
 */
export interface ModelFileInput {
  readonly format: "recurrent-ts";
  readonly version: 1;
  readonly config: unknown;
  readonly weights: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: readonly number[] | Float32Array | Float64Array }>>;
  readonly vocab?: unknown;
  readonly optimizer?: OptimizerState;
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface SaveModelOptions {
  readonly format: ModelFileFormat;
}

/** The version this code writes, and the only one it reads. */
export const MODEL_FILE_VERSION: 1 = 1;

/** A file (model file or safetensors) that cannot be read: the message names the field or tensor and the problem. */
export class ModelFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModelFileError";
  }
}

/**
 * The file of `content`: a string for "json", bytes for "binary". Checks all of `content` first, as loadModel
 * would check the file (fields, kinds, shapes, finite float32 values, plain-JSON config/vocab/extra), so what is
 * saved always loads; a TypeError, ShapeError or RangeError names the field otherwise.
 */
export function saveModel(content: ModelFileInput, options: { readonly format: "json" }): string;
export function saveModel(content: ModelFileInput, options: { readonly format: "binary" }): Uint8Array;
export function saveModel(content: ModelFileInput, options: SaveModelOptions): string | Uint8Array;
export function saveModel(content: ModelFileInput, options: SaveModelOptions): string | Uint8Array {
  const where = "saveModel";
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options must be { format: "json" | "binary" }, got ${describeKind(options)}`);
  for (const k of Object.keys(options)) if (k !== "format") throw new TypeError(`${where}: unknown option '${k}'; the options are format`);
  const format: unknown = options.format;
  if (format !== "json" && format !== "binary") throw new TypeError(`${where}: options.format must be "json" or "binary", got ${JSON.stringify(format) ?? describeKind(format)}`);
  const c = readContent(arrayReader(where, false), content);
  return format === "json" ? jsonText(c) : binaryBytes(c);
}

/**
 * Reads a model file: a JSON string, or bytes of either format (told apart by the magic "RTSM"). Trusts nothing:
 * the magic, version, header length, UTF-8, JSON, every field and its kind, every shape, offset and length (in range,
 * contiguous, covering the data exactly) and every value are checked before anything is returned, and each problem
 * is a ModelFileError naming the field. Keys such as "__proto__" are ordinary names.
 */
export function loadModel(data: string | Uint8Array | ArrayBuffer): ModelFileContent {
  const where = "loadModel";
  const input = typeof data === "string" ? data : asBytes(where, data);
  try {
    if (typeof input === "string") return loadJsonText(where, input);
    if (input.length >= 4 && input[0] === 0x52 && input[1] === 0x54 && input[2] === 0x53 && input[3] === 0x4d) return loadBinary(where, input);
    return loadJsonBytes(where, input);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    // every check is meant to come first; this only keeps an unforeseen engine error from leaking out bare
    throw new ModelFileError(`${where}: internal error while reading the file: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Uint8Array (a Node Buffer too) or ArrayBuffer → Uint8Array; anything else is a TypeError. */
export function asBytes(where: string, bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new TypeError(`${where}: expected a Uint8Array or ArrayBuffer, got ${describeKind(bytes)}`);
}

/** Sets an own, enumerable key: "__proto__" becomes an entry, never the object's prototype. */
export function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---- reading ----

const MAGIC = "RTSM";
const PREAMBLE_BYTES = 12;
const FIELDS: readonly string[] = ["format", "version", "config", "weights", "vocab", "optimizer", "extra"];
const REQUIRED: readonly string[] = ["format", "version", "config", "weights"];
const OPTIMIZER_FIELDS: readonly string[] = ["kind", "step", "size", "options", "buffers"];
const OPTIMIZER_KINDS: Record<OptimizerKind, true> = { SGD: true, RMSprop: true, Adagrad: true, Adam: true, AdamW: true };

function loadJsonText(where: string, text: string): ModelFileContent {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a byte-order mark is not JSON
  if (body.startsWith(MAGIC)) throw new ModelFileError(`${where}: this is a binary model file read as text, which corrupts it; pass its bytes (a Uint8Array)`);
  expectJsonObjectStart(where, body.length, (i) => body.charCodeAt(i));
  return readContent(arrayReader(where, true), parseJson(where, "the file", body));
}

function loadJsonBytes(where: string, bytes: Uint8Array): ModelFileContent {
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) {
    throw new ModelFileError(`${where}: this looks like a safetensors file (an 8-byte header size, then '{'); read it with fromSafetensors`);
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  expectJsonObjectStart(where, bytes.length - bom, (i) => bytes[bom + i]!);
  let text: string;
  try {
    text = decodeUtf8(bytes, bom);
  } catch (e) {
    throw new ModelFileError(`${where}: the file is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  return loadJsonText(where, text);
}

/** The first character after JSON whitespace must be '{': otherwise this is no model file of either format. */
function expectJsonObjectStart(where: string, length: number, at: (i: number) => number): void {
  let i = 0;
  while (i < length && (at(i) === 0x20 || at(i) === 0x0a || at(i) === 0x0d || at(i) === 0x09)) i++;
  if (i === length) throw new ModelFileError(`${where}: the file is empty`);
  if (at(i) !== 0x7b) {
    throw new ModelFileError(`${where}: not a recurrent-ts model file: it starts neither with "${MAGIC}" (binary) nor with '{' (JSON)`);
  }
}

function loadBinary(where: string, bytes: Uint8Array): ModelFileContent {
  const fail = (msg: string): ModelFileError => new ModelFileError(`${where}: ${msg}`);
  const n = bytes.length;
  if (n < PREAMBLE_BYTES) throw fail(`the file is ${n} bytes, shorter than the ${PREAMBLE_BYTES}-byte start of a binary model file (magic, version, header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== MODEL_FILE_VERSION) throw fail(`format version ${version} is not supported (this recurrent-ts reads version ${MODEL_FILE_VERSION})`);
  const H = view.getUint32(8, true);
  if (H > n - PREAMBLE_BYTES) throw fail(`the header length ${H} runs past the end of the file (${n - PREAMBLE_BYTES} bytes follow the first ${PREAMBLE_BYTES})`);
  if (H % 4 !== 0) throw fail(`the header length ${H} must be a multiple of 4, so that the float32 data after it is aligned`);
  let text: string;
  try {
    text = decodeUtf8(bytes, PREAMBLE_BYTES, PREAMBLE_BYTES + H);
  } catch (e) {
    throw fail(`the header is not valid UTF-8 (${(e as Error).message})`);
  }
  const header = parseJson(where, "the header", text);
  const dataStart = PREAMBLE_BYTES + H, dataBytes = n - dataStart;
  if (dataBytes % 4 !== 0) throw fail(`the data after the header is ${dataBytes} bytes, not a whole number of float32 values`);
  const reader = binaryReader(where, view, dataStart, dataBytes / 4);
  const content = readContent(reader, header);
  reader.checkCoverage();
  return content;
}

function parseJson(where: string, what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFileError(`${where}: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

/** How a tensor's float32 values are found: in a JSON array, or at an offset into the binary data. */
interface Reader {
  readonly where: string;
  readonly loading: boolean;
  /** The fields of a weight entry besides `shape`. */
  readonly dataFields: readonly string[];
  /** Saving: TypeError / RangeError / ShapeError (the caller's values are wrong). Loading: ModelFileError. */
  error(kind: "type" | "range" | "shape", message: string): Error;
  /** The values of a weight's entry, checked against `shape`. */
  weightData(path: string, entry: Record<string, unknown>, shape: readonly number[]): number[];
  /** The values of an optimizer buffer of `size` elements. */
  bufferData(path: string, value: unknown, size: number): number[];
}

function makeError(where: string, loading: boolean) {
  return (kind: "type" | "range" | "shape", message: string): Error => {
    const m = `${where}: ${message}`;
    if (loading) return new ModelFileError(m);
    return kind === "type" ? new TypeError(m) : kind === "shape" ? new ShapeError(m) : new RangeError(m);
  };
}

/** Values held as arrays: what saveModel is given (typed arrays allowed) and what the JSON format holds. */
function arrayReader(where: string, loading: boolean): Reader {
  const error = makeError(where, loading);
  const floats = (path: string, data: unknown, shape: readonly number[]): number[] => {
    const typed = !loading && (data instanceof Float32Array || data instanceof Float64Array);
    if (!Array.isArray(data) && !typed) throw error("type", `${path} must be an array of numbers, got ${describeKind(data)}`);
    const arr = data as ArrayLike<unknown>;
    const count = shapeCount(shape);
    if (arr.length !== count) throw error("shape", `${path} must hold ${count} values for shape ${formatShape(shape)}, got ${arr.length}`);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const v = arr[i];
      if (typeof v !== "number") throw error("type", `${path} must hold numbers, got ${describeKind(v)} at ${formatShape(unravel(i, shape))}`);
      const f = Math.fround(v);
      if (!Number.isFinite(f)) {
        throw error("range", `${path} must hold finite float32 values, got ${v}${Number.isFinite(v) ? " (beyond float32's range)" : ""} at ${formatShape(unravel(i, shape))}`);
      }
      out[i] = f;
    }
    return Array.from(out);
  };
  return {
    where, loading, error, dataFields: ["data"],
    weightData: (path, entry, shape) => floats(`${path}.data`, entry["data"], shape),
    bufferData: (path, value, size) => floats(path, value, [size]),
  };
}

/** Values in the binary data section, found through { offset, length } in float32 elements. */
function binaryReader(where: string, view: DataView, dataStart: number, total: number): Reader & { checkCoverage(): void } {
  const error = makeError(where, true);
  const ranges: Array<{ path: string; begin: number; end: number }> = [];
  const floats = (path: string, spec: Record<string, unknown>, shape: readonly number[]): number[] => {
    const { offset, length } = spec;
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw error("type", `${path}.offset must be a non-negative integer, got ${JSON.stringify(offset) ?? describeKind(offset)}`);
    if (!Number.isSafeInteger(length) || (length as number) < 0) throw error("type", `${path}.length must be a non-negative integer, got ${JSON.stringify(length) ?? describeKind(length)}`);
    const begin = offset as number, count = length as number;
    const expected = shapeCount(shape);
    if (count !== expected) throw error("shape", `${path}.length is ${count} but shape ${formatShape(shape)} has ${expected} elements`);
    if (begin + count > total) throw error("range", `${path} covers float32 values [${begin}, ${begin + count}) but the data holds ${total}`);
    ranges.push({ path, begin, end: begin + count });
    const out = new Float32Array(count);
    for (let i = 0, p = dataStart + 4 * begin; i < count; i++, p += 4) {
      const v = view.getFloat32(p, true);
      if (!Number.isFinite(v)) throw error("range", `${path} holds ${v} at ${formatShape(unravel(i, shape))}; values must be finite`);
      out[i] = v;
    }
    return Array.from(out);
  };
  return {
    where, loading: true, error, dataFields: ["offset", "length"],
    weightData: (path, entry, shape) => floats(path, entry, shape),
    bufferData: (path, value, size) => {
      const spec = expectObject(error, path, value, "{ offset, length }");
      expectFields(error, path, spec, ["offset", "length"], ["offset", "length"]);
      return floats(path, spec, [size]);
    },
    checkCoverage: () => {
      ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
      let at = 0, previous = "";
      for (const r of ranges) {
        if (r.begin > at) throw error("range", `float32 values [${at}, ${r.begin}) of the data belong to nothing (before ${r.path})`);
        if (r.begin < at) throw error("range", `${r.path} [${r.begin}, ${r.end}) overlaps ${previous}, which ends at ${at}`);
        at = r.end;
        previous = r.path;
      }
      if (at !== total) throw error("range", `the data holds ${total} float32 values but the weights and buffers cover ${at}`);
    },
  };
}

/** Checks a whole document (a parsed file, or what saveModel was given) and builds a fresh ModelFileContent from it. */
function readContent(r: Reader, doc: unknown): ModelFileContent {
  const e = r.error;
  const top = expectObject(e, r.loading ? "the model file" : "content", doc, "{ format, version, config, weights, … }");
  expectFields(e, r.loading ? "the model file" : "content", top, FIELDS, REQUIRED, !r.loading);

  const format = top["format"];
  if (format !== "recurrent-ts") throw e("range", `format must be "recurrent-ts", got ${JSON.stringify(format) ?? describeKind(format)}`);
  const version = top["version"];
  if (typeof version !== "number") throw e("type", `version must be a number, got ${describeKind(version)}`);
  if (version !== MODEL_FILE_VERSION) throw e("range", `version ${version} is not supported (this recurrent-ts reads version ${MODEL_FILE_VERSION})`);

  const config = top["config"];
  if (!r.loading) checkJson(e, "config", config, []);

  const weightsIn = expectObject(e, "weights", top["weights"], "an object of { shape, … } entries");
  const weights: StateDict = {};
  for (const [name, value] of Object.entries(weightsIn)) {
    const path = `weights[${JSON.stringify(name)}]`;
    const entry = expectObject(e, path, value, `{ shape, ${r.dataFields.join(", ")} }`);
    expectFields(e, path, entry, ["shape", ...r.dataFields], ["shape", ...r.dataFields]);
    const shape = expectShapeArray(e, `${path}.shape`, entry["shape"]);
    define(weights, name, { shape, data: r.weightData(path, entry, shape) });
  }

  const out: ModelFileContent = { format: "recurrent-ts", version: MODEL_FILE_VERSION, config: config as JSONValue, weights };
  const vocab = top["vocab"];
  if (vocab !== undefined) {
    if (!r.loading) checkJson(e, "vocab", vocab, []);
    out.vocab = vocab as JSONValue;
  }
  const extra = top["extra"];
  if (extra !== undefined) {
    const x = expectObject(e, "extra", extra, "an object of JSON values");
    if (!r.loading) checkJson(e, "extra", x, []);
    out.extra = x as Record<string, JSONValue>;
  }
  const optimizer = top["optimizer"];
  if (optimizer !== undefined) out.optimizer = readOptimizer(r, optimizer);
  return out;
}

/** The structure of an OptimizerState; its options' meaning is the optimizer's to check (setState does). */
function readOptimizer(r: Reader, value: unknown): OptimizerState {
  const e = r.error;
  const o = expectObject(e, "optimizer", value, "{ kind, step, size, options, buffers }");
  expectFields(e, "optimizer", o, OPTIMIZER_FIELDS, OPTIMIZER_FIELDS);
  const kind = o["kind"];
  if (typeof kind !== "string" || !Object.hasOwn(OPTIMIZER_KINDS, kind)) {
    throw e("range", `optimizer.kind must be one of ${Object.keys(OPTIMIZER_KINDS).join(", ")}, got ${JSON.stringify(kind) ?? describeKind(kind)}`);
  }
  const step = o["step"], size = o["size"];
  if (!Number.isSafeInteger(step) || (step as number) < 0) throw e("range", `optimizer.step must be an integer ≥ 0, got ${JSON.stringify(step) ?? describeKind(step)}`);
  if (!Number.isSafeInteger(size) || (size as number) < 0) throw e("range", `optimizer.size must be an integer ≥ 0, got ${JSON.stringify(size) ?? describeKind(size)}`);

  const options: OptimizerState["options"] = {};
  for (const [k, v] of Object.entries(expectObject(e, "optimizer.options", o["options"], "an object"))) {
    const path = `optimizer.options${prop(k)}`;
    if (typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) define(options, k, v);
    else if (Array.isArray(v) && v.every((x) => typeof x === "number" && Number.isFinite(x))) define(options, k, [...(v as number[])]);
    else throw e("type", `${path} must be a finite number, a boolean or an array of finite numbers, got ${JSON.stringify(v) ?? describeKind(v)}`);
  }
  const buffers: OptimizerState["buffers"] = {};
  for (const [k, v] of Object.entries(expectObject(e, "optimizer.buffers", o["buffers"], "an object of arrays"))) {
    define(buffers, k, r.bufferData(`optimizer.buffers${prop(k)}`, v, size as number));
  }
  return { kind: kind as OptimizerKind, step: step as number, size: size as number, options, buffers };
}

type MakeError = Reader["error"];

function expectObject(e: MakeError, path: string, v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) throw e("type", `${path} must be ${what}, got ${describeKind(v)}`);
  return v as Record<string, unknown>;
}

/** Every own key of `obj` is in `allowed` and every one of `required` is there. `skipUndefined`: a key set to undefined counts as absent. */
function expectFields(e: MakeError, path: string, obj: Record<string, unknown>, allowed: readonly string[], required: readonly string[], skipUndefined = false): void {
  const keys = Object.keys(obj).filter((k) => !(skipUndefined && obj[k] === undefined));
  const unexpected = keys.filter((k) => !allowed.includes(k));
  if (unexpected.length > 0) {
    throw e("type", `${path} has unexpected field${unexpected.length > 1 ? "s" : ""} ${unexpected.map((k) => JSON.stringify(k)).join(", ")} (the fields are ${allowed.join(", ")})`);
  }
  const missing = required.filter((k) => !keys.includes(k));
  if (missing.length > 0) throw e("type", `${path} is missing ${missing.join(", ")}`);
}

function expectShapeArray(e: MakeError, path: string, v: unknown): number[] {
  if (!Array.isArray(v) || !v.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw e("type", `${path} must be an array of non-negative integers, got ${JSON.stringify(v) ?? describeKind(v)}`);
  }
  if (!Number.isSafeInteger(4 * shapeCount(v as number[]))) throw e("range", `${path} ${formatShape(v as number[])} is too large`);
  return [...(v as number[])];
}

function shapeCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Saving only: `v` is plain JSON data that JSON.stringify writes as it is (no NaN, undefined, class instances, cycles). */
function checkJson(e: MakeError, path: string, v: unknown, parents: object[]): void {
  if (v === null || typeof v === "string" || typeof v === "boolean") return;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw e("range", `${path} must be a finite number (JSON has no ${v}), got ${v}`);
    return;
  }
  if (typeof v !== "object") throw e("type", `${path} must be JSON data, got ${describeKind(v)}`);
  if (parents.includes(v)) throw e("type", `${path} refers back to an object that contains it; JSON cannot hold a cycle`);
  parents.push(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) checkJson(e, `${path}[${i}]`, v[i], parents);
  } else {
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      const name = ArrayBuffer.isView(v) ? v.constructor.name : (proto as { constructor?: { name?: string } }).constructor?.name ?? "object";
      throw e("type", `${path} must be a plain object or array, got ${name}${typeof (v as { toJSON?: unknown }).toJSON === "function" ? " (call its toJSON() first)" : ""}`);
    }
    for (const [k, x] of Object.entries(v)) checkJson(e, `${path}${prop(k)}`, x, parents);
  }
  parents.pop();
}

/** ".name" or `["odd name"]`, to extend a path. */
function prop(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

// ---- writing ----

/** A float32 value as JSON: the shortest text that reads back to the same double (hence float32), "-0" for -0. */
function num(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

/** The document, given how a weight entry and an optimizer buffer are written. */
function documentText(c: ModelFileContent, weight: (shape: number[], data: number[]) => string, buffer: (data: number[]) => string): string {
  const lines = [`"format":"recurrent-ts"`, `"version":${c.version}`, `"config":${JSON.stringify(c.config)}`];
  if (c.vocab !== undefined) lines.push(`"vocab":${JSON.stringify(c.vocab)}`);
  if (c.extra !== undefined) lines.push(`"extra":${JSON.stringify(c.extra)}`);
  const ws = Object.entries(c.weights).map(([k, w]) => `${JSON.stringify(k)}:${weight(w.shape, w.data)}`);
  lines.push(`"weights":{${ws.length > 0 ? `\n${ws.join(",\n")}\n` : ""}}`);
  if (c.optimizer !== undefined) {
    const o = c.optimizer;
    const bs = Object.entries(o.buffers).map(([k, b]) => `${JSON.stringify(k)}:${buffer(b)}`);
    lines.push(`"optimizer":{"kind":${JSON.stringify(o.kind)},"step":${o.step},"size":${o.size},"options":${JSON.stringify(o.options)},"buffers":{${bs.join(",")}}}`);
  }
  return `{\n${lines.join(",\n")}\n}\n`;
}

function jsonText(c: ModelFileContent): string {
  const floats = (data: number[]): string => `[${data.map(num).join(",")}]`;
  return documentText(c, (shape, data) => `{"shape":${JSON.stringify(shape)},"data":${floats(data)}}`, floats);
}

function binaryBytes(c: ModelFileContent): Uint8Array {
  const parts: number[][] = [];
  let total = 0;
  const place = (data: number[]): string => {
    const s = `"offset":${total},"length":${data.length}`;
    parts.push(data);
    total += data.length;
    return s;
  };
  const header = encodeUtf8(documentText(c, (shape, data) => `{"shape":${JSON.stringify(shape)},${place(data)}}`, (data) => `{${place(data)}}`));
  const H = Math.ceil(header.length / 4) * 4;
  if (H > 0xffffffff) throw new RangeError(`saveModel: the header would be ${H} bytes, more than the binary format's u32 length allows`);
  const out = new Uint8Array(PREAMBLE_BYTES + H + 4 * total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, MODEL_FILE_VERSION, true);
  view.setUint32(8, H, true);
  out.set(header, PREAMBLE_BYTES);
  out.fill(0x20, PREAMBLE_BYTES + header.length, PREAMBLE_BYTES + H);
  let p = PREAMBLE_BYTES + H;
  for (const data of parts) {
    for (let i = 0; i < data.length; i++, p += 4) view.setFloat32(p, data[i]!, true);
  }
  return out;
}
