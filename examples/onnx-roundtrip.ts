/**
 * From recurrent-ts to ONNX Runtime: export a bidirectional LSTM tagger, save the .onnx file, load it in
 * onnxruntime-node (a devDependency) and check that it gives the library's numbers on a padded batch.
 *
 *   npx tsx examples/onnx-roundtrip.ts [--out model.onnx]
 *
 * The same bytes load in onnxruntime-web (`ort.InferenceSession.create(bytes)`) or any ONNX engine with opset 14.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { ONNX_OPSET_VERSION, SequenceModel, exportOnnx, seededRng } from "recurrent-ts";

const i = process.argv.indexOf("--out");
const out = i >= 0 ? process.argv[i + 1]! : join(tmpdir(), "recurrent-ts-tagger.onnx");

// a token tagger: Embedding(50, 16) → 2-layer bidirectional LSTM(32) → Linear(64, 5) at every step
const model = new SequenceModel({
  input: { vocabSize: 50, embeddingDim: 16 }, cell: "lstm", hiddenSize: 32, numLayers: 2, bidirectional: true,
  output: { size: 5, per: "step" },
}, 1);

const bytes = exportOnnx(model, { softmax: true });
writeFileSync(out, bytes);
console.log(`wrote ${out}: ${bytes.length} bytes, opset ${ONNX_OPSET_VERSION}`);

// a padded batch, time-major: T = 6 steps, B = 3 sequences of lengths 6, 2 and 4
const T = 6, B = 3, lengths = [6, 2, 4];
const rng = seededRng(2);
const ids = Array.from({ length: T * B }, () => Math.floor(rng.uniform() * 50));
const expected = model.forward({ tokens: { data: ids, shape: [T, B] }, lengths });

const session = await ort.InferenceSession.create(out);
console.log(`inputs ${session.inputNames.join(", ")}; outputs ${session.outputNames.join(", ")}`);
const result = await session.run({
  tokens: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [T, B]),
  sequence_lens: new ort.Tensor("int32", Int32Array.from(lengths), [B]),
});
const got = result.output!.data as Float32Array;
let worst = 0;
for (let k = 0; k < got.length; k++) worst = Math.max(worst, Math.abs(got[k]! - expected.data[k]!) / (Math.abs(expected.data[k]!) + 1e-6));
console.log(`output ${JSON.stringify(result.output!.dims)}: largest relative difference from recurrent-ts ${worst.toExponential(2)}`);
console.log(`probabilities of sequence 0, step 0: ${[...(result.probabilities!.data as Float32Array).subarray(0, 5)].map((p) => p.toFixed(3)).join(" ")}`);
if (!(worst < 1e-4)) throw new Error("ONNX Runtime and recurrent-ts disagree");
