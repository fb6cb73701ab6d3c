/**
 * Forecasting real series: an LSTM regressor (MSE) predicts next month's value of two series from npm vega-datasets,
 * measured on the last months, which it never trained on, next to the naive forecasts every forecaster must beat:
 *
 *   - CO2: monthly mean CO2 concentration at Mauna Loa, 1958–2020 (co2-concentration.csv, the "CO2" column, ppm);
 *     the last 10 years are held out.
 *   - stocks: monthly closing prices of MSFT, AMZN, IBM, GOOG and AAPL, 2000–2010 (stocks.csv, US$); one model for
 *     all five, the last 24 months (Apr 2008 – Mar 2010, the crash and the recovery) held out.
 *
 *   npm run example:forecast               # well under a minute on one core
 *   npm run example:forecast -- --long     # a bigger model, longer windows, more epochs
 *   npm run example:forecast -- --smoke    # a few epochs of a tiny model: what the test suite runs
 *
 * How the model sees a series. A window of the last W months in, one value out (many-to-one, one step ahead):
 *
 *   change   d[t] = x[t] − x[t−1] (CO2, ppm) or ln x[t] − ln x[t−1] (stocks: the monthly log return)
 *   input    at each of the W steps: (d[t] − μ)/σ, sin(2π·month/12), cos(2π·month/12)
 *   target   (d[t+1] − μ)/σ;  the forecast is x[t] + d̂ (CO2) or x[t]·e^d̂ (stocks)
 *
 * μ and σ come from the training months only. Predicting the change rather than the level lets a model trained on
 * 1958–2010 forecast 2010–2020 levels it never saw. The split is chronological: a test forecast targets a held-out
 * month; its input window may reach back into the training months, as any real forecast's history would. Early
 * stopping watches the last 10% of the training windows (again by time). Everything is seeded.
 *
 * The prediction-vs-truth charts are SVG, drawn here: examples/out/forecast-co2.svg and forecast-stocks.svg.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Adam, SequenceModel, Trainer, serializeModel, timeSeriesWindows } from "recurrent-ts";
import type { SequenceExample } from "recurrent-ts";
import { progressLine, runMode, secondsSince } from "./lib/progress.js";

interface Mode {
  readonly window: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly epochs: number;
  readonly patience: number;
  readonly batchSize: number;
  readonly lr: number;
}

const MODES: Record<"smoke" | "default" | "long", Mode> = {
  smoke: { window: 24, hiddenSize: 8, numLayers: 1, epochs: 2, patience: 2, batchSize: 32, lr: 1e-2 },
  default: { window: 24, hiddenSize: 32, numLayers: 1, epochs: 40, patience: 6, batchSize: 32, lr: 3e-3 },
  long: { window: 36, hiddenSize: 64, numLayers: 2, epochs: 120, patience: 15, batchSize: 32, lr: 2e-3 },
};
const modeName = runMode();
const M = MODES[modeName];
const FEATURES = 3;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const started = performance.now();
const outDir = new URL("./out/", import.meta.url);
mkdirSync(outDir, { recursive: true });
const suffix = modeName === "default" ? "" : `-${modeName}`;

/** A monthly series: value i is month `start + i`, months counted as year·12 + (month − 1). */
interface Series { readonly name: string; readonly start: number; readonly values: Float64Array }
/** How a series' values become the changes the model reads, and back. */
interface Transform { readonly unit: string; readonly f: (x: number) => number; readonly inv: (y: number) => number }

console.log(`monthly series from vega-datasets, ${modeName} run: one-step-ahead forecasts`);
const co2 = loadCo2();
runTask("CO2", [co2.series], { unit: "ppm", f: (x) => x, inv: (y) => y }, co2.series.start + co2.series.values.length - 120,
  `Mauna Loa CO2, ${monthName(co2.series.start)} – ${monthName(co2.series.start + co2.series.values.length - 1)} (${co2.filled} missing months filled by linear interpolation)`);
const stocks = loadStocks();
runTask("stocks", stocks, { unit: "$", f: Math.log, inv: Math.exp }, Math.max(...stocks.map((s) => s.start + s.values.length)) - 24,
  `monthly closing prices of ${stocks.map((s) => `${s.name} (from ${monthName(s.start)})`).join(", ")}`);
console.log(`\ntotal run time ${secondsSince(started)}`);

// ---- one task: windows, model, training, forecasts, baselines, chart ------------------------------------------------

function runTask(task: string, series: readonly Series[], tf: Transform, testFrom: number, description: string): void {
  const t0 = performance.now();
  console.log(`\n== ${task}: ${description}`);
  // changes d[i] = f(x[i]) − f(x[i−1]), i ≥ 1; their mean and spread over the training months only
  const changes = series.map((s) => Float64Array.from(s.values, (x, i) => (i === 0 ? NaN : tf.f(x) - tf.f(s.values[i - 1]!))));
  const trainChanges: number[] = [];
  series.forEach((s, k) => changes[k]!.forEach((d, i) => { if (i >= 1 && s.start + i < testFrom) trainChanges.push(d); }));
  const mu = trainChanges.reduce((a, d) => a + d, 0) / trainChanges.length;
  const sigma = Math.sqrt(trainChanges.reduce((a, d) => a + (d - mu) ** 2, 0) / trainChanges.length);
  // every window of W changes and the change after it; the target's month decides train or test
  interface Item { readonly example: SequenceExample; readonly k: number; readonly i: number }   // forecast of x[i] of series k
  const train: Item[] = [], test: Item[] = [];
  series.forEach((s, k) => {
    const feats = new Float32Array((s.values.length - 1) * FEATURES);   // steps i = 1 … S−1
    for (let i = 1; i < s.values.length; i++) {
      const month = (s.start + i) % 12, at = (i - 1) * FEATURES;
      feats[at] = (changes[k]![i]! - mu) / sigma;
      feats[at + 1] = Math.sin((2 * Math.PI * month) / 12);
      feats[at + 2] = Math.cos((2 * Math.PI * month) / 12);
    }
    const w = timeSeriesWindows(feats, { window: M.window, horizon: 1, features: FEATURES });
    const W = M.window, inp = w.inputs.data, tgt = w.targets.data;
    for (let n = 0; n < w.count; n++) {
      const input = Array.from({ length: W }, (_, t) => inp.subarray((n * W + t) * FEATURES, (n * W + t + 1) * FEATURES));
      const i = n + W + 1;    // window n reads steps n … n+W−1 of feats, i.e. changes d[n+1 … n+W]; it forecasts x[n+W+1]
      const item = { example: { input, target: [tgt[n * FEATURES]!] }, k, i };
      (s.start + i < testFrom ? train : test).push(item);
    }
  });
  train.sort((a, b) => series[a.k]!.start + a.i - (series[b.k]!.start + b.i) || a.k - b.k);   // by time, for the split below
  const nFit = Math.round(train.length * 0.9);
  const fitItems = train.slice(0, nFit), selectItems = train.slice(nFit);
  console.log(`  ${train.length} training windows (${monthName(series[train[0]!.k]!.start + train[0]!.i)} – ${monthName(testFrom - 1)}), the last ${selectItems.length} of them for early stopping; ${test.length} test forecasts (${monthName(testFrom)} on); changes μ = ${mu.toPrecision(3)}, σ = ${sigma.toPrecision(3)} (training months)`);

  const model = new SequenceModel({
    input: { features: FEATURES }, cell: "lstm", hiddenSize: M.hiddenSize, numLayers: M.numLayers,
    output: { size: 1, per: "sequence", pooling: "last" },
  }, /* seed */ 1);
  const trainer = new Trainer({ model, optimizer: new Adam({ lr: M.lr }), loss: "mse", clipNorm: 1 });
  console.log(`  model: LSTM(${FEATURES} → ${M.hiddenSize}${M.numLayers > 1 ? `, ${M.numLayers} layers` : ""}) over ${M.window} months → last state → Linear(${M.hiddenSize}, 1), MSE; ${model.store.size.toLocaleString("en-US")} parameters; Adam lr ${M.lr}, up to ${M.epochs} epochs, patience ${M.patience}`);
  const fit = trainer.fit(fitItems.map((x) => x.example), {
    epochs: M.epochs, batchSize: M.batchSize, seed: 3, validation: selectItems.map((x) => x.example),
    earlyStopping: { patience: M.patience }, onBatch: progressLine(M.epochs, 1),
  });
  if (fit.nonFinite !== null) throw new Error(fit.nonFinite.message);
  const best = fit.epochs[(fit.bestEpoch ?? fit.epochs.length) - 1]!;
  console.log(`  ${fit.epochs.length} epochs (${fit.stopReason}), kept epoch ${best.epoch}: train MSE ${best.train.loss.toFixed(4)}, early-stopping MSE ${best.validation!.loss.toFixed(4)} (in units of σ²); ${secondsSince(t0)}`);

  // forecasts of x[i] from x[i−1] and the model's change; the baselines from the same history
  const pred = trainer.predict(test.map((x) => x.example));
  const methods = {
    LSTM: test.map((x, n) => tf.inv(tf.f(series[x.k]!.values[x.i - 1]!) + mu + sigma * pred[n]![0]!)),
    "last value": test.map((x) => series[x.k]!.values[x.i - 1]!),
    "seasonal naive (12)": test.map((x) => series[x.k]!.values[x.i - 12]!),
    "last value + last year's change": test.map((x) => {
      const v = series[x.k]!.values;
      return tf.inv(tf.f(v[x.i - 1]!) + tf.f(v[x.i - 12]!) - tf.f(v[x.i - 13]!));
    }),
  };
  const truth = test.map((x) => series[x.k]!.values[x.i]!);
  const rmse = (p: readonly number[], which: (n: number) => boolean = () => true): number => {
    let s = 0, c = 0;
    p.forEach((v, n) => { if (which(n)) { s += (v - truth[n]!) ** 2; c++; } });
    return Math.sqrt(s / c);
  };
  const multi = series.length > 1;
  const cols = multi ? series.map((s) => s.name) : [`RMSE (${tf.unit})`];
  console.log(`  held-out one-step-ahead RMSE${multi ? ` (${tf.unit}) per symbol, and RMSE of ln(price) over all (≈ relative error)` : ""}, ${test.length} forecasts:`);
  console.log(`    ${"".padEnd(33)}${cols.map((c) => c.padStart(9)).join("")}${multi ? "  ln-RMSE".padStart(10) : ""}`);
  for (const [name, p] of Object.entries(methods)) {
    const perSeries = multi ? series.map((_, k) => rmse(p, (n) => test[n]!.k === k)) : [rmse(p)];
    const logRmse = multi ? Math.sqrt(p.reduce((a, v, n) => a + (Math.log(v) - Math.log(truth[n]!)) ** 2, 0) / p.length) : NaN;
    console.log(`    ${name.padEnd(33)}${perSeries.map((r) => r.toFixed(3).padStart(9)).join("")}${multi ? `${(100 * logRmse).toFixed(2).padStart(9)}%` : ""}`);
  }

  // the chart: truth, the LSTM and the best-known naive forecast over the test months (and two years before)
  const file = `forecast-${task.toLowerCase()}${suffix}.svg`;
  writeFileSync(new URL(file, outDir), chart(`${task}: one-step-ahead forecasts on held-out months`, series.map((s, k) => {
    const idx = test.map((x, n) => [x, n] as const).filter(([x]) => x.k === k);
    const from = Math.max(1, (idx[0]?.[0].i ?? 1) - 24);
    return {
      title: `${s.name} (${tf.unit})`, split: testFrom,
      lines: [
        { label: "truth", color: "#222", dash: "", points: Array.from(s.values.subarray(from), (v, j) => [s.start + from + j, v] as const) },
        { label: "LSTM", color: "#1f77b4", dash: "", points: idx.map(([x, n]) => [s.start + x.i, methods.LSTM[n]!] as const) },
        { label: multi ? "last value" : "seasonal naive", color: "#e07b00", dash: "5 3", points: idx.map(([x, n]) => [s.start + x.i, (multi ? methods["last value"] : methods["seasonal naive (12)"])[n]!] as const) },
      ],
    };
  })));
  // a model file has no place for the normalisation, so it goes next to it
  const base = `forecast-${task.toLowerCase()}${suffix}`;
  writeFileSync(new URL(`${base}.rtsm`, outDir), serializeModel(model, { format: "binary" }));
  writeFileSync(new URL(`${base}.norm.json`, outDir), `${JSON.stringify({ change: tf.f === Math.log ? "ln x[t] - ln x[t-1]" : "x[t] - x[t-1]", mu, sigma, window: M.window, features: ["(change - mu) / sigma", "sin(2 pi month / 12)", "cos(2 pi month / 12)"], monthOrigin: "January = 0" }, null, 2)}\n`);
  console.log(`  chart: examples/out/${file}; model: examples/out/${base}.rtsm, its input normalisation: ${base}.norm.json`);
}

// ---- data ------------------------------------------------------------------------------------------------------------

/** The package's data directory (its main export fetches from a CDN; the CSV files are read from disk instead). */
function dataFile(name: string): string {
  const entry = createRequire(import.meta.url).resolve("vega-datasets");   // …/vega-datasets/build/index.js
  return readFileSync(join(dirname(entry), "..", "data", name), "utf8");
}

function loadCo2(): { series: Series; filled: number } {
  const rows = csvRows(dataFile("co2-concentration.csv"), ["Date", "CO2"]);
  const points = rows.map(([date, value]) => {
    const m = /^(\d{4})-(\d{2})-\d{2}$/.exec(date!);
    const v = Number(value);
    if (m === null || !(v > 0)) throw new TypeError(`co2-concentration.csv: bad row ${date},${value}`);
    return [Number(m[1]) * 12 + Number(m[2]) - 1, v] as const;
  });
  return fillGaps("CO2", points);
}

function loadStocks(): Series[] {
  const rows = csvRows(dataFile("stocks.csv"), ["symbol", "date", "price"]);
  const bySymbol = new Map<string, Array<readonly [number, number]>>();
  for (const [symbol, date, price] of rows) {
    const m = /^([A-Z][a-z]{2}) 1 (\d{4})$/.exec(date!), v = Number(price);
    if (m === null || !MONTHS.includes(m[1]!) || !(v > 0)) throw new TypeError(`stocks.csv: bad row ${symbol},${date},${price}`);
    const list = bySymbol.get(symbol!) ?? [];
    list.push([Number(m[2]) * 12 + MONTHS.indexOf(m[1]!), v]);
    bySymbol.set(symbol!, list);
  }
  return [...bySymbol].map(([name, points]) => {
    const { series, filled } = fillGaps(name, points);
    if (filled > 0) throw new RangeError(`stocks.csv: ${name} has ${filled} missing months`);
    return series;
  });
}

/** The named columns of a simple CSV (no quoted commas), row by row. */
function csvRows(text: string, columns: readonly string[]): string[][] {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = header!.split(",");
  const at = columns.map((c) => {
    const i = names.indexOf(c);
    if (i < 0) throw new TypeError(`CSV: expected a column ${JSON.stringify(c)}, got ${names.join(", ")}`);
    return i;
  });
  return lines.map((line) => { const f = line.split(","); return at.map((i) => f[i]!); });
}

/** A series over every month from the first to the last point; missing months linearly interpolated. */
function fillGaps(name: string, points: ReadonlyArray<readonly [number, number]>): { series: Series; filled: number } {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const start = sorted[0]![0], values = new Float64Array(sorted[sorted.length - 1]![0] - start + 1);
  let filled = 0;
  for (let j = 0; j < sorted.length; j++) {
    const [m, v] = sorted[j]!;
    values[m - start] = v;
    if (j > 0) {
      const [pm, pv] = sorted[j - 1]!;
      if (m === pm) throw new RangeError(`${name}: two values for ${monthName(m)}`);
      for (let g = pm + 1; g < m; g++, filled++) values[g - start] = pv + ((v - pv) * (g - pm)) / (m - pm);
    }
  }
  return { series: { name, start, values }, filled };
}

function monthName(m: number): string {
  return `${MONTHS[m % 12]} ${Math.floor(m / 12)}`;
}

// ---- the chart ---------------------------------------------------------------------------------------------------------

interface Line { readonly label: string; readonly color: string; readonly dash: string; readonly points: ReadonlyArray<readonly [number, number]> }
interface Panel { readonly title: string; readonly split: number; readonly lines: readonly Line[] }

/** Panels stacked vertically, each with its own y scale, x in months; a dotted line where the test months begin. */
function chart(title: string, panels: readonly Panel[]): string {
  const width = 900, panelH = panels.length > 1 ? 190 : 420, left = 60, right = 20, top = 50, gap = 40;
  const height = top + panels.length * (panelH + gap);
  const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  panels[0]!.lines.forEach((l, j) => {
    const x = width - right - 330 + j * 110;
    parts.push(`<line x1="${x}" y1="36" x2="${x + 24}" y2="36" stroke="${l.color}" stroke-width="2" stroke-dasharray="${l.dash}"/>`,
      `<text x="${x + 30}" y="40">${esc(l.label)}</text>`);
  });
  panels.forEach((p, k) => {
    const y0 = top + k * (panelH + gap) + 20, all = p.lines.flatMap((l) => l.points);
    const xs = all.map((q) => q[0]), ys = all.map((q) => q[1]);
    const xMin = Math.min(...xs), xMax = Math.max(...xs), yPad = (Math.max(...ys) - Math.min(...ys)) * 0.05 || 1;
    const yMin = Math.min(...ys) - yPad, yMax = Math.max(...ys) + yPad;
    const X = (m: number): number => left + ((m - xMin) / (xMax - xMin)) * (width - left - right);
    const Y = (v: number): number => y0 + panelH - ((v - yMin) / (yMax - yMin)) * panelH;
    parts.push(`<text x="${left}" y="${y0 - 6}" font-weight="bold">${esc(p.title)}</text>`,
      `<rect x="${left}" y="${y0}" width="${width - left - right}" height="${panelH}" fill="none" stroke="#999"/>`);
    for (let j = 0; j <= 4; j++) {
      const v = yMin + ((yMax - yMin) * j) / 4;
      parts.push(`<line x1="${left}" y1="${Y(v).toFixed(1)}" x2="${width - right}" y2="${Y(v).toFixed(1)}" stroke="#eee"/>`,
        `<text x="${left - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${v.toPrecision(4)}</text>`);
    }
    for (let m = Math.ceil(xMin / 12) * 12; m <= xMax; m += 12) {
      parts.push(`<line x1="${X(m).toFixed(1)}" y1="${y0 + panelH}" x2="${X(m).toFixed(1)}" y2="${y0 + panelH + 4}" stroke="#999"/>`,
        `<text x="${X(m).toFixed(1)}" y="${y0 + panelH + 16}" text-anchor="middle">${m / 12}</text>`);
    }
    if (p.split > xMin && p.split <= xMax) {
      parts.push(`<line x1="${X(p.split).toFixed(1)}" y1="${y0}" x2="${X(p.split).toFixed(1)}" y2="${y0 + panelH}" stroke="#888" stroke-dasharray="2 3"/>`,
        `<text x="${(X(p.split) + 4).toFixed(1)}" y="${y0 + 14}" fill="#666">held out →</text>`);
    }
    for (const l of p.lines) {
      if (l.points.length === 0) continue;
      const d = l.points.map((q, j) => `${j === 0 ? "M" : "L"}${X(q[0]).toFixed(1)},${Y(q[1]).toFixed(1)}`).join(" ");
      parts.push(`<path d="${d}" fill="none" stroke="${l.color}" stroke-width="${l.label === "truth" ? 1.5 : 2}" stroke-dasharray="${l.dash}"/>`);
    }
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
