/**
 * safetensors (https://github.com/huggingface/safetensors): the weights format PyTorch and Hugging Face tools share.
 *
 *   bytes [0, 8)          N, the header's length in bytes: u64, little-endian
 *   bytes [8, 8+N)        the header: UTF-8 JSON, padded with spaces (0x20) to a multiple of 8 bytes
 *                           {"__metadata__":{"format":"pt"},
 *                            "fc.bias":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},
 *                            "fc.weight":{"dtype":"F32","shape":[3,12],"data_offsets":[12,156]}, …}
 *   bytes [8+N, end)      the data: every tensor's elements row-major and little-endian at its data_offsets [begin, end),
 *                         counted from byte 8+N; the tensors are contiguous, without gaps or overlap, and end where the
 *                         file ends
 *
 * toSafetensors writes what the reference implementation (the safetensors crate's `serialize`, which
 * `safetensors.torch.save_file` calls) writes, byte for byte: tensors sorted by name (in code-point order, as Rust
 * compares strings), `__metadata__` first and only when given, compact JSON, spaces up to a multiple of 8, F32 data.
 * fromSafetensors reads F32, F64, F16 and BF16 and checks everything the reference reader checks, and more.
 *
 * Values come back as float32 values in plain `number[]` (F64 is rounded to float32, F16 and BF16 convert exactly),
 * so the result is a `StateDict` that goes straight to `loadStateDict` or into a model file. That costs 8 bytes per
 * value while loading instead of 4, which is nothing at the sizes this library trains.
 */
import { describeKind, formatShape, unravel } from "../errors.js";
import type { StateDict, StateEntry } from "../params/state-dict.js";
import { ModelFileError, asBytes, define } from "./model-file.js";
import { decodeUtf8, encodeUtf8, isWellFormed } from "./utf8.js";

/** The dtypes fromSafetensors reads; toSafetensors writes F32 only. */
export type SafetensorsDtype = "F32" | "F64" | "F16" | "BF16";

/** One tensor to write: a shape and its row-major values (number[] or a typed array). */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** A parameter list to write, as a ParamStore has one: each parameter under its full name. */
export interface NamedParams {
  readonly params: readonly { readonly name: string; readonly shape: readonly number[]; readonly value: ArrayLike<number> }[];
}

/** What toSafetensors writes: a state dict (`store.stateDict()`, `lstm.stateDict()`, a loaded file's tensors) or a ParamStore. */
export type TensorSource = Readonly<Record<string, TensorLike>> | NamedParams;

/** A file's tensors as a StateDict of float32 values, and its `__metadata__` ({} when it has none). */
export interface SafetensorsContent {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/**
 * The safetensors file of `source` (every value as F32, rounded to float32 if it is not one already) with
 * `metadata` as its `__metadata__` (PyTorch's save_file writes { format: "pt" }; omitted when not given).
 * Checks everything before writing: names (not "__metadata__", valid Unicode, no repeats), shapes, data lengths
 * and finite values; a TypeError (wrong kind) or RangeError (wrong value or length) names the tensor.
 */
export function toSafetensors(source: TensorSource, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const where = "toSafetensors";
  const tensors = collect(where, source);
  let metaJson: string | undefined;
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
      throw new TypeError(`${where}: metadata must be an object of strings, got ${describeKind(metadata)}`);
    }
    const parts: string[] = [];
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new TypeError(`${where}: metadata[${JSON.stringify(k)}] must be a string, got ${describeKind(v)}`);
      if (!isWellFormed(k) || !isWellFormed(v)) throw new RangeError(`${where}: metadata[${JSON.stringify(k)}] holds a lone surrogate, which UTF-8 cannot encode`);
      parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    metaJson = `{${parts.join(",")}}`;
  }
  tensors.sort((a, b) => compareCodePoints(a.name, b.name));

  const entries: string[] = metaJson === undefined ? [] : [`"__metadata__":${metaJson}`];
  let dataBytes = 0;
  for (const t of tensors) {
    const n = 4 * t.values.length;
    entries.push(`${JSON.stringify(t.name)}:{"dtype":"F32","shape":${JSON.stringify(t.shape)},"data_offsets":[${dataBytes},${dataBytes + n}]}`);
    dataBytes += n;
  }
  const json = encodeUtf8(`{${entries.join(",")}}`);
  const N = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + N + dataBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, N % 2 ** 32, true);
  view.setUint32(4, Math.floor(N / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + N);
  let p = 8 + N;
  for (const t of tensors) {
    for (let i = 0; i < t.values.length; i++, p += 4) view.setFloat32(p, t.values[i]!, true);
  }
  return out;
}

/**
 * Reads a safetensors file. Trusts nothing: the header size, the UTF-8 and JSON of the header, every entry's
 * fields, dtype, shape and data_offsets (in range, matching shape × dtype size, contiguous, covering the data exactly)
 * and every value (finite, also after F64 → float32) are checked, and any problem is a ModelFileError that names
 * the tensor. Tensor names are ordinary keys, "__proto__" included. A name that appears twice in the header counts
 * once, the last time (as JSON.parse and the reference reader both do).
 */
export function fromSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsContent {
  const where = "fromSafetensors";
  const u8 = asBytes(where, bytes);
  try {
    return readSafetensors(where, u8);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    // every check above is meant to come first; this only keeps an unforeseen engine error from leaking out bare
    throw new ModelFileError(`${where}: internal error while reading the file: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** The reference reader's limit on the header (100 MB): larger sizes are taken as a corrupted size field. */
const MAX_HEADER_BYTES = 100_000_000;

const ELEMENT_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
const READABLE: readonly string[] = ["F32", "F64", "F16", "BF16"] satisfies readonly SafetensorsDtype[];
const ENTRY_FIELDS: readonly string[] = ["dtype", "shape", "data_offsets"];

interface HeaderEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  readonly count: number;
  readonly begin: number;
  readonly end: number;
}

function readSafetensors(where: string, u8: Uint8Array): SafetensorsContent {
  const fail = (msg: string): ModelFileError => new ModelFileError(`${where}: ${msg}`);
  if (u8.length < 8) throw fail(`the file is ${u8.length} bytes, shorter than the 8-byte header size that starts a safetensors file`);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const N = view.getBigUint64(0, true);
  const rest = u8.length - 8;
  if (N > BigInt(rest)) throw fail(`the header size ${N} runs past the end of the file (${rest} bytes follow the size)`);
  const n = Number(N);
  if (n > MAX_HEADER_BYTES) throw fail(`the header size ${n} is over the 100 MB limit of the reference reader`);
  if (n < 2 || u8[8] !== 0x7b) throw fail(`the header must be a JSON object starting with '{' at byte 8`);

  let text: string;
  try {
    text = decodeUtf8(u8, 8, 8 + n);
  } catch (e) {
    throw fail(`the header is not valid UTF-8 (${(e as Error).message})`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw fail(`the header must be a JSON object, got ${describeKind(header)}`);

  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (value === null) continue; // the reference reads null as "no metadata"
      if (typeof value !== "object" || Array.isArray(value)) throw fail(`__metadata__ must be an object of strings, got ${describeKind(value)}`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") throw fail(`__metadata__[${JSON.stringify(k)}] must be a string, got ${describeKind(v)}`);
        define(metadata, k, v);
      }
      continue;
    }
    entries.push(readEntry(fail, name, value));
  }

  // contiguous from 0 to the end of the file, in offset order (the header's own order does not matter)
  const dataStart = 8 + n, dataBytes = u8.length - dataStart;
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0, previous = "";
  for (const e of byOffset) {
    if (e.end > dataBytes) throw fail(`tensor ${JSON.stringify(e.name)} ends at byte ${e.end} of the data, past its end (the data section has ${dataBytes} bytes)`);
    if (e.begin > at) throw fail(`bytes [${at}, ${e.begin}) of the data belong to no tensor (before ${JSON.stringify(e.name)}); tensors must be contiguous`);
    if (e.begin < at) throw fail(`tensor ${JSON.stringify(e.name)} data_offsets [${e.begin}, ${e.end}] overlap tensor ${JSON.stringify(previous)}, which ends at byte ${at}`);
    at = e.end;
    previous = e.name;
  }
  if (at !== dataBytes) throw fail(`the tensors end at byte ${at} of the data but the data section has ${dataBytes} bytes; the last tensor must end where the file ends`);

  const tensors: StateDict = {};
  const scratch = new DataView(new ArrayBuffer(4));
  for (const e of entries) {
    const values = new Float32Array(e.count);
    const base = dataStart + e.begin;
    switch (e.dtype) {
      case "F32": for (let i = 0; i < e.count; i++) values[i] = view.getFloat32(base + 4 * i, true); break;
      case "F64":
        for (let i = 0; i < e.count; i++) {
          const v = view.getFloat64(base + 8 * i, true);
          if (Number.isFinite(v) && !Number.isFinite(Math.fround(v))) {
            throw fail(`tensor ${JSON.stringify(e.name)} holds ${v} at ${formatShape(unravel(i, e.shape))}, beyond float32's range`);
          }
          values[i] = v;
        }
        break;
      case "F16": for (let i = 0; i < e.count; i++) values[i] = halfToNumber(view.getUint16(base + 2 * i, true)); break;
      case "BF16":
        for (let i = 0; i < e.count; i++) {
          scratch.setUint32(0, view.getUint16(base + 2 * i, true) << 16);
          values[i] = scratch.getFloat32(0);
        }
        break;
    }
    for (let i = 0; i < e.count; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) throw fail(`tensor ${JSON.stringify(e.name)} holds ${v} at ${formatShape(unravel(i, e.shape))}; weights must be finite`);
    }
    const entry: StateEntry = { shape: e.shape, data: Array.from(values) };
    define(tensors, e.name, entry);
  }
  return { tensors, metadata };
}

function readEntry(fail: (msg: string) => ModelFileError, name: string, value: unknown): HeaderEntry {
  const t = `tensor ${JSON.stringify(name)}`;
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw fail(`${t} must be { dtype, shape, data_offsets }, got ${describeKind(value)}`);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!ENTRY_FIELDS.includes(k)) throw fail(`${t} has an unexpected field ${JSON.stringify(k)} (an entry has dtype, shape, data_offsets)`);
  for (const k of ENTRY_FIELDS) if (!Object.hasOwn(v, k)) throw fail(`${t} has no ${k}`);

  const dtype = v["dtype"];
  if (typeof dtype !== "string") throw fail(`${t}: dtype must be a string such as "F32", got ${describeKind(dtype)}`);
  const size = Object.hasOwn(ELEMENT_BYTES, dtype) ? ELEMENT_BYTES[dtype] : undefined;
  if (size === undefined) throw fail(`${t} has unknown dtype ${JSON.stringify(dtype)}`);
  if (!READABLE.includes(dtype)) throw fail(`${t} has dtype ${dtype}, which recurrent-ts does not read (it reads ${READABLE.join(", ")})`);

  const shape = v["shape"];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`${t}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const count = dims.reduce((a, d) => a * d, 1);
  if (!Number.isSafeInteger(count * size)) throw fail(`${t}: shape ${formatShape(dims)} is too large`);

  const offsets = v["data_offsets"];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw fail(`${t}: data_offsets must be [begin, end] in bytes, non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw fail(`${t}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end - begin !== count * size) {
    throw fail(`${t}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape ${formatShape(dims)} of ${dtype} needs ${count * size}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...dims], count, begin, end };
}

interface Collected {
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

/** Reads and checks every tensor of `source` into float32 copies, before anything is written. */
function collect(where: string, source: TensorSource): Collected[] {
  if (source === null || typeof source !== "object") {
    throw new TypeError(`${where}: tensors must be a state dict { name: { shape, data } } or a ParamStore, got ${describeKind(source)}`);
  }
  const given: Array<readonly [string, unknown, unknown]> = [];
  const params: unknown = (source as { params?: unknown }).params;
  if (Array.isArray(params)) {
    for (const p of params as unknown[]) {
      const q = (p ?? {}) as { name?: unknown; shape?: unknown; value?: unknown };
      if (typeof q.name !== "string") throw new TypeError(`${where}: every parameter needs a string name, got ${describeKind(q.name)}`);
      given.push([q.name, q.shape, q.value]);
    }
  } else {
    for (const [name, entry] of Object.entries(source)) {
      if (entry === null || typeof entry !== "object") throw new TypeError(`${where}: tensor ${JSON.stringify(name)} must be { shape, data }, got ${describeKind(entry)}`);
      const e = entry as { shape?: unknown; data?: unknown };
      given.push([name, e.shape, e.data]);
    }
  }
  const seen = new Set<string>();
  const out: Collected[] = [];
  for (const [name, shape, data] of given) {
    const t = `tensor ${JSON.stringify(name)}`;
    if (name === "__metadata__") throw new RangeError(`${where}: "__metadata__" is reserved for the metadata and cannot name a tensor`);
    if (!isWellFormed(name)) throw new RangeError(`${where}: ${t} holds a lone surrogate, which UTF-8 cannot encode`);
    if (seen.has(name)) throw new RangeError(`${where}: two tensors are named ${JSON.stringify(name)}`);
    seen.add(name);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TypeError(`${where}: ${t}: shape must be an array of non-negative integers, got ${JSON.stringify(shape) ?? describeKind(shape)}`);
    }
    if (!(Array.isArray(data) || (ArrayBuffer.isView(data) && !(data instanceof DataView)))) {
      throw new TypeError(`${where}: ${t}: data must be an array of numbers, got ${describeKind(data)}`);
    }
    const dims = shape as number[];
    const arr = data as ArrayLike<unknown>;
    const count = dims.reduce((a, d) => a * d, 1);
    if (arr.length !== count) throw new RangeError(`${where}: ${t} must hold ${count} values for shape ${formatShape(dims)}, got ${arr.length}`);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const v = arr[i];
      const f = typeof v === "number" ? Math.fround(v) : NaN;
      if (!Number.isFinite(f)) {
        const got = typeof v === "number" ? (Number.isFinite(v) ? `${v} (beyond float32's range)` : String(v)) : describeKind(v);
        throw new RangeError(`${where}: ${t} must hold finite numbers, got ${got} at ${formatShape(unravel(i, dims))}`);
      }
      values[i] = f;
    }
    out.push({ name, shape: [...dims], values });
  }
  return out;
}

/** Orders strings by code point, as Rust orders the UTF-8 bytes of its Strings (UTF-16 order differs above U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    // a surrogate (U+D800–DFFF) stands for a code point above U+FFFF, so it sorts after U+E000–U+FFFF
    const hx = x >= 0xd800 && x <= 0xdfff, hy = y >= 0xd800 && y <= 0xdfff;
    if (hx !== hy) return hx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** An IEEE binary16 value; exact in float32. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;          // zero and subnormals
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}
