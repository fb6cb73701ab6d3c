// Imports the built package the way an ESM user does (the package resolves its own name through "exports").
import assert from "node:assert/strict";
import { LSTM, gradCheck, seededRng, randn } from "recurrent-ts";

const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 });
const { output, h, c } = lstm.forward(randn(seededRng(1), [5, 2, 3]));
assert.deepEqual(output.shape, [5, 2, 4]);
assert.deepEqual(h.shape, [1, 2, 4]);
assert.deepEqual(c.shape, [1, 2, 4]);
assert.equal(typeof gradCheck, "function");
console.log("esm ok");

// The Node entry: model files on disk, sharing the main entry's classes.
const node = await import("recurrent-ts/node");
const { ModelFileError } = await import("recurrent-ts");
assert.equal(typeof node.saveModelFile, "function");
assert.equal(node.ModelFileError, ModelFileError);
console.log("esm node entry ok");

// Data-parallel training on worker threads.
const { checkParallel } = await import("./parallel-check.mjs");
await checkParallel(await import("recurrent-ts"), node, "esm");
