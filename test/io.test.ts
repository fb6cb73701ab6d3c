import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  Adam, Embedding, GRU, LSTM, Linear, ModelFileError, ParamStore, SGD, ShapeError, Vocab, fromSafetensors, loadModel,
  saveModel, seededRng, toSafetensors,
} from "../src/index.js";
import type { ModelFileContent, RecurrentConfig, StateDict } from "../src/index.js";
import { decodeUtf8, encodeUtf8, isWellFormed } from "../src/io/utf8.js";
import { loadModelFile, modelFileFormat, saveModelFile } from "../src/node.js";
import { expectClose, readFixture, toTensor } from "./helpers.js";
import type { FixtureTensor } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixturePath = (name: string): string => join(here, "fixtures", "safetensors", name);
const fixtureBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(fixturePath(name)));
/** RECURRENT_TS_WRITE_FIXTURES=1 rewrites the TS-written fixture instead of comparing with it (then run the Python script). */
const WRITE_FIXTURES = process.env["RECURRENT_TS_WRITE_FIXTURES"] === "1";

function expectSameBytes(what: string, actual: Uint8Array, expected: Uint8Array): void {
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  if (i < n || actual.length !== expected.length) {
    expect.fail(`${what}: ${actual.length} bytes vs ${expected.length} expected; first difference at byte ${i}`);
  }
}

/** Calls `f`, which must throw a ModelFileError from `where` whose message matches `re` (never a bare engine error). */
function expectFileError(f: () => unknown, re: RegExp, where = "fromSafetensors"): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) expect.fail(`expected a ModelFileError matching ${re}, but nothing was thrown`);
  expectCleanError(thrown, where);
  expect((thrown as Error).message).toMatch(re);
}

/** A ModelFileError from `where` that one of the explicit checks raised (not the wrapper around an unforeseen engine error). */
function expectCleanError(e: unknown, where: string): void {
  if (!(e instanceof ModelFileError)) expect.fail(`expected a ModelFileError, got ${String(e)}`);
  if (!e.message.startsWith(`${where}: `) || /internal error/.test(e.message)) expect.fail(`not a clean ${where} error: ${e.message}`);
}

/** XORs one to three random bytes of `b` with random non-zero values. */
function flipBytes(b: Uint8Array, rng: ReturnType<typeof seededRng>): void {
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const i = rng.int(b.length);
    b[i] = b[i]! ^ (1 + rng.int(255));
  }
}

/** The bits of float32 values, so -0 / 0 and every value compare exactly. */
const bits = (data: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(data).buffer));

// ---------------------------------------------------------------------------------------------------------------------
// safetensors
// ---------------------------------------------------------------------------------------------------------------------

/** A safetensors file from a header (object or raw text) and data bytes, with an optional header-size override. */
function craft(header: object | string, data: ArrayLike<number> = [], size?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, size ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(Array.from(data), 8 + text.length);
  return out;
}
const f32le = (...values: number[]): number[] => Array.from(new Uint8Array(new Float32Array(values).buffer));
const entry = (shape: number[], begin: number, end: number, dtype = "F32"): object => ({ dtype, shape, data_offsets: [begin, end] });

describe("safetensors: the byte layout", () => {
  // From the reference implementation's own tests (safetensors/src/tensor.rs: test_serialization, test_empty,
  // test_serialization_forced_alignement): the exact bytes its serialize() writes.
  it("writes the reference implementation's bytes for its test vectors", () => {
    const t = { shape: [1, 2, 3], data: [0, 1, 2, 3, 4, 5] };
    expect(Array.from(toSafetensors({ "attn.0": t }))).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    expect(Array.from(toSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(toSafetensors({}, { framework: "pt" }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
    expect(Array.from(toSafetensors({ attn0: { shape: [1, 1, 2, 3], data: [0, 1, 2, 3, 4, 5] } }))).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
      121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
      91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
      115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
      32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
      160, 64,
    ]);
  });

  it("sorts tensors by name in code-point order, as Rust compares strings (not UTF-16 order)", () => {
    const one = { shape: [1], data: [1] };
    const bytes = toSafetensors({ "\u{10000}": one, "\uffff": one, b: one, a: one, B: one });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(Object.keys(JSON.parse(header) as object)).toEqual(["B", "a", "b", "\uffff", "\u{10000}"]);
    // offsets follow the same order
    expect(fromSafetensors(bytes).tensors["\u{10000}"]).toEqual({ shape: [1], data: [1] });
    expect(n % 8).toBe(0);
  });

  it("a ParamStore writes the same bytes as its stateDict(); values round-trip bit for bit, -0 included", () => {
    const { store } = tsModel();
    expectSameBytes("store vs stateDict", toSafetensors(store), toSafetensors(store.stateDict()));
    const odd = [-0, 0, 2 ** -149, -(2 ** -126), 3.4028234663852886e38, -1.5, Math.fround(0.1)];
    const back = fromSafetensors(toSafetensors({ w: { shape: [7], data: odd }, s: { shape: [], data: [7] }, e: { shape: [2, 0], data: [] } }));
    expect(bits(back.tensors["w"]!.data)).toEqual(bits(odd));
    expect(back.tensors["s"]).toEqual({ shape: [], data: [7] });
    expect(back.tensors["e"]).toEqual({ shape: [2, 0], data: [] });
    expect(back.metadata).toEqual({});
    // numbers that are not float32 are rounded to float32, as the Float32Array they come from would hold them
    expect(fromSafetensors(toSafetensors({ w: { shape: [1], data: [0.1] } })).tensors["w"]!.data).toEqual([Math.fround(0.1)]);
  });

  it("reads from an ArrayBuffer and from a Uint8Array view at an offset into a larger buffer", () => {
    const bytes = toSafetensors({ w: { shape: [2], data: [1, 2] } }, { format: "pt" });
    expect(fromSafetensors(bytes.slice().buffer).tensors["w"]!.data).toEqual([1, 2]);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expect(fromSafetensors(big.subarray(3)).metadata).toEqual({ format: "pt" });
  });
});

interface TorchLstmFixture {
  metadata: Record<string, string>;
  state_dict: Record<string, FixtureTensor>;
  input: FixtureTensor;
  output: FixtureTensor;
}

/** The model of gen_safetensors_fixtures.py in recurrent-ts: rnn = LSTM(4, 6, 2 layers, bidirectional), fc = Linear(12, 3). */
function tsModel(seed = 7) {
  const store = new ParamStore(seed);
  const rnn = new LSTM({ inputSize: 4, hiddenSize: 6, numLayers: 2, bidirectional: true, name: "rnn" }, store);
  const fc = new Linear({ inputSize: 12, outputSize: 3, name: "fc" }, store);
  return { store, forward: (x: FixtureTensor) => fc.forward(rnn.forward(toTensor(x)).output) };
}

describe("safetensors: PyTorch → recurrent-ts (files written by test/fixtures/gen_safetensors_fixtures.py)", () => {
  const fx = readFixture<TorchLstmFixture>("safetensors/torch_lstm.json");
  const bytes = fixtureBytes("torch_lstm.safetensors");

  it("reads exactly the values PyTorch stored, under PyTorch's keys, with the metadata", () => {
    const { tensors, metadata } = fromSafetensors(bytes);
    expect(metadata).toEqual(fx.metadata);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(fx.state_dict).sort());
    for (const [k, e] of Object.entries(fx.state_dict)) expect(tensors[k], k).toEqual(e);
  });

  it("the weights load into LSTM + Linear (strict) and give PyTorch's output", () => {
    const { store, forward } = tsModel(99);
    store.loadStateDict(fromSafetensors(bytes).tensors);
    const out = forward(fx.input);
    expect(out.shape).toEqual(fx.output.shape);
    expectClose("output", out.data, fx.output.data);
  });

  it("writing the tensors and metadata back gives PyTorch's file byte for byte (the reference layout)", () => {
    const { tensors, metadata } = fromSafetensors(bytes);
    expectSameBytes("torch_lstm.safetensors", toSafetensors(tensors, metadata), bytes);
  });

  it("reads F64 (rounded to float32), F16 and BF16 (exact), scalars and empty tensors as PyTorch converts them", () => {
    const expected = readFixture<{ tensors: Record<string, FixtureTensor & { dtype: string }> }>("safetensors/torch_dtypes.json").tensors;
    const { tensors, metadata } = fromSafetensors(fixtureBytes("torch_dtypes.safetensors"));
    expect(metadata).toEqual({ format: "pt", note: "dtype coverage" });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(expected).sort());
    expect(new Set(Object.values(expected).map((t) => t.dtype))).toEqual(new Set(["F64", "F32", "F16", "BF16"]));
    for (const [k, e] of Object.entries(expected)) {
      expect(tensors[k]!.shape, k).toEqual(e.shape);
      expect(bits(tensors[k]!.data), k).toEqual(bits(e.data)); // -0, subnormals and the largest values exactly
    }
  });

  it("refuses a file with an I64 tensor (BatchNorm's num_batches_tracked), naming the tensor and dtype", () => {
    expectFileError(() => fromSafetensors(fixtureBytes("torch_batchnorm.safetensors")),
      /tensor "bn.num_batches_tracked" has dtype I64, which recurrent-ts does not read \(it reads F32, F64, F16, BF16\)/);
  });
});

describe("safetensors: recurrent-ts → PyTorch", () => {
  it("toSafetensors writes the committed ts_lstm.safetensors, which the Python script reads strictly, loads with strict=True and rewrites to the same bytes", () => {
    const bytes = toSafetensors(tsModel().store, { format: "pt" });
    if (WRITE_FIXTURES) writeFileSync(fixturePath("ts_lstm.safetensors"), bytes);
    expectSameBytes("ts_lstm.safetensors", bytes, fixtureBytes("ts_lstm.safetensors"));
  });

  it("PyTorch loaded exactly our values, and its output with them matches our forward pass", () => {
    const fx = readFixture<TorchLstmFixture>("safetensors/torch_lstm.json");
    const torch = readFixture<Omit<TorchLstmFixture, "input">>("safetensors/ts_lstm_torch.json");
    const { store, forward } = tsModel();
    expect(torch.metadata).toEqual({ format: "pt" });
    const ours = store.stateDict();
    expect(Object.keys(torch.state_dict)).toEqual(Object.keys(ours)); // PyTorch's key order is the store's
    for (const [k, e] of Object.entries(torch.state_dict)) expect(e, k).toEqual(ours[k]);
    const out = forward(fx.input);
    expectClose("output", out.data, torch.output.data);
  });
});

describe("safetensors: writing checks everything first", () => {
  const w = (data: number[], shape = [data.length]) => ({ shape, data });
  it("names the tensor and the problem", () => {
    expect(() => toSafetensors({ a: w([1, NaN], [1, 2]) })).toThrow(/toSafetensors: tensor "a" must hold finite numbers, got NaN at \[0, 1\]/);
    expect(() => toSafetensors({ a: w([1e39]) })).toThrow(/tensor "a" must hold finite numbers, got 1e\+39 \(beyond float32's range\) at \[0\]/);
    expect(() => toSafetensors({ a: w([1, 2, 3, 4, 5], [2, 3]) })).toThrow(/tensor "a" must hold 6 values for shape \[2, 3\], got 5/);
    expect(() => toSafetensors({ a: w([1, 2], [2, -1]) })).toThrow(TypeError);
    expect(() => toSafetensors({ a: { shape: [1], data: "1" } } as never)).toThrow(/tensor "a": data must be an array of numbers, got string/);
    expect(() => toSafetensors({ a: { shape: [1], data: ["1"] } } as never)).toThrow(/must hold finite numbers, got string at \[0\]/);
    expect(() => toSafetensors({ __metadata__: w([1]) })).toThrow(/"__metadata__" is reserved/);
    expect(() => toSafetensors({ "\ud800x": w([1]) })).toThrow(/lone surrogate/);
    expect(() => toSafetensors({ params: [{ name: "p", shape: [1], value: [1] }, { name: "p", shape: [1], value: [2] }] })).toThrow(/two tensors are named "p"/);
    expect(() => toSafetensors({ a: w([1]) }, { format: 1 } as never)).toThrow(/metadata\["format"\] must be a string, got number/);
    expect(() => toSafetensors(null as never)).toThrow(TypeError);
    expect(() => fromSafetensors("bytes" as never)).toThrow(/fromSafetensors: expected a Uint8Array or ArrayBuffer, got string/);
  });

  it("'__proto__', 'constructor' and friends are ordinary tensor names both ways", () => {
    const dict: StateDict = JSON.parse('{"__proto__":{"shape":[1],"data":[1]},"constructor":{"shape":[2],"data":[2,3]}}') as StateDict;
    const { tensors } = fromSafetensors(toSafetensors(dict));
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Object.keys(tensors).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(tensors, "__proto__")?.value).toEqual({ shape: [1], data: [1] });
    expect(tensors["constructor"]).toEqual({ shape: [2], data: [2, 3] });
  });
});

describe("safetensors: reading trusts nothing", () => {
  const ok = { a: entry([2], 0, 8) };
  const two = f32le(1, 2);

  it("accepts a well-formed hand-made file, in any header order, with or without padding", () => {
    const file = craft({ b: entry([1], 8, 12), __metadata__: { k: "v" }, a: entry([2], 0, 8) }, f32le(1, 2, 3));
    expect(fromSafetensors(file)).toEqual({ tensors: { b: { shape: [1], data: [3] }, a: { shape: [2], data: [1, 2] } }, metadata: { k: "v" } });
    expect(fromSafetensors(craft('{"__metadata__":null,"a":' + JSON.stringify(ok.a) + "}   ", two)).metadata).toEqual({});
    // a name given twice counts once, the last time (JSON.parse and the reference reader agree)
    expect(fromSafetensors(craft('{"a":{"dtype":"F32","shape":[9],"data_offsets":[0,36]},"a":' + JSON.stringify(ok.a) + "}", two)).tensors["a"]!.data).toEqual([1, 2]);
  });

  it("the size field and the header", () => {
    expectFileError(() => fromSafetensors(new Uint8Array(5)), /the file is 5 bytes, shorter than the 8-byte header size/);
    expectFileError(() => fromSafetensors(craft(ok, two, 1000n)), /the header size 1000 runs past the end of the file \(\d+ bytes follow the size\)/);
    expectFileError(() => fromSafetensors(craft(ok, two, 2n ** 60n)), /the header size 1152921504606846976 runs past the end/);
    expectFileError(() => fromSafetensors(craft("[1, 2]", two)), /the header must be a JSON object starting with '\{'/);
    expectFileError(() => fromSafetensors(craft(" {}")), /starting with '\{'/);
    const badUtf8 = craft('{"a\u00ff":1}');
    badUtf8[11] = 0xff; // the first byte of ÿ's two-byte form, now alone
    expectFileError(() => fromSafetensors(badUtf8), /the header is not valid UTF-8 \(invalid UTF-8: byte 0xFF at 11 cannot start a character\)/);
    expectFileError(() => fromSafetensors(craft('{"a": ', two)), /the header is not valid JSON/);
    expectFileError(() => fromSafetensors(craft({ __metadata__: { k: 1 } })), /__metadata__\["k"\] must be a string, got number/);
    expectFileError(() => fromSafetensors(craft({ __metadata__: ["x"] })), /__metadata__ must be an object of strings, got array/);
  });

  it("each tensor entry: kind, fields, dtype, shape, offsets", () => {
    expectFileError(() => fromSafetensors(craft({ a: 3 })), /tensor "a" must be \{ dtype, shape, data_offsets \}, got number/);
    expectFileError(() => fromSafetensors(craft({ a: { dtype: "F32", shape: [2] } }, two)), /tensor "a" has no data_offsets/);
    expectFileError(() => fromSafetensors(craft({ a: { ...ok.a, strides: [1] } }, two)), /tensor "a" has an unexpected field "strides"/);
    expectFileError(() => fromSafetensors(craft({ a: entry([2], 0, 8, "F33") }, two)), /tensor "a" has unknown dtype "F33"/);
    expectFileError(() => fromSafetensors(craft({ a: entry([2], 0, 8, "toString") }, two)), /tensor "a" has unknown dtype "toString"/);
    expectFileError(() => fromSafetensors(craft({ a: entry([1], 0, 8, "I64") }, two)), /tensor "a" has dtype I64, which recurrent-ts does not read/);
    expectFileError(() => fromSafetensors(craft({ a: { ...ok.a, dtype: 4 } }, two)), /tensor "a": dtype must be a string such as "F32", got number/);
    for (const shape of [[-1], [1.5], "2", [2 ** 53]]) {
      expectFileError(() => fromSafetensors(craft({ a: { ...ok.a, shape } }, two)), /tensor "a": shape must be an array of non-negative integers/);
    }
    expectFileError(() => fromSafetensors(craft({ a: { ...ok.a, shape: [2 ** 26, 2 ** 26] } }, two)), /tensor "a": shape \[67108864, 67108864\] is too large/);
    for (const offsets of [[0], [0, "8"], [0, 8, 9], [-8, 0], null]) {
      expectFileError(() => fromSafetensors(craft({ a: { ...ok.a, data_offsets: offsets } }, two)), /tensor "a": data_offsets must be \[begin, end\] in bytes/);
    }
    expectFileError(() => fromSafetensors(craft({ a: entry([2], 8, 0) }, two)), /tensor "a": data_offsets \[8, 0\] end before they begin/);
    expectFileError(() => fromSafetensors(craft({ a: entry([2], 0, 4) }, two)), /tensor "a": data_offsets \[0, 4\] hold 4 bytes but shape \[2\] of F32 needs 8/);
    expectFileError(() => fromSafetensors(craft({ a: entry([2], 0, 8, "F64") }, two)), /hold 8 bytes but shape \[2\] of F64 needs 16/);
  });

  it("the offsets together: in range, no gap, no overlap, no trailing bytes", () => {
    const three = f32le(1, 2, 3);
    expectFileError(() => fromSafetensors(craft({ a: entry([1], 0, 4), b: entry([1], 8, 12) }, three)), /bytes \[4, 8\) of the data belong to no tensor \(before "b"\); tensors must be contiguous/);
    expectFileError(() => fromSafetensors(craft({ a: entry([1], 4, 8), b: entry([1], 8, 12) }, three)), /bytes \[0, 4\) of the data belong to no tensor \(before "a"\)/);
    expectFileError(() => fromSafetensors(craft({ a: entry([2], 0, 8), b: entry([2], 4, 12) }, three)), /tensor "b" data_offsets \[4, 12\] overlap tensor "a", which ends at byte 8/);
    expectFileError(() => fromSafetensors(craft({ a: entry([2], 0, 8), b: entry([1], 8, 12) }, two)), /tensor "b" ends at byte 12 of the data, past its end \(the data section has 8 bytes\)/);
    expectFileError(() => fromSafetensors(craft({ a: entry([1], 0, 4) }, two)), /the tensors end at byte 4 of the data but the data section has 8 bytes; the last tensor must end where the file ends/);
    expectFileError(() => fromSafetensors(craft({}, two)), /the tensors end at byte 0 of the data but the data section has 8 bytes/);
  });

  it("the values: finite, also after F64 → float32", () => {
    expectFileError(() => fromSafetensors(craft({ a: entry([2, 2], 0, 16) }, f32le(1, 2, NaN, 4))), /tensor "a" holds NaN at \[1, 0\]; weights must be finite/);
    expectFileError(() => fromSafetensors(craft({ a: entry([1], 0, 4) }, f32le(-Infinity))), /tensor "a" holds -Infinity at \[0\]/);
    const f64 = Array.from(new Uint8Array(new Float64Array([1, 1e300]).buffer));
    expectFileError(() => fromSafetensors(craft({ a: entry([2], 0, 16, "F64") }, f64)), /tensor "a" holds 1e\+300 at \[1\], beyond float32's range/);
    expectFileError(() => fromSafetensors(craft({ a: entry([2], 0, 4, "F16") }, [0x00, 0x3c, 0x00, 0x7c])), /tensor "a" holds Infinity at \[1\]/);
    expectFileError(() => fromSafetensors(craft({ a: entry([1], 0, 2, "BF16") }, [0xc0, 0x7f])), /tensor "a" holds NaN at \[0\]/);
  });

  it("a file cut at any byte, or with random bytes changed, fails with a clean ModelFileError or reads consistently", () => {
    const bytes = fixtureBytes("torch_dtypes.safetensors"); // small, and every readable dtype
    for (let n = 0; n < bytes.length; n++) expectFileError(() => fromSafetensors(bytes.subarray(0, n)), /./);
    const rng = seededRng(11);
    let read = 0, refused = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const b = bytes.slice();
      flipBytes(b, rng);
      let got: ReturnType<typeof fromSafetensors>;
      try {
        got = fromSafetensors(b);
      } catch (e) {
        expectCleanError(e, "fromSafetensors");
        refused++;
        continue;
      }
      read++;
      for (const [k, t] of Object.entries(got.tensors)) {
        expect(t.data.length, k).toBe(t.shape.reduce((a, d) => a * d, 1));
        expect(t.data.every(Number.isFinite), k).toBe(true);
      }
      expect(fromSafetensors(toSafetensors(got.tensors, got.metadata))).toEqual(got);
    }
    expect(read).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// model files
// ---------------------------------------------------------------------------------------------------------------------

/** A character GRU with Adam state after two steps, a vocabulary and extras with awkward keys and characters. */
function sampleContent(): ModelFileContent {
  const store = new ParamStore(3);
  new Embedding({ numEmbeddings: 5, embeddingDim: 3, name: "emb" }, store);
  new GRU({ inputSize: 3, hiddenSize: 4, name: "rnn" }, store);
  new Linear({ inputSize: 4, outputSize: 5, name: "fc" }, store);
  const adam = new Adam({ lr: 0.01, betas: [0.8, 0.99] });
  const rng = seededRng(4);
  for (let s = 0; s < 2; s++) {
    for (let i = 0; i < store.grads.length; i++) store.grads[i] = rng.normal();
    adam.step(store.values, store.grads);
  }
  const extra = JSON.parse('{"epoch":3,"loss":1.25,"__proto__":{"polluted":true},"notes":"ünïcode ✓ 😀","nested":{"a":[1,null,true,"x"]}}') as Record<string, never>;
  return {
    format: "recurrent-ts",
    version: 1,
    config: { kind: "char-gru", vocabSize: 5, embeddingDim: 3, hiddenSize: 4, layers: [{ type: "gru", bidirectional: false }], dropout: 0.1, tied: null },
    weights: store.stateDict(),
    vocab: { tokens: ["<pad>", "a", "b", "é", "😀"] },
    optimizer: adam.getState(),
    extra,
  };
}

/** Splits a binary model file into its header (parsed) and its float32 data. */
function parseBinary(bytes: Uint8Array): { version: number; H: number; header: Record<string, unknown>; data: Float32Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const H = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + H))) as Record<string, unknown>;
  const data = new Float32Array((bytes.length - 12 - H) / 4);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(12 + H + 4 * i, true);
  return { version: view.getUint32(4, true), H, header, data };
}

/** A binary file from header text and data bytes (the header padded to a multiple of 4 unless told otherwise). */
function buildBinary(headerText: string, data: Uint8Array, pad = true, version = 1): Uint8Array {
  let text = new TextEncoder().encode(headerText);
  if (pad && text.length % 4 !== 0) text = new TextEncoder().encode(headerText + " ".repeat(4 - (text.length % 4)));
  const out = new Uint8Array(12 + text.length + data.length);
  out.set([0x52, 0x54, 0x53, 0x4d]);
  new DataView(out.buffer).setUint32(4, version, true);
  new DataView(out.buffer).setUint32(8, text.length, true);
  out.set(text, 12);
  out.set(data, 12 + text.length);
  return out;
}

/** The same file with its header changed by `edit` (on the parsed object, or on the text). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void): Uint8Array {
  const { H, header } = parseBinary(bytes);
  edit(header);
  return buildBinary(JSON.stringify(header), bytes.subarray(12 + H));
}

/** What a loaded file must be: sizes that match, finite values, and a content that saves and loads to itself. */
function expectConsistent(c: ModelFileContent): void {
  for (const [k, w] of Object.entries(c.weights)) {
    if (w.data.length !== w.shape.reduce((a, d) => a * d, 1) || !w.data.every(Number.isFinite)) expect.fail(`weights[${k}] is inconsistent`);
  }
  for (const [k, b] of Object.entries(c.optimizer?.buffers ?? {})) {
    if (b.length !== c.optimizer!.size || !b.every(Number.isFinite)) expect.fail(`optimizer.buffers.${k} is inconsistent`);
  }
  const again = saveModel(c, { format: "binary" });
  if (saveModel(loadModel(again), { format: "binary" }).join() !== again.join()) expect.fail("save → load → save changed the file");
}

describe("model files: round trips", () => {
  const content = sampleContent();

  it.each(["json", "binary"] as const)("%s: save → load gives the content back, weights and optimizer buffers bit for bit", (format) => {
    const file = saveModel(content, { format });
    expect(typeof file).toBe(format === "json" ? "string" : "object");
    const back = loadModel(file);
    expect(back).toEqual(content);
    for (const [k, w] of Object.entries(content.weights)) expect(bits(back.weights[k]!.data), k).toEqual(bits(w.data));
    for (const [k, b] of Object.entries(content.optimizer!.buffers)) expect(bits(back.optimizer!.buffers[k]!), k).toEqual(bits(b));
    expect(Object.getPrototypeOf(back.extra)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back.extra, "__proto__")?.value).toEqual({ polluted: true });
    // the JSON text as bytes (what a file holds) loads the same, with or without a byte-order mark
    if (format === "json") {
      expect(loadModel(new TextEncoder().encode(file as string))).toEqual(content);
      expect(loadModel(new TextEncoder().encode("\ufeff" + (file as string)).buffer)).toEqual(content);
    }
  });

  it("what comes back resumes training exactly: same weights in a fresh model, same Adam step afterwards", () => {
    const back = loadModel(saveModel(content, { format: "binary" }));
    const fresh = new ParamStore(12345);
    new Embedding({ numEmbeddings: 5, embeddingDim: 3, name: "emb" }, fresh);
    new GRU({ inputSize: 3, hiddenSize: 4, name: "rnn" }, fresh);
    new Linear({ inputSize: 4, outputSize: 5, name: "fc" }, fresh);
    fresh.loadStateDict(back.weights);
    const restored = new Adam();
    restored.setState(back.optimizer);
    const original = new Adam();
    original.setState(content.optimizer);
    const values = Float32Array.from(Object.values(content.weights).flatMap((w) => w.data));
    expect(bits(fresh.values)).toEqual(bits(values));
    const grads = Float32Array.from({ length: values.length }, (_, i) => Math.sin(i));
    restored.step(fresh.values, grads);
    original.step(values, grads);
    expect(bits(fresh.values)).toEqual(bits(values));
  });

  it("typed configs and a Vocab's toJSON() go in as they are (no casts) and come back equal", () => {
    const config: RecurrentConfig = { inputSize: 3, hiddenSize: 4, numLayers: 1, name: "rnn" };
    const vocab = Vocab.fromText("hello, world");
    const lstm = new LSTM(config);
    const file = saveModel({ format: "recurrent-ts", version: 1, config, weights: lstm.stateDict(), vocab: vocab.toJSON() }, { format: "binary" });
    const back = loadModel(file);
    expect(back.config).toEqual(config);
    expect(Vocab.fromJSON(back.vocab).toJSON()).toEqual(vocab.toJSON());
    expect(() => saveModel({ format: "recurrent-ts", version: 1, config, weights: {}, vocab }, { format: "json" })).toThrow(/vocab must be a plain object or array, got Vocab \(call its toJSON\(\) first\)/);
  });

  it("-0 round-trips in both formats (JSON writes \"-0\"); other numbers are rounded to float32 on saving", () => {
    const c: ModelFileContent = { format: "recurrent-ts", version: 1, config: null, weights: { w: { shape: [5], data: [-0, 0, 0.1, 2 ** -149, -3.4028234663852886e38] } } };
    for (const format of ["json", "binary"] as const) {
      const w = loadModel(saveModel(c, { format })).weights["w"]!.data;
      expect(Object.is(w[0], -0), format).toBe(true);
      expect(Object.is(w[1], 0), format).toBe(true);
      expect(w.slice(2), format).toEqual([Math.fround(0.1), 2 ** -149, -3.4028234663852886e38]);
    }
    expect(saveModel(c, { format: "json" })).toContain('"data":[-0,0,0.10000000149011612,1.401298464324817e-45,-3.4028234663852886e+38]');
  });

  it("the smallest file: no optional fields, no weights; an optimizer saved before its first step", () => {
    const c: ModelFileContent = { format: "recurrent-ts", version: 1, config: "tiny", weights: {} };
    expect(saveModel(c, { format: "json" })).toBe('{\n"format":"recurrent-ts",\n"version":1,\n"config":"tiny",\n"weights":{}\n}\n');
    expect(loadModel(saveModel(c, { format: "binary" }))).toEqual(c);
    expect(loadModel(saveModel(c, { format: "json" }))).toEqual(c);
    const fresh = { ...c, optimizer: new SGD({ lr: 0.1, momentum: 0.9 }).getState() };
    for (const format of ["json", "binary"] as const) {
      const back = loadModel(saveModel(fresh, { format }));
      expect(back).toEqual(fresh);
      expect(() => new SGD({ lr: 1 }).setState(back.optimizer)).not.toThrow();
    }
  });

  it("binary layout: RTSM, u32 version, u32 header length (a multiple of 4), JSON header with offsets, then float32 LE", () => {
    const bytes = saveModel(content, { format: "binary" });
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x52, 0x54, 0x53, 0x4d]);
    const { version, H, header, data } = parseBinary(bytes);
    expect(version).toBe(1);
    expect(H % 4).toBe(0);
    expect(bytes.length).toBe(12 + H + 4 * data.length);
    expect(Object.keys(header)).toEqual(["format", "version", "config", "vocab", "extra", "weights", "optimizer"]);
    // weights in order, then the optimizer buffers, contiguous from 0
    const expected: number[] = [];
    let at = 0;
    for (const [k, w] of Object.entries(content.weights)) {
      expect((header["weights"] as Record<string, unknown>)[k], k).toEqual({ shape: w.shape, offset: at, length: w.data.length });
      expected.push(...w.data);
      at += w.data.length;
    }
    const opt = header["optimizer"] as { buffers: Record<string, unknown>; options: unknown };
    expect(opt.options).toEqual(content.optimizer!.options);
    for (const [k, b] of Object.entries(content.optimizer!.buffers)) {
      expect(opt.buffers[k], k).toEqual({ offset: at, length: b.length });
      expected.push(...b);
      at += b.length;
    }
    expect(bits(data)).toEqual(bits(expected));
  });
});

describe("model files: saving checks everything first", () => {
  const base = (): ModelFileContent => ({ format: "recurrent-ts", version: 1, config: { a: 1 }, weights: { w: { shape: [2, 2], data: [1, 2, 3, 4] } } });
  const save = (c: unknown, format: "json" | "binary" = "json") => () => saveModel(c as ModelFileContent, { format });

  it("fields and kinds", () => {
    expect(save({ ...base(), foo: 1 })).toThrow(/saveModel: content has unexpected field "foo" \(the fields are format, version, config, weights, vocab, optimizer, extra\)/);
    expect(save({ ...base(), config: undefined })).toThrow(/saveModel: content is missing config/);
    expect(save({ ...base(), vocab: undefined })).not.toThrow(); // undefined is absent, as JSON would have it
    expect(save({ ...base(), version: 2 })).toThrow(/version 2 is not supported/);
    expect(save({ ...base(), format: "onnx" })).toThrow(/format must be "recurrent-ts", got "onnx"/);
    expect(save({ ...base(), weights: [] })).toThrow(/weights must be an object of \{ shape, … \} entries, got array/);
    expect(save({ ...base(), extra: [1] })).toThrow(/extra must be an object of JSON values, got array/);
    expect(() => saveModel(base(), { format: "yaml" } as never)).toThrow(/options.format must be "json" or "binary", got "yaml"/);
    expect(() => saveModel(base(), { format: "json", indent: 2 } as never)).toThrow(/unknown option 'indent'/);
  });

  it("weights: shape, length, finite float32 values", () => {
    const c = base();
    c.weights["w"]!.data[3] = NaN;
    expect(save(c)).toThrow(RangeError);
    expect(save(c)).toThrow(/saveModel: weights\["w"\].data must hold finite float32 values, got NaN at \[1, 1\]/);
    c.weights["w"]!.data[3] = 1e39;
    expect(save(c, "binary")).toThrow(/got 1e\+39 \(beyond float32's range\) at \[1, 1\]/);
    expect(save({ ...base(), weights: { w: { shape: [2, 3], data: [1, 2, 3, 4] } } })).toThrow(ShapeError);
    expect(save({ ...base(), weights: { w: { shape: [2, 3], data: [1, 2, 3, 4] } } })).toThrow(/weights\["w"\].data must hold 6 values for shape \[2, 3\], got 4/);
    expect(save({ ...base(), weights: { w: { shape: "2x2", data: [1, 2, 3, 4] } } })).toThrow(/weights\["w"\].shape must be an array of non-negative integers, got "2x2"/);
    expect(save({ ...base(), weights: { w: { shape: [1], data: [1], grad: [0] } } })).toThrow(/weights\["w"\] has unexpected field "grad"/);
    // a Float32Array holds float32 values already: accepted as data
    expect(loadModel(save({ ...base(), weights: { w: { shape: [2], data: new Float32Array([1, 2]) } } })() as string).weights["w"]!.data).toEqual([1, 2]);
  });

  it("config, vocab and extra must be plain JSON data", () => {
    expect(save({ ...base(), config: { dropout: NaN } })).toThrow(/config.dropout must be a finite number \(JSON has no NaN\), got NaN/);
    expect(save({ ...base(), config: { a: [1, undefined] } })).toThrow(/config.a\[1\] must be JSON data, got undefined/);
    expect(save({ ...base(), vocab: { when: new Date(0) } })).toThrow(/vocab.when must be a plain object or array, got Date \(call its toJSON\(\) first\)/);
    expect(save({ ...base(), config: { m: new Map() } })).toThrow(/config.m must be a plain object or array, got Map/);
    expect(save({ ...base(), extra: { "odd key": () => 1 } })).toThrow(/extra\["odd key"\] must be JSON data, got function/);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic["self"] = { back: cyclic };
    expect(save({ ...base(), config: cyclic })).toThrow(/config.self.back refers back to an object that contains it/);
    // the same object twice (not a cycle) is fine
    const shared = { x: 1 };
    expect(save({ ...base(), config: { a: shared, b: shared } })).not.toThrow();
  });

  it("optimizer: the structure of an OptimizerState", () => {
    const c = sampleContent();
    expect(save({ ...c, optimizer: { ...c.optimizer, kind: "Lion" } })).toThrow(/optimizer.kind must be one of SGD, RMSprop, Adagrad, Adam, AdamW, got "Lion"/);
    expect(save({ ...c, optimizer: { ...c.optimizer, step: -1 } })).toThrow(/optimizer.step must be an integer ≥ 0, got -1/);
    expect(save({ ...c, optimizer: { ...c.optimizer, options: { lr: Infinity } } })).toThrow(/optimizer.options.lr must be a finite number, a boolean or an array of finite numbers, got null/);
    expect(save({ ...c, optimizer: { ...c.optimizer, buffers: { expAvg: [1, 2] } } })).toThrow(/optimizer.buffers.expAvg must hold 148 values for shape \[148\], got 2/);
    expect(save({ ...c, optimizer: { ...c.optimizer, momentum: 0.9 } })).toThrow(/optimizer has unexpected field "momentum"/);
  });
});

describe("model files: loading trusts nothing", () => {
  const content = sampleContent();
  const bytes = saveModel(content, { format: "binary" });
  const json = saveModel(content, { format: "json" });
  const load = (data: string | Uint8Array) => () => loadModel(data);
  const expectLoadError = (data: string | Uint8Array, re: RegExp) => expectFileError(load(data), re, "loadModel");

  it("what the file is: magic, version, header length, alignment, other formats", () => {
    const wrongMagic = bytes.slice();
    wrongMagic[3] = 0x4e; // RTSN
    expectLoadError(wrongMagic, /not a recurrent-ts model file: it starts neither with "RTSM" \(binary\) nor with '\{' \(JSON\)/);
    expectLoadError(withHeader(bytes, () => undefined).map((b, i) => (i === 4 ? 2 : b)), /format version 2 is not supported \(this recurrent-ts reads version 1\)/);
    const longHeader = bytes.slice();
    new DataView(longHeader.buffer).setUint32(8, 1_000_000, true);
    expectLoadError(longHeader, /the header length 1000000 runs past the end of the file \(\d+ bytes follow the first 12\)/);
    expectLoadError(buildBinary('{"x":1}', new Uint8Array(0), false), /the header length 7 must be a multiple of 4/);
    expectLoadError(bytes.subarray(0, 7), /the file is 7 bytes, shorter than the 12-byte start of a binary model file/);
    expectLoadError(new Uint8Array(0), /the file is empty/);
    expectLoadError(" \n\t", /the file is empty/);
    expectLoadError(new TextDecoder("latin1").decode(bytes), /this is a binary model file read as text, which corrupts it; pass its bytes/);
    expectLoadError(toSafetensors({ w: { shape: [1], data: [1] } }), /this looks like a safetensors file .*; read it with fromSafetensors/);
    expectLoadError(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]), /the file is not valid UTF-8 JSON \(invalid UTF-8: byte 0xFF at 2/);
    expectLoadError(json.slice(0, -20), /the file is not valid JSON/);
    expect(() => loadModel(42 as never)).toThrow(TypeError);
  });

  it("the binary data section: length, coverage, overlap, non-finite values", () => {
    expectLoadError(bytes.subarray(0, bytes.length - 1), /the data after the header is \d+ bytes, not a whole number of float32 values/);
    expectLoadError(bytes.subarray(0, bytes.length - 4), /optimizer.buffers.expAvgSq covers float32 values \[296, 444\) but the data holds 443/);
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expectLoadError(longer, /the data holds 445 float32 values but the weights and buffers cover 444/);
    const nan = bytes.slice();
    const { H } = parseBinary(bytes);
    new DataView(nan.buffer).setUint32(12 + H + 4 * 4, 0x7fc00000, true); // emb.weight [5, 3] element 4
    expectLoadError(nan, /weights\["emb.weight"\] holds NaN at \[1, 1\]; values must be finite/);
    expectLoadError(withHeader(bytes, (h) => { h.weights["rnn.weight_hh_l0"].offset = 0; }), /weights\["rnn.weight_hh_l0"\] \[0, 48\) overlaps weights\["emb.weight"\], which ends at 15/);
    expectLoadError(withHeader(bytes, (h) => { h.weights["fc.bias"].offset = 10_000; }), /weights\["fc.bias"\] covers float32 values \[10000, 10005\) but the data holds 444/);
    expectLoadError(withHeader(bytes, (h) => { h.weights["fc.bias"].length = 4; }), /weights\["fc.bias"\].length is 4 but shape \[5\] has 5 elements/);
    expectLoadError(withHeader(bytes, (h) => { h.weights["fc.bias"].offset = -1; }), /weights\["fc.bias"\].offset must be a non-negative integer, got -1/);
    expectLoadError(withHeader(bytes, (h) => { h.weights["fc.bias"].length = "5"; }), /weights\["fc.bias"\].length must be a non-negative integer, got "5"/);
    expectLoadError(withHeader(bytes, (h) => { h.optimizer.buffers.expAvg.length = 5; }), /optimizer.buffers.expAvg.length is 5 but shape \[148\] has 148 elements/);
    expectLoadError(withHeader(bytes, (h) => { h.optimizer.buffers.expAvg = [1]; }), /optimizer.buffers.expAvg must be \{ offset, length \}, got array/);
    expectLoadError(withHeader(bytes, (h) => { delete h.weights["fc.bias"]; }), /float32 values \[143, 148\) of the data belong to nothing \(before optimizer.buffers.expAvg\)/);
    const badUtf8 = bytes.slice();
    badUtf8[12 + H - 1] = 0xc3; // the last padding byte starts a character that never ends
    expectLoadError(badUtf8, /the header is not valid UTF-8 \(invalid UTF-8: the character starting at byte \d+ is cut off\)/);
    expectLoadError(buildBinary("[1,2]", new Uint8Array(0)), /the model file must be \{ format, version, config, weights, … \}, got array/);
    expectLoadError(buildBinary("{", new Uint8Array(0)), /the header is not valid JSON/);
  });

  it("fields, names and kinds, in both formats", () => {
    const edits: Array<[(h: Record<string, any>) => void, RegExp]> = [
      [(h) => { delete h.config; }, /the model file is missing config/],
      [(h) => { delete h.weights; delete h.format; }, /the model file is missing format, weights/],
      [(h) => { h.extra2 = 1; }, /the model file has unexpected field "extra2" \(the fields are format, version, config, weights, vocab, optimizer, extra\)/],
      [(h) => { h.format = "recurrent-js"; }, /format must be "recurrent-ts", got "recurrent-js"/],
      [(h) => { h.version = 2; }, /version 2 is not supported \(this recurrent-ts reads version 1\)/],
      [(h) => { h.version = "1"; }, /version must be a number, got string/],
      [(h) => { h.weights = [1]; }, /weights must be an object of \{ shape, … \} entries, got array/],
      [(h) => { h.weights["fc.bias"] = null; }, /weights\["fc.bias"\] must be \{ shape, (data|offset, length) \}, got null/],
      [(h) => { h.weights["fc.bias"].shape = "5"; }, /weights\["fc.bias"\].shape must be an array of non-negative integers, got "5"/],
      [(h) => { h.weights["fc.bias"].shape = [6]; }, /weights\["fc.bias"\](\.data must hold 6 values for shape \[6\], got 5|\.length is 5 but shape \[6\] has 6 elements)/],
      [(h) => { h.weights["fc.bias"].requires_grad = true; }, /weights\["fc.bias"\] has unexpected field "requires_grad"/],
      [(h) => { h.extra = "x"; }, /extra must be an object of JSON values, got string/],
      [(h) => { h.optimizer.kind = 7; }, /optimizer.kind must be one of SGD, RMSprop, Adagrad, Adam, AdamW, got 7/],
      [(h) => { h.optimizer.size = 1.5; }, /optimizer.size must be an integer ≥ 0, got 1.5/],
      [(h) => { delete h.optimizer.buffers; }, /optimizer is missing buffers/],
      [(h) => { h.optimizer.options.betas = [0.9, "x"]; }, /optimizer.options.betas must be a finite number, a boolean or an array of finite numbers, got \[0.9,"x"\]/],
    ];
    for (const [edit, re] of edits) {
      expectLoadError(withHeader(bytes, edit), re);
      const doc = JSON.parse(json) as Record<string, any>;
      edit(doc);
      expectLoadError(JSON.stringify(doc), re);
    }
    // JSON-format data arrays
    const doc = (): Record<string, any> => JSON.parse(json) as Record<string, any>;
    const d1 = doc(); d1.weights["fc.bias"].data[2] = "0.5";
    expectLoadError(JSON.stringify(d1), /weights\["fc.bias"\].data must hold numbers, got string at \[2\]/);
    const d2 = doc(); d2.weights["fc.bias"].data[4] = 1e39;
    expectLoadError(JSON.stringify(d2), /weights\["fc.bias"\].data must hold finite float32 values, got 1e\+39 \(beyond float32's range\) at \[4\]/);
    const d3 = doc(); d3.optimizer.buffers.expAvgSq = { offset: 0, length: 148 };
    expectLoadError(JSON.stringify(d3), /optimizer.buffers.expAvgSq must be an array of numbers, got object/);
    // a top-level "__proto__" is an unexpected field, not a prototype; as a weight name it is an ordinary name
    expectLoadError(json.replace('"format"', '"__proto__":{},"format"'), /the model file has unexpected field "__proto__"/);
    const named = loadModel(json.replace('"fc.bias":', '"__proto__":'));
    expect(Object.getPrototypeOf(named.weights)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(named.weights, "__proto__")?.value).toEqual(content.weights["fc.bias"]);
    expect(loadModel(saveModel(named, { format: "binary" }))).toEqual(named);
  });

  it("a binary file cut at any byte always fails with a clean ModelFileError", () => {
    for (let n = 0; n < bytes.length; n++) expectFileError(load(bytes.subarray(0, n)), /./, "loadModel");
  });

  it("random bytes changed (seeded): a clean ModelFileError or a consistent file, never a bare engine error", () => {
    const rng = seededRng(2024);
    let loaded = 0, refused = 0;
    for (let trial = 0; trial < 1000; trial++) {
      const b = bytes.slice();
      flipBytes(b, rng);
      let c: ModelFileContent;
      try {
        c = loadModel(b);
      } catch (e) {
        expectCleanError(e, "loadModel");
        refused++;
        continue;
      }
      loaded++;
      expectConsistent(c);
    }
    expect(loaded).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it("a JSON file cut at any character fails cleanly (or, cut only in its final newline, loads)", () => {
    for (let n = 0; n < json.length; n += 1 + (n > 600 ? 7 : 0)) {
      let c: ModelFileContent;
      try {
        c = loadModel(json.slice(0, n));
      } catch (e) {
        expectCleanError(e, "loadModel");
        continue;
      }
      expect(n).toBe(json.length - 1);
      expect(c).toEqual(content);
    }
  });
});

describe("UTF-8 (src/io/utf8.ts) agrees with the platform's TextEncoder and strict TextDecoder", () => {
  it("random byte strings: the same text, or an error exactly when TextDecoder (fatal) refuses", () => {
    const rng = seededRng(5);
    const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    // bytes drawn so that valid multi-byte forms are common: lead bytes, continuations and ASCII
    const pool = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    let valid = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const b = Uint8Array.from({ length: 1 + rng.int(6) }, () => (rng.int(2) === 0 ? pool[rng.int(pool.length)]! : rng.int(256)));
      let expected: string | undefined, got: string | undefined;
      try { expected = strict.decode(b); } catch { expected = undefined; }
      try { got = decodeUtf8(b); } catch (e) { if (!(e instanceof RangeError)) throw e; }
      if (got !== expected) expect.fail(`[${Array.from(b).join(", ")}]: decodeUtf8 gave ${JSON.stringify(got)}, TextDecoder ${JSON.stringify(expected)}`);
      if (expected !== undefined) valid++;
    }
    expect(valid).toBeGreaterThan(200);
  });

  it("strings with every kind of character, and lone surrogates refused", () => {
    const text = "a\u0000\u007f\u0080é\u07ff\u0800€\ud7ff\ue000\uffff😀\u{10ffff}" + "x".repeat(20000) + "é".repeat(9000);
    expect(Array.from(encodeUtf8(text))).toEqual(Array.from(new TextEncoder().encode(text)));
    expect(decodeUtf8(encodeUtf8(text))).toBe(text);
    expect(decodeUtf8(encodeUtf8("abc€"), 1, 3)).toBe("bc");
    for (const bad of ["\ud800", "a\udc00", "\ud83d\ud83d", "x\ud83d"]) {
      expect(isWellFormed(bad)).toBe(false);
      expect(() => encodeUtf8(bad)).toThrow(/lone surrogate/);
    }
    expect(isWellFormed("😀é")).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// recurrent-ts/node
// ---------------------------------------------------------------------------------------------------------------------

describe("recurrent-ts/node: model files on disk", () => {
  const dir = mkdtempSync(join(tmpdir(), "recurrent-ts-io-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const content = sampleContent();

  it("chooses the format by extension (.json, any case → JSON; anything else → binary) unless told", async () => {
    expect([modelFileFormat("m.json"), modelFileFormat("M.JSON"), modelFileFormat("m.rtsm"), modelFileFormat("json")]).toEqual(["json", "json", "binary", "binary"]);
    await saveModelFile(join(dir, "a.json"), content);
    await saveModelFile(join(dir, "a.rtsm"), content);
    await saveModelFile(join(dir, "b.bin"), content, { format: "json" });
    expect(readFileSync(join(dir, "a.json"), "utf8")).toBe(saveModel(content, { format: "json" }));
    expectSameBytes("a.rtsm", new Uint8Array(readFileSync(join(dir, "a.rtsm"))), saveModel(content, { format: "binary" }));
    expect(readFileSync(join(dir, "b.bin"), "utf8").startsWith("{")).toBe(true);
    for (const f of ["a.json", "a.rtsm", "b.bin"]) expect(await loadModelFile(join(dir, f)), f).toEqual(content);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a bad file names its path; bad content touches nothing on disk", async () => {
    writeFileSync(join(dir, "bad.rtsm"), saveModel(content, { format: "binary" }).subarray(0, 40));
    await expect(loadModelFile(join(dir, "bad.rtsm"))).rejects.toThrow(ModelFileError);
    await expect(loadModelFile(join(dir, "bad.rtsm"))).rejects.toThrow(/bad\.rtsm: loadModel: the header length \d+ runs past the end/);
    await expect(loadModelFile(join(dir, "missing.json"))).rejects.toThrow(/ENOENT/);
    await expect(saveModelFile(join(dir, "nan.json"), { ...content, config: NaN })).rejects.toThrow(/saveModel: config must be a finite number/);
    expect(existsSync(join(dir, "nan.json"))).toBe(false);
    expect(existsSync(join(dir, "nan.json.tmp"))).toBe(false);
  });
});
