// Run by test/parallel.test.ts as its own process: trains one parallel step and never closes the pool. The process
// must still exit by itself (the pool keeps its workers referenced only while a step is under way).
import { Adam, SequenceModel, Trainer, TrainingPool } from "../../src/index.js";
import { spawnSourceWorker as spawn } from "../source-worker.js";

const trainer = new Trainer({ model: new SequenceModel({ input: { features: 2 }, cell: "gru", hiddenSize: 3, output: { size: 1, per: "sequence" } }, 1), optimizer: new Adam(), loss: "mse" });
const pool = await TrainingPool.create(trainer, { threads: 2, spawn });
const r = await trainer.stepParallel([{ input: [[1, 2]], target: [1] }, { input: [[3, 4], [5, 6]], target: [0] }], pool);
console.log(`step ${r.step} done, loss ${r.loss.toFixed(4)}`);
