import { describe, expect, it } from "vitest";
import {
  expectShape, fromData, gradCheck, ParamStore, Rng, seededRng, shapeSize, ShapeError, StateDictError, tensor, toNested, zeros,
} from "../src/index.js";
import type { GradTarget, ParamInit, StateDict } from "../src/index.js";
import { expectTensor } from "../src/tensor/tensor.js";

/** The raw bits of a Float32Array, so "unchanged" means bit for bit (−0, NaN payloads and all). */
function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

const normalInit: ParamInit = (v, rng) => { for (let i = 0; i < v.length; i++) v[i] = rng.normal(); };

describe("tensor(), zeros(), fromData(), toNested(), shapeSize()", () => {
  it("tensor() infers the shape of nested arrays and copies the values into a new Float32Array", () => {
    const src = [[1, 2, 3], [4, 5, 6]];
    const t = tensor(src);
    expect(t.shape).toEqual([2, 3]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    src[0]![0] = 99;
    expect(t.data[0]).toBe(1);
    expect(tensor([[[1], [2]], [[3], [4]], [[5], [6]]]).shape).toEqual([3, 2, 1]);
    expect(tensor([0.1]).data[0]).toBe(Math.fround(0.1));
  });

  it("tensor() handles scalars and empty dimensions", () => {
    const s = tensor(5);
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([5]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor([[], []]).data.length).toBe(0);
  });

  it("tensor(flat, shape) takes any array-like and copies it", () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(t.shape).toEqual([3, 2]);
    expect(toNested(t)).toEqual([[1, 2], [3, 4], [5, 6]]);
    const f32 = Float32Array.of(1, 2, 3, 4);
    const u = tensor(f32, [2, 2]);
    expect(u.data).not.toBe(f32);
    expect(Array.from(u.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(tensor(Float64Array.of(0.5, -1), [1, 2]).data)).toEqual([0.5, -1]);
    const v = tensor(Float64Array.of(7, 8, 9));                       // a typed array alone is 1-D
    expect(v.shape).toEqual([3]);
    expect(Array.from(v.data)).toEqual([7, 8, 9]);
    const shape = [2, 2];
    const w = tensor([1, 2, 3, 4], shape);
    shape[0] = 5;
    expect(w.shape).toEqual([2, 2]);
  });

  it("tensor() reports ragged nested arrays with the depth and the lengths", () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged: expected length 2 at depth 1, got 1/);
    expect(() => tensor([[[1, 2], [3, 4]], [[5, 6]]])).toThrow(/expected length 2 at depth 1, got 1/);
    expect(() => tensor([[[1, 2], [3, 4]], [[5, 6], [7]]])).toThrow(/expected length 2 at depth 2, got 1/);
    expect(() => tensor([[1, 2], 3] as never)).toThrow(/expected length 2 at depth 1, got number/);
    expect(() => tensor([[1, 2], [3, [4]]] as never)).toThrow(TypeError);
    expect(() => tensor([[1, 2], [3, [4]]] as never)).toThrow(/expected a number at depth 2, got array/);
    expect(() => tensor([1, [2]] as never)).toThrow(/expected a number at depth 1, got array/);
  });

  it("tensor() rejects non-numbers with a TypeError and a wrong element count with a ShapeError naming both counts", () => {
    expect(() => tensor([1, "2", 3] as never, [3])).toThrow(TypeError);
    expect(() => tensor([1, "2", 3] as never, [3])).toThrow(/values\[1\] must be a number, got string/);
    expect(() => tensor([1, 2, null] as never, [3])).toThrow(/values\[2\] must be a number, got null/);
    expect(() => tensor([[1, "x"]] as never)).toThrow(/expected a number at depth 2, got string/);
    expect(() => tensor(5, [1])).toThrow(TypeError);
    const err = (() => { try { tensor([1, 2, 3, 4, 5], [2, 3]); } catch (e) { return e; } return null; })();
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as Error).name).toBe("ShapeError");
    expect((err as Error).message).toMatch(/tensor: 5 values do not fill shape \[2, 3\] \(6 elements\)/);
    expect(() => tensor([1, 2, 3, 4, 5, 6, 7], [2, 3])).toThrow(/7 values do not fill shape \[2, 3\] \(6 elements\)/);
    expect(() => tensor([1, 2], [2, -1])).toThrow(RangeError);
    expect(() => tensor([1, 2], [1.5])).toThrow(/shape must hold non-negative integers, got \[1\.5\]/);
  });

  it("zeros() and fromData(): fresh zeros vs. a no-copy wrap, both with a copy of the shape", () => {
    const shape = [2, 3];
    const z = zeros(shape);
    shape[0] = 9;
    expect(z.shape).toEqual([2, 3]);
    expect(Array.from(z.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(zeros([]).data.length).toBe(1);
    expect(zeros([4, 0]).data.length).toBe(0);

    const data = new Float32Array(6);
    const t = fromData(data, [3, 2]);
    expect(t.data).toBe(data);
    data[5] = 7;
    expect(toNested(t)).toEqual([[0, 0], [0, 0], [0, 7]]);
    expect(() => fromData(new Float32Array(5), [2, 3])).toThrow(ShapeError);
    expect(() => fromData(new Float32Array(5), [2, 3])).toThrow(/fromData: 5 values do not fill shape \[2, 3\] \(6 elements\)/);
  });

  it("toNested() inverts tensor() for every rank, including scalars and empty dimensions", () => {
    const rng = seededRng(1);
    for (const shape of [[], [1], [4], [2, 3], [2, 1, 3], [2, 3, 2, 2], [0], [3, 0]]) {
      const data = new Float32Array(shapeSize(shape)).map(() => rng.normal());
      const back = tensor(toNested(fromData(data, shape)));
      expect(back.shape, `shape ${JSON.stringify(shape)}`).toEqual(shape);
      expect(back.data).toEqual(data);
    }
    expect(toNested(tensor(3))).toBe(3);
    expect(toNested(tensor([1, 2, 3, 4, 5, 6], [2, 1, 3]))).toEqual([[[1, 2, 3]], [[4, 5, 6]]]);
    // Nested arrays cannot carry the dimensions after an empty one: [2, 0, 3] comes out as [[], []].
    expect(toNested(zeros([2, 0, 3]))).toEqual([[], []]);
  });

  it("shapeSize() multiplies the dimensions; [] is a scalar", () => {
    expect(shapeSize([])).toBe(1);
    expect(shapeSize([7])).toBe(7);
    expect(shapeSize([2, 3, 4])).toBe(24);
    expect(shapeSize([3, 0, 5])).toBe(0);
  });
});

describe("expectTensor() and expectShape()", () => {
  const good = tensor([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]);   // [2, 2, 3]

  it("expectTensor() accepts a well-formed finite tensor", () => {
    expect(() => expectTensor("f", "x", good)).not.toThrow();
    expect(() => expectTensor("f", "x", zeros([0, 3]))).not.toThrow();
  });

  it("expectTensor() rejects the wrong kinds with TypeErrors that say what came", () => {
    expect(() => expectTensor("LSTM.forward", "input", null)).toThrow(/LSTM\.forward: input must be a Tensor \{ data: Float32Array, shape \}, got null/);
    expect(() => expectTensor("f", "x", 3)).toThrow(/got number/);
    expect(() => expectTensor("f", "x", { data: [1, 2], shape: [2] })).toThrow(/f: x\.data must be a Float32Array, got array/);
    expect(() => expectTensor("f", "x", { data: new Float64Array(2), shape: [2] })).toThrow(/x\.data must be a Float32Array, got Float64Array/);
    expect(() => expectTensor("f", "x", { data: new Float32Array(2), shape: "2" })).toThrow(/x\.shape must be an array of non-negative integers, got "2"/);
    expect(() => expectTensor("f", "x", { data: new Float32Array(2), shape: [2, -1] })).toThrow(TypeError);
    expect(() => expectTensor("f", "x", { data: new Float32Array(2), shape: [0.5, 4] })).toThrow(/got \[0\.5,4\]/);
    expect(() => expectTensor("f", "x", { shape: [2] })).toThrow(/x\.data must be a Float32Array, got undefined/);
  });

  it("expectTensor() reports a size mismatch as a ShapeError with both counts", () => {
    expect(() => expectTensor("f", "x", { data: new Float32Array(5), shape: [2, 3] })).toThrow(ShapeError);
    expect(() => expectTensor("f", "x", { data: new Float32Array(5), shape: [2, 3] })).toThrow(/f: x has shape \[2, 3\] \(6 elements\) but 5 values/);
  });

  it("expectTensor() names the first non-finite value by its multi-index, unless non-finite values are allowed", () => {
    const t = tensor(new Float32Array(2 * 2 * 3), [2, 2, 3]);
    t.data[1 * 6 + 0 * 3 + 2] = NaN;                               // [1, 0, 2]
    t.data[11] = Infinity;                                         // later, so not the one reported
    expect(() => expectTensor("LSTM.forward", "h0", t)).toThrow(RangeError);
    expect(() => expectTensor("LSTM.forward", "h0", t)).toThrow(/LSTM\.forward: h0 must be finite, got NaN at \[1, 0, 2\]/);
    t.data[8] = 0;
    expect(() => expectTensor("f", "x", t)).toThrow(/got Infinity at \[1, 1, 2\]/);
    t.data[0] = -Infinity;
    expect(() => expectTensor("f", "x", t)).toThrow(/got -Infinity at \[0, 0, 0\]/);
    expect(() => expectTensor("f", "x", t, true)).not.toThrow();
  });

  it("expectShape() binds new symbols, returns the bindings and leaves the caller's bindings alone", () => {
    const bound = { H: 4 };
    const out = expectShape("f", "x", [5, 3, 4], ["T", "B", "H"], bound);
    expect(out).toEqual({ T: 5, B: 3, H: 4 });
    expect(bound).toEqual({ H: 4 });
    expect(expectShape("f", "x", [2, 3], [2, 3])).toEqual({});
  });

  it("expectShape() messages show bound symbols as B=3 and unbound ones by name", () => {
    const b = expectShape("LSTM.forward", "input", [5, 3, 8], ["T", "B", 8]);
    expect(() => expectShape("LSTM.forward", "h0", [2, 4, 4], [2, "B", 4], b)).toThrow(ShapeError);
    expect(() => expectShape("LSTM.forward", "h0", [2, 4, 4], [2, "B", 4], b)).toThrow(/LSTM\.forward: h0 must be \[2, B=3, 4\], got \[2, 4, 4\]/);
    expect(() => expectShape("LSTM.forward", "input", [5, 3, 12], ["T", "B", 8])).toThrow(/input must be \[T, B, 8\], got \[5, 3, 12\]/);
    expect(() => expectShape("f", "x", [5, 3], ["T", "B", 8])).toThrow(/x must be \[T, B, 8\], got \[5, 3\]/);          // rank
    expect(() => expectShape("f", "x", [5, 3, 8, 1], ["T", "B", 8])).toThrow(/got \[5, 3, 8, 1\]/);
    expect(() => expectShape("f", "x", [0, 3], ["T", "B"])).toThrow(/x must be \[T, B\], got \[0, 3\]/);           // symbols bind ≥ 1
    expect(() => expectShape("f", "x", [3, 4], ["N", "N"])).toThrow(/x must be \[N, N\], got \[3, 4\]/);          // same symbol twice
    expect(expectShape("f", "x", [3, 3], ["N", "N"])).toEqual({ N: 3 });
  });
});

/** A store with w [3, 2], b [2] and u [2, 2], filled with seeded normals. */
function smallStore(seed = 1): ParamStore {
  const store = new ParamStore(seededRng(seed));
  store.add("w", [3, 2], normalInit);
  store.add("b", [2], normalInit);
  store.add("u", [2, 2], normalInit);
  return store;
}

/** A valid dict for smallStore() whose values all differ from the store's, so a partial load would show. */
function otherDict(): StateDict {
  return smallStore(2).stateDict();
}

describe("ParamStore", () => {
  it("adding a parameter grows values and grads and re-points every earlier view, keeping its contents", () => {
    const store = new ParamStore(seededRng(3));
    const w = store.add("w", [3, 2], normalInit);
    w.grad.set([1, 2, 3, 4, 5, 6]);
    const wValues = Array.from(w.value), firstValues = store.values;
    const b = store.add("b", [4], (v) => v.fill(0.5));
    expect(store.values).not.toBe(firstValues);
    expect(store.size).toBe(10);
    expect(store.values.length).toBe(10);
    expect(store.grads.length).toBe(10);
    expect([w.offset, w.size, b.offset, b.size]).toEqual([0, 6, 6, 4]);
    expect(Array.from(w.value)).toEqual(wValues);
    expect(Array.from(w.grad)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(b.value)).toEqual([0.5, 0.5, 0.5, 0.5]);
    for (const p of store.params) {
      expect(p.value.buffer, p.name).toBe(store.values.buffer);
      expect(p.grad.buffer, p.name).toBe(store.grads.buffer);
      expect(p.value.byteOffset).toBe(p.offset * 4);
      expect(p.value.length).toBe(p.size);
    }
    w.value[5] = 42;                                             // views and the flat arrays are the same memory
    expect(store.values[5]).toBe(42);
    store.grads[7] = -3;
    expect(b.grad[1]).toBe(-3);
    store.zeroGrad();
    expect(store.grads.every((g) => g === 0)).toBe(true);
    expect(store.params.map((p) => p.name)).toEqual(["w", "b"]);
    expect(store.get("b")).toBe(b);
    expect(store.has("w") && !store.has("x")).toBe(true);
  });

  it("a Param keeps its own copy of the shape and init gets a view of exactly its elements and the store's generator", () => {
    const rng = seededRng(4);
    const store = new ParamStore(rng);
    store.add("a", [3], normalInit);
    const shape = [2, 5];
    const seen: Array<[number, boolean]> = [];
    const p = store.add("m", shape, (v, r) => { seen.push([v.length, r === rng]); v.fill(1); });
    shape[0] = 7;
    expect(p.shape).toEqual([2, 5]);
    expect(seen).toEqual([[10, true]]);
    expect(Array.from(store.values.subarray(3))).toEqual(new Array(10).fill(1));
    expect(store.add("s", [], (v) => v.fill(2)).size).toBe(1);   // a scalar parameter
  });

  it("rejects duplicate names and bad shapes with a RangeError, leaving the store as it was", () => {
    const store = smallStore();
    const before = bits(store.values), values = store.values;
    expect(() => store.add("b", [2], normalInit)).toThrow(RangeError);
    expect(() => store.add("b", [2], normalInit)).toThrow(/a parameter named 'b' already exists/);
    for (const shape of [[0], [2, -1], [1.5], [NaN]]) expect(() => store.add("z", shape, normalInit), JSON.stringify(shape)).toThrow(RangeError);
    expect(() => store.add("z", [2, 0], normalInit)).toThrow(/z must have a positive integer shape, got \[2, 0\]/);
    expect(store.values).toBe(values);
    expect(bits(store.values)).toEqual(before);
    expect(store.params.map((p) => p.name)).toEqual(["w", "b", "u"]);
    expect(() => store.get("nope")).toThrow(/no parameter named 'nope' \(have w, b, u\)/);
    expect(() => new ParamStore().get("x")).toThrow(/have none/);
  });

  it("the same seed and construction give the same values; a number seed equals seededRng(seed)", () => {
    expect(bits(smallStore(5).values)).toEqual(bits(smallStore(5).values));
    expect(bits(smallStore(5).values)).not.toEqual(bits(smallStore(6).values));
    const byNumber = new ParamStore(5);
    byNumber.add("w", [3, 2], normalInit);
    byNumber.add("b", [2], normalInit);
    byNumber.add("u", [2, 2], normalInit);
    expect(bits(byNumber.values)).toEqual(bits(smallStore(5).values));
    expect(new ParamStore().rng).toBeInstanceOf(Rng);
  });

  it("stateDict() and gradDict() give every parameter's shape and data as plain JSON, copied out", () => {
    const store = smallStore();
    store.grads.forEach((_, i) => { store.grads[i] = i / 4; });
    const sd = store.stateDict(), gd = store.gradDict();
    expect(Object.keys(sd)).toEqual(["w", "b", "u"]);
    expect(Object.keys(gd)).toEqual(["w", "b", "u"]);
    expect(sd.w!.shape).toEqual([3, 2]);
    expect(sd.u!.shape).toEqual([2, 2]);
    expect(Array.isArray(sd.w!.data)).toBe(true);
    expect(sd.w!.data).toEqual(Array.from(store.get("w").value));
    expect(sd.b!.data).toEqual(Array.from(store.get("b").value));
    expect(gd.u!.data).toEqual([2, 2.25, 2.5, 2.75]);
    sd.w!.data[0] = 1234;
    sd.w!.shape[0] = 99;
    expect(store.get("w").value[0]).not.toBe(1234);
    expect(store.get("w").shape).toEqual([3, 2]);
  });

  it("loadStateDict() round-trips bit for bit, also through JSON text and from typed arrays", () => {
    const source = smallStore(7), target = smallStore(8);
    target.loadStateDict(source.stateDict());
    expect(bits(target.values)).toEqual(bits(source.values));

    const viaJson = smallStore(9);
    viaJson.loadStateDict(JSON.parse(JSON.stringify(source.stateDict())));
    expect(bits(viaJson.values)).toEqual(bits(source.values));

    const typed = smallStore(10);
    const dict: Record<string, { shape: number[]; data: Float64Array }> = {};
    for (const p of source.params) dict[p.name] = { shape: [...p.shape], data: Float64Array.from(p.value) };
    typed.loadStateDict(dict);
    expect(bits(typed.values)).toEqual(bits(source.values));
  });

  it("loadStateDict(strict: false) ignores extra keys but still requires every model key", () => {
    const store = smallStore();
    const dict: Record<string, unknown> = { ...otherDict(), extra: { shape: [1], data: [1] } };
    store.loadStateDict(dict, { strict: false });
    expect(bits(store.values)).toEqual(bits(smallStore(2).values));

    const before = bits(store.values);
    const { b: _b, ...noB } = otherDict();
    expect(() => store.loadStateDict({ ...noB, extra: { shape: [1], data: [1] } }, { strict: false })).toThrow(/missing keys b; nothing was loaded/);
    expect(bits(store.values)).toEqual(before);
  });

  describe("every rejection names the problem and changes nothing", () => {
    /** Each case edits a valid dict (with new values for every key) so that a partial load would be visible. */
    const cases: Array<[string, (d: Record<string, unknown>) => unknown, RegExp]> = [
      ["missing key", (d) => { delete d.b; return d; }, /missing keys b/],
      ["unexpected key (strict)", (d) => ({ ...d, bias: { shape: [2], data: [0, 0] } }), /unexpected keys bias/],
      ["wrong shape", (d) => ({ ...d, w: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] } }), /w must be \[3, 2\], got \[2, 3\]/],
      ["wrong rank", (d) => ({ ...d, b: { shape: [2, 1], data: [1, 2] } }), /b must be \[2\], got \[2, 1\]/],
      ["data length mismatch", (d) => ({ ...d, w: { shape: [3, 2], data: [1, 2, 3, 4, 5] } }), /w\.data must hold 6 values for shape \[3, 2\], got 5/],
      ["NaN", (d) => ({ ...d, w: { shape: [3, 2], data: [0, 0, NaN, 0, 0, 0] } }), /w must hold finite numbers, got NaN at \[1, 0\]/],
      ["Infinity", (d) => ({ ...d, u: { shape: [2, 2], data: [0, 0, 0, Infinity] } }), /u must hold finite numbers, got Infinity at \[1, 1\]/],
      ["-Infinity in a typed array", (d) => ({ ...d, b: { shape: [2], data: Float32Array.of(-Infinity, 0) } }), /b must hold finite numbers, got -Infinity at \[0\]/],
      ["a string value", (d) => ({ ...d, w: { shape: [3, 2], data: [0, 0, 0, "1", 0, 0] } }), /w must hold finite numbers, got string at \[1, 1\]/],
      ["a null value", (d) => ({ ...d, b: { shape: [2], data: [0, null] } }), /b must hold finite numbers, got null at \[1\]/],
      ["an entry that is not an object", (d) => ({ ...d, b: [1, 2] as unknown }), /b\.shape must be an array of non-negative integers, got undefined/],
      ["a null entry", (d) => ({ ...d, b: null }), /b must be \{ shape, data \}, got null/],
      ["a bad shape", (d) => ({ ...d, b: { shape: [-2], data: [1, 2] } }), /b\.shape must be an array of non-negative integers, got \[-2\]/],
      ["data not an array", (d) => ({ ...d, b: { shape: [2], data: "12" } }), /b\.data must be an array of numbers, got string/],
    ];
    for (const [name, edit, message] of cases) {
      it(name, () => {
        const store = smallStore();
        const before = bits(store.values);
        const dict = edit({ ...otherDict() });
        let err: unknown = null;
        try { store.loadStateDict(dict); } catch (e) { err = e; }
        expect(err).toBeInstanceOf(StateDictError);
        expect((err as StateDictError).name).toBe("StateDictError");
        expect((err as StateDictError).problems).toHaveLength(1);
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).toMatch(/^ParamStore\.loadStateDict: .*; nothing was loaded$/);
        expect(bits(store.values)).toEqual(before);
      });
    }

    it("a dict that is not an object (null, array, string, number, undefined) is a TypeError", () => {
      const store = smallStore();
      const before = bits(store.values);
      for (const dict of [null, [], [otherDict()], "w", 3, undefined]) {
        expect(() => store.loadStateDict(dict), String(dict)).toThrow(TypeError);
      }
      expect(() => store.loadStateDict(null)).toThrow(/state dict must be an object of \{ shape, data \} entries, got null/);
      expect(() => store.loadStateDict([])).toThrow(/got array/);
      expect(bits(store.values)).toEqual(before);
    });

    it("a __proto__ key from JSON.parse is reported as unexpected and pollutes nothing", () => {
      const store = smallStore();
      const before = bits(store.values);
      const text = JSON.stringify(otherDict()).replace(/^\{/, '{"__proto__": {"polluted": true, "shape": [2], "data": [1, 2]}, ');
      const dict: unknown = JSON.parse(text);
      expect(Object.hasOwn(dict as object, "__proto__")).toBe(true);
      expect(() => store.loadStateDict(dict)).toThrow(/unexpected keys __proto__/);
      expect(bits(store.values)).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(dict)).toBe(Object.prototype);
      store.loadStateDict(dict, { strict: false });               // ignored when extra keys are allowed
      expect(bits(store.values)).toEqual(bits(smallStore(2).values));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("several problems are reported together in one StateDictError", () => {
      const store = smallStore();
      const before = bits(store.values);
      const { u: _u, ...dict } = otherDict() as Record<string, unknown>;
      dict.w = { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] };
      dict.b = { shape: [2], data: [NaN, 1] };
      dict.extra = { shape: [1], data: [0] };
      let err: unknown = null;
      try { store.loadStateDict(dict); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(StateDictError);
      expect(err).toBeInstanceOf(Error);
      const e = err as StateDictError;
      expect(e.name).toBe("StateDictError");
      expect(e.problems).toEqual([
        "missing keys u",
        "unexpected keys extra",
        "w must be [3, 2], got [2, 3]",
        "b must hold finite numbers, got NaN at [0]",
      ]);
      expect(e.message).toBe(`ParamStore.loadStateDict: ${e.problems.join("; ")}; nothing was loaded`);
      expect(bits(store.values)).toEqual(before);
    });

    it("long key lists are shortened to the first six and a count", () => {
      const store = new ParamStore(1);
      for (const k of ["a", "b", "c", "d", "e", "f", "g", "h"]) store.add(k, [1], normalInit);
      expect(() => store.loadStateDict({})).toThrow(/missing keys a, b, c, d, e, f and 2 more/);
    });
  });

  // A parameter may be named "__proto__" (add() accepts any string), but stateDict() writes entries with
  // `out[key] = …`, which for that key sets the prototype of the result instead of adding an own key. The entry then
  // disappears from Object.keys and JSON, and the store cannot load its own state dict.
  it("a parameter named __proto__ survives stateDict() → JSON → loadStateDict()", () => {
    const store = new ParamStore(1);
    store.add("__proto__", [2], normalInit);
    store.add("w", [1], normalInit);
    const sd = store.stateDict();
    expect(Object.keys(sd)).toEqual(["__proto__", "w"]);
    expect(Object.getPrototypeOf(sd)).toBe(Object.prototype);
    const copy = new ParamStore(2);
    copy.add("__proto__", [2], normalInit);
    copy.add("w", [1], normalInit);
    copy.loadStateDict(JSON.parse(JSON.stringify(sd)));
    expect(bits(copy.values)).toEqual(bits(store.values));
  });
});

describe("gradCheck", () => {
  /** loss = Σ w²·x + Σ b·y for fixed x [2, 3], y [3]; the backward writes dw = 2·w·x, db = y. */
  function problem(): { store: ParamStore; loss: () => number; backward: () => void; calls: () => number } {
    const rng = seededRng(40);
    const store = new ParamStore(rng);
    const w = store.add("w", [2, 3], normalInit), b = store.add("b", [3], normalInit);
    const x = Array.from({ length: 6 }, () => rng.normal()), y = Array.from({ length: 3 }, () => rng.normal());
    let n = 0;
    const loss = (): number => {
      n++;
      let s = 0;
      for (let i = 0; i < 6; i++) s += w.value[i]! ** 2 * x[i]!;
      for (let i = 0; i < 3; i++) s += b.value[i]! * y[i]!;
      return s;
    };
    const backward = (): void => {
      for (let i = 0; i < 6; i++) w.grad[i] = 2 * w.value[i]! * x[i]!;
      for (let i = 0; i < 3; i++) b.grad[i] = y[i]!;
    };
    return { store, loss, backward, calls: () => n };
  }

  it("passes when the analytic gradient is right, checks every element and restores every value bit for bit", () => {
    const { store, loss, backward, calls } = problem();
    backward();
    const values = bits(store.values), grads = bits(store.grads);
    const report = gradCheck(loss, store);
    expect(report.ok, report.message).toBe(true);
    expect(report.message).toMatch(/^all 2 tensors match/);
    expect(report.tensors.map((t) => [t.name, t.checked, t.ok])).toEqual([["w", 6, true], ["b", 3, true]]);
    expect(report.tensors.every((t) => t.maxRelError < 1e-4)).toBe(true);
    expect(calls()).toBe(2 * 9);
    expect(bits(store.values)).toEqual(values);
    expect(bits(store.grads)).toEqual(grads);
  });

  it("fails, naming the tensor and the multi-index, when one gradient element is wrong", () => {
    const { store, loss, backward } = problem();
    backward();
    const w = store.get("w");
    const right = w.grad[4]!;
    w.grad[4] = right + 0.5;                                      // [1, 1]
    const values = bits(store.values);
    const report = gradCheck(loss, store);
    expect(report.ok).toBe(false);
    const [rw, rb] = report.tensors;
    expect(rw!.ok).toBe(false);
    expect(rb!.ok).toBe(true);
    expect(rw!.worstIndex).toBe(4);
    expect(rw!.worstAt).toBe("[1, 1]");
    expect(rw!.analytic).toBeCloseTo(right + 0.5, 5);
    expect(rw!.numeric).toBeCloseTo(right, 3);
    expect(rw!.maxAbsError).toBeCloseTo(0.5, 3);
    expect(report.message).toMatch(/^w\[1, 1\]: analytic -?\d.*, numeric -?\d.*\(\|diff\| .* > .*\)$/);
    expect(report.message).not.toMatch(/^b/m);
    expect(bits(store.values)).toEqual(values);
  });

  it("maxPerTensor limits the elements checked per tensor (and the calls to loss)", () => {
    const { store, loss, backward, calls } = problem();
    backward();
    const values = bits(store.values);
    const report = gradCheck(loss, store, { maxPerTensor: 2, seed: 3 });
    expect(report.ok).toBe(true);
    expect(report.tensors.map((t) => t.checked)).toEqual([2, 2]);
    expect(calls()).toBe(2 * 4);
    expect(gradCheck(loss, store, { maxPerTensor: 100 }).tensors.map((t) => t.checked)).toEqual([6, 3]);
    expect(bits(store.values)).toEqual(values);
  });

  it("takes plain { name, value, grad } targets and names their elements by flat index without a shape", () => {
    const value = Float32Array.of(0.5, -1, 2, 0.25), grad = new Float32Array(4);
    const loss = (): number => value.reduce((s, v) => s + v * v * v, 0);        // d/dv = 3v²
    value.forEach((v, i) => { grad[i] = 3 * v * v; });
    const target: GradTarget = { name: "input", value, grad };
    expect(gradCheck(loss, [target]).ok).toBe(true);
    grad[2] = 0;
    const report = gradCheck(loss, [target]);
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/^input\[2\]: analytic 0\.000, numeric 12\.00/);
    expect(gradCheck(loss, [{ ...target, shape: [2, 2] }]).message).toMatch(/^input\[1, 0\]:/);
  });

  it("divides by the float32 step actually taken, so a linear loss checks out to 1e-9", () => {
    const value = Float32Array.of(1.1, -3.7, 1234.567, 1e-3), grad = Float32Array.of(0.3, -2, 5, 0.7);
    const loss = (): number => value.reduce((s, v, i) => s + v * grad[i]!, 0);        // d/dv_i = grad_i
    const report = gradCheck(loss, [{ name: "v", value, grad }], { atol: 1e-12, rtol: 1e-9 });
    expect(report.ok, report.message).toBe(true);
  });

  // gradCheck writes perturbed values into the caller's parameters. If loss() throws (a forward that rejects the
  // perturbed input, a user error), the error should propagate with the parameter restored, as for any failed call.
  it("restores the perturbed value when loss() throws", () => {
    const { store, loss, backward } = problem();
    backward();
    const values = bits(store.values);
    let calls = 0;
    const failing = (): number => { if (++calls === 4) throw new Error("boom"); return loss(); };
    expect(() => gradCheck(failing, store)).toThrow("boom");
    expect(bits(store.values)).toEqual(values);
  });

  it("rejects a loss that is not a function, eps ≤ 0 and mismatched targets", () => {
    const { store, loss } = problem();
    expect(() => gradCheck(3 as never, store)).toThrow(/gradCheck: loss must be a function returning a number, got number/);
    expect(() => gradCheck(loss, store, { eps: 0 })).toThrow(RangeError);
    expect(() => gradCheck(loss, store, { eps: NaN })).toThrow(/eps must be positive, got NaN/);
    expect(() => gradCheck(loss, [{ name: "t", value: new Float32Array(3), grad: new Float32Array(2) }])).toThrow(/target t must have Float32Array value and grad of equal length/);
    expect(() => gradCheck(loss, "store" as never)).toThrow(TypeError);
  });
});
