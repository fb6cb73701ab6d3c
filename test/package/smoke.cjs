// Requires the built package the way a CommonJS user does.
const assert = require("node:assert/strict");
const { GRU, seededRng, randn } = require("recurrent-ts");

const gru = new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 1 });
const { output, h } = gru.forward(randn(seededRng(1), [5, 2, 3]));
assert.deepEqual(output.shape, [5, 2, 8]);
assert.deepEqual(h.shape, [2, 2, 4]);
console.log("cjs ok");

// The Node entry: model files on disk, sharing the main entry's classes.
const node = require("recurrent-ts/node");
assert.equal(typeof node.saveModelFile, "function");
assert.equal(node.ModelFileError, require("recurrent-ts").ModelFileError);
console.log("cjs node entry ok");

// Data-parallel training on worker threads (the CommonJS build starts dist/node-worker.cjs).
import("./parallel-check.mjs")
  .then(({ checkParallel }) => checkParallel(require("recurrent-ts"), node, "cjs"))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
