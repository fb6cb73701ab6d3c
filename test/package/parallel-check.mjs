// Shared by smoke.mjs and smoke.cjs: createTrainingPool (recurrent-ts/node) starts the built worker script next to
// the entry that was loaded (dist/node-worker.js or .cjs), and a parallel step equals a single-thread one.
import assert from "node:assert/strict";

export async function checkParallel({ SequenceModel, Trainer, Adam }, { createTrainingPool, TrainingPool }, label) {
  const config = { input: { vocabSize: 7, oneHot: true }, cell: "lstm", hiddenSize: 8, output: { size: 7, per: "step" } };
  const examples = Array.from({ length: 6 }, (_, i) => ({ input: [1, 2, 3, i % 7], target: [2, 3, 4, (i + 1) % 7] }));
  const make = () => new Trainer({ model: new SequenceModel(config, 1), optimizer: new Adam({ lr: 0.01 }) });
  const single = make(), parallel = make();
  const pool = await createTrainingPool(parallel, { threads: 3 });
  try {
    assert.ok(pool instanceof TrainingPool);
    const a = single.step(single.collate(examples)), b = await parallel.stepParallel(examples, pool);
    assert.ok(Math.abs(a.loss - b.loss) < 1e-6, `${label}: parallel loss ${b.loss} vs ${a.loss}`);
    const x = single.model.store.values, y = parallel.model.store.values;
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) < 1e-5, `${label}: weight ${i} differs`);
  } finally {
    await pool.close();
  }
  console.log(`${label} parallel training ok`);
}
