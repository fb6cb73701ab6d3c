export { ShapeError, StateDictError, expectShape, formatShape } from "./errors.js";
export type { Dim } from "./errors.js";
export { tensor, zeros, fromData, toNested, shapeSize } from "./tensor/tensor.js";
export type { Tensor, NestedArray } from "./tensor/tensor.js";
export { gemm, gemmPacked, packMatrix } from "./tensor/gemm.js";
export type { PackedMatrix } from "./tensor/gemm.js";
export { Rng, seededRng, randn, randu } from "./tensor/random.js";
export type { RngState } from "./tensor/random.js";
export { initUniform, initXavierUniform, initXavierNormal, initOrthogonal } from "./tensor/init.js";
export { Param, ParamStore } from "./params/param-store.js";
export type { ParamInit } from "./params/param-store.js";
export type { StateDict, StateEntry, LoadOptions } from "./params/state-dict.js";
export { RNN, LSTM, GRU, RecurrentLayer } from "./layers/recurrent.js";
export type {
  RecurrentMode, WeightInit, RecurrentInit, RecurrentConfig, RNNConfig, ForwardOptions, RecurrentOutput, LSTMOutput,
  FinalStateGrads, RecurrentInputGrads, LSTMInputGrads,
} from "./layers/recurrent.js";
export { gradCheck } from "./grad-check.js";
export type { GradTarget, GradCheckOptions, GradCheckReport, TensorGradCheck } from "./grad-check.js";
export { Linear, linearForward, linearForwardPacked, linearBackward, activate, activationBackward } from "./layers/linear.js";
export type { LinearConfig, Activation } from "./layers/linear.js";
export { Embedding } from "./layers/embedding.js";
export type { EmbeddingConfig } from "./layers/embedding.js";
export { softmaxCrossEntropy, crossEntropyForwardBackward } from "./loss/cross-entropy.js";
export type { CrossEntropyOptions, CrossEntropyResult } from "./loss/cross-entropy.js";
export { SGD } from "./optim/sgd.js";
export type { SGDOptions } from "./optim/sgd.js";
export { RMSprop } from "./optim/rmsprop.js";
export type { RMSpropOptions } from "./optim/rmsprop.js";
export { Adagrad } from "./optim/adagrad.js";
export type { AdagradOptions } from "./optim/adagrad.js";
export { Adam, AdamW } from "./optim/adam.js";
export type { AdamOptions, AdamSettings } from "./optim/adam.js";
export type { Optimizer, OptimizerKind, OptimizerState, Resolved } from "./optim/optimizer.js";
export { clipGradNorm, clipGradValue } from "./optim/clip.js";
export { LRSchedule, StepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, SequentialLR } from "./optim/schedule.js";
export type { StepLROptions, ExponentialLROptions, CosineAnnealingLROptions, LinearWarmupOptions, SequentialLROptions } from "./optim/schedule.js";
export { RecurrentStream } from "./layers/stream.js";
export type { StreamState } from "./layers/stream.js";
export { Dropout, dropoutForward, dropoutBackward } from "./layers/dropout.js";
export type { DropoutConfig } from "./layers/dropout.js";
export { mergeForward, mergeBackward, mergedWidth } from "./sequence/merge.js";
export type { MergeMode } from "./sequence/merge.js";
export { poolForward, poolBackward } from "./sequence/pooling.js";
export type { Pooling } from "./sequence/pooling.js";
export { SequenceModel } from "./sequence/sequence-model.js";
export type {
  CellType, TokenInputConfig, OneHotInputConfig, FeatureInputConfig, OutputConfig, SequenceModelConfig, TokenTensor, SequenceInput, GenerateOptions,
} from "./sequence/sequence-model.js";
export { Seq2Seq } from "./sequence/seq2seq.js";
export type { Seq2SeqConfig, DecodeOptions, BeamOptions } from "./sequence/seq2seq.js";
export { mseLoss, huberLoss, mseForwardBackward, huberForwardBackward } from "./loss/regression.js";
export type { RegressionLossOptions, HuberLossOptions, RegressionLossResult } from "./loss/regression.js";
export { bceWithLogits, bceWithLogitsForwardBackward } from "./loss/binary.js";
export type { BceWithLogitsOptions, BceWithLogitsResult } from "./loss/binary.js";
export { greedy, sample, Sampler } from "./decode/sample.js";
export type { SamplerOptions, SampleOptions } from "./decode/sample.js";
export { Vocab } from "./text/vocab.js";
export type { VocabLevel, VocabSpecials, VocabOptions, VocabEncodeOptions, VocabDecodeOptions, VocabJSON } from "./text/vocab.js";
export { lmBatches, timeSeriesWindows } from "./text/windows.js";
export type { LMChunk, TimeSeriesWindowOptions, TimeSeriesWindows } from "./text/windows.js";
export { saveModel, loadModel, ModelFileError, MODEL_FILE_VERSION } from "./io/model-file.js";
export type { ModelFileContent, ModelFileInput, ModelFileFormat, SaveModelOptions, JSONValue } from "./io/model-file.js";
export { toSafetensors, fromSafetensors } from "./io/safetensors.js";
export type { SafetensorsContent, SafetensorsDtype, TensorLike, NamedParams, TensorSource } from "./io/safetensors.js";
export { Trainer, formatProgress } from "./train/trainer.js";
export type {
  TrainerOptions, NonFiniteReport, StepReport, BatchReport, Metrics, EpochReport, Monitor, EarlyStopping, FitOptions,
  AbortSignalLike, FitAsyncOptions, StopReason, FitResult, StreamFitOptions,
} from "./train/trainer.js";
export { collate } from "./train/collate.js";
export { batchLoss } from "./train/batch-loss.js";
export type { BatchLoss, BatchLossOptions } from "./train/batch-loss.js";
export { TrainingPool, webWorker } from "./parallel/pool.js";
export type { TrainingPoolOptions } from "./parallel/pool.js";
export type { TrainingWorker } from "./parallel/protocol.js";
export { serveTrainingWorker } from "./parallel/worker.js";
export type { SequenceExample, LossKind, Batch } from "./train/collate.js";
export { exportOnnx, ONNX_OPSET_VERSION, ONNX_IR_VERSION } from "./onnx/export.js";
export type { OnnxExportOptions, AnyRecurrentLayer } from "./onnx/export.js";
export { serializeModel, deserializeModel, optimizerFromState } from "./io/models.js";
export type { ModelVocab, SerializeOptions, LoadedModel } from "./io/models.js";
