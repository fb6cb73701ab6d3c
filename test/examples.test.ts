import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const run = (args: string[]): string => execFileSync(tsx, args, { cwd: root, encoding: "utf8", timeout: 120_000 });

describe("examples and benchmark run (smoke mode)", () => {
  it("the main demo trains a few steps and writes samples", () => {
    const out = run(["examples/demo.ts", "--steps", "4", "--chars", "40"]);
    expect(out).toMatch(/vocabulary 51/);
    expect(out).toMatch(/step +4\/4 +loss \d+\.\d+/);
    expect(out).toMatch(/--- sample at temperature 0\.9 ---\nShall I .{40}/s);
  });

  it("the State of the Union example trains a character LSTM, scores it beside the n-gram baseline and writes samples", () => {
    const out = run(["examples/text-generation.ts", "--smoke"]);
    expect(out).toMatch(/validation \(held out\): 1 address \(2021, Joseph R Biden\), 2,000 characters/);
    expect(out).toMatch(/epoch 1\/1 +batch 32\/32 +loss \d+\.\d+/);
    expect(out).toMatch(/\n {2}LSTM +\d\.\d{3} +\(accuracy/);
    for (const n of [3, 4, 5]) expect(out).toMatch(new RegExp(`\\n {2}${n}-gram +\\d\\.\\d{3} +\\(interpolated absolute discounting, δ = 0\\.\\d\\d\\)`));
    for (const t of ["0.5", "0.8", "1"]) expect(out).toMatch(new RegExp(`--- sample at temperature ${t} ---\\nThe state of our Union is .{40}`, "s"));
    expect(out).toMatch(/--- sample with nucleus sampling \(top-p 0\.9, temperature 1\) ---\nThe state of our Union is .{40}/s);
    expect(out).toMatch(/saved the model to examples\/out\/text-generation-smoke\.json/);
  });

  it("the names example trains the generator, the conditional generator and the classifier, beside their baselines", () => {
    const out = run(["examples/names.ts", "--smoke"]);
    expect(out).toMatch(/8422 distinct names, 419 of them on both lists/);
    expect(out).toMatch(/\n {4}LSTM +\d\.\d{3}\n {4}3-gram +\d\.\d{3} .*\n {4}4-gram +\d\.\d{3} .*\n {4}5-gram +\d\.\d{3} /);
    expect(out).toMatch(/sampled at temperature 0\.8: \S/);
    expect(out).toMatch(/given the right gender +\d\.\d{3}\n.*given the wrong gender +\d\.\d{3}\n.*no gender \(model a\) +\d\.\d{3}/);
    expect(out).toMatch(/\n {2}female → \S.*\n {2}male {3}→ \S/);
    expect(out).toMatch(/\n {4}LSTM +\d+\.\d%\n {4}majority class \((female|male)\) +\d+\.\d%/);
    expect(out).toMatch(/saved the three models to examples\/out\/names-\{generator,conditional,classifier\}-smoke\.json/);
  });

  it("the ONNX example exports a model, runs it in ONNX Runtime and matches the library", () => {
    const out = run(["examples/onnx-roundtrip.ts"]);
    expect(out).toMatch(/wrote .*\.onnx: \d+ bytes, opset 14/);
    expect(out).toMatch(/largest relative difference from recurrent-ts \d\.\d+e-(?:[6-9]|[1-9]\d)\b/);   // below 1e-5
  });

  it("the benchmark prints one JSON line per workload in the peers' format", () => {
    const out = run(["bench/bench.ts", "--only", "W2,heap", "--quick", "--peers", "none"]);
    const lines = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.workload)).toEqual(["W2-charlm-online", "heap-growth-W1"]);
    expect(lines[0]).toMatchObject({ peer: "recurrent-ts", metric: "train tokens/s", steps: 50 });
    expect(lines[0]!.value).toBeGreaterThan(0);
  });
});

describe("examples on real data, part 2 (smoke mode)", () => {
  it("the spam example trains a bidirectional LSTM on padded batches and scores it beside bag-of-words logistic regression", () => {
    const out = run(["examples/spam.ts", "--smoke"]);
    expect(out).toMatch(/read 300 of 6,046 messages \(seeded sample\)/);
    expect(out).toMatch(/epoch 1: train loss \d\.\d{4}/);
    expect(out).toMatch(/accuracy +precision +recall +F1\n {2}bidirectional LSTM +\d+\.\d% +\d+\.\d% +\d+\.\d% +\d+\.\d%/);
    expect(out).toMatch(/\n {2}bag-of-words logistic regr\. +\d+\.\d% +\d+\.\d% +\d+\.\d% +\d+\.\d% +\(L2 [\d.e-]+ chosen on the selection split/);
    expect(out).toMatch(/\n {2}majority class \(ham\) +\d+\.\d% +0\.0% +0\.0% +0\.0%/);
    expect(out).toMatch(/saved the model with its vocabulary to examples\/out\/spam-smoke\.rtsm \(\d+ KiB; reloaded, it predicts the same\)/);
  });

  it("the forecast example scores an LSTM regressor on CO2 and stocks beside the naive forecasts and draws the charts", async () => {
    const out = run(["examples/forecast.ts", "--smoke"]);
    expect(out).toMatch(/== CO2: Mauna Loa CO2, Mar 1958 – Apr 2020 \(5 missing months filled/);
    expect(out).toMatch(/601 training windows .* 120 test forecasts \(May 2010 on\)/);
    for (const name of ["LSTM", "last value", "seasonal naive \\(12\\)", "last value \\+ last year's change"]) {
      expect(out).toMatch(new RegExp(`\\n {4}${name} +\\d+\\.\\d{3}\\n`));                                  // CO2: one RMSE column
      expect(out).toMatch(new RegExp(`\\n {4}${name} +(\\d+\\.\\d{3} +){5}\\d+\\.\\d\\d%\\n`));               // stocks: five symbols and ln-RMSE
    }
    expect(out).toMatch(/ +MSFT +AMZN +IBM +GOOG +AAPL +ln-RMSE/);
    expect(out).toMatch(/chart: examples\/out\/forecast-co2-smoke\.svg; model: examples\/out\/forecast-co2-smoke\.rtsm/);
    expect(out).toMatch(/chart: examples\/out\/forecast-stocks-smoke\.svg; model: examples\/out\/forecast-stocks-smoke\.rtsm/);
    const { readFileSync } = await import("node:fs");
    const svg = readFileSync(join(root, "examples", "out", "forecast-co2-smoke.svg"), "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<path d="M/g)?.length).toBe(3);   // truth, LSTM, seasonal naive
  });

  it("the g2p example trains a Seq2Seq on CMUdict and scores greedy decoding and beam search on held-out words", () => {
    const out = run(["examples/g2p.ts", "--smoke"]);
    expect(out).toMatch(/123,874 words of letters and apostrophes/);
    expect(out).toMatch(/train on 400 words, test on 40 others \(seeded sample\); 27 letters, \d+ phonemes/);
    expect(out).toMatch(/epoch 1: train loss \d\.\d{4} per phoneme/);
    expect(out).toMatch(/PER +word accuracy\n {2}Seq2Seq, beam search \(width 4\) +\d+\.\d% +\d+\.\d%/);
    expect(out).toMatch(/\n {2}Seq2Seq, greedy +\d+\.\d% +\d+\.\d%/);
    expect(out).toMatch(/\n {2}letter-by-letter rule +\d+\.\d% +\d+\.\d%/);
    expect(out).toMatch(/saved the model with both vocabularies to examples\/out\/g2p-smoke\.rtsm/);
  });

  it("the tagging example restores spaces with a bidirectional and a left-to-right LSTM beside the baselines", () => {
    const out = run(["examples/tagging.ts", "--smoke"]);
    expect(out).toMatch(/test \(held out\): 3,000 characters of 3 addresses \(2019 Donald J Trump … 2021 Joseph R Biden\)/);
    expect(out).toMatch(/\n {2}bidirectional LSTM +\d+\.\d% +\d+\.\d% +\(trained in/);
    expect(out).toMatch(/\n {2}left-to-right LSTM +\d+\.\d% +\d+\.\d% +\(trained in/);
    expect(out).toMatch(/\n {2}character-pair lookup +\d+\.\d% +\d+\.\d%/);
    expect(out).toMatch(/\n {2}majority class \(no space\) +\d+\.\d% +0\.0%/);
    expect(out).toMatch(/the original:\n {2}Madam Speaker, Mr\. Vice President,/);
    expect(out).toMatch(/saved both models with the vocabulary to examples\/out\/tagging-\{bidirectional,unidirectional\}-smoke\.rtsm/);
  });
});
