/**
 * The page: buttons and the temperature slider talk to the worker (worker.js), which trains the model; this thread
 * only draws. The messages are listed at the top of worker.js.
 *
 * A requestAnimationFrame loop counts frames and the longest gap between two of them while training ("main thread:"
 * in the stats): it keeps counting because the training runs elsewhere. The numbers are also left on #stats as data
 * attributes (data-step, data-first-loss, data-loss, data-frames, data-longest-gap) for the end-to-end test.
 */
const $ = (id) => document.getElementById(id);
const ui = {
  model: $("model"), start: $("start"), stop: $("stop"), temperature: $("temperature"), temperatureValue: $("temperature-value"),
  status: $("status"), stats: $("stats"), step: $("step"), loss: $("loss"), bits: $("bits"), speed: $("speed"),
  frames: $("frames"), gap: $("gap"), chart: $("chart"), sample: $("sample"), sampleInfo: $("sample-info"),
};

const SMOOTHING = 0.8;           // the moving average: smooth ← 0.8·smooth + 0.2·loss
const history = [];              // { step, loss, smooth } for every batch so far
let smooth = NaN;
let training = false, chartStale = true;
let frames = 0, lastFrameAt = 0, longestGap = 0;

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onerror = (e) => showError(e.message || "the worker did not load: was the library built (npm run build)?");
worker.onmessage = ({ data: m }) => {
  switch (m.type) {
    case "ready":
      ui.model.textContent = `${m.chars.toLocaleString("en-US")} characters of five sonnets, ${m.vocabSize} symbols · ` +
        `Embedding → LSTM(128) → Linear, ${m.params.toLocaleString("en-US")} parameters · batches of 16 windows of 32 characters`;
      setTraining(false, "ready");
      break;
    case "training":
      setTraining(m.running, m.running ? "training…" : `stopped at step ${history.at(-1)?.step ?? 0}`);
      break;
    case "progress": {
      smooth = history.length === 0 ? m.loss : SMOOTHING * smooth + (1 - SMOOTHING) * m.loss;
      history.push({ step: m.step, loss: m.loss, smooth });
      ui.step.textContent = m.step;
      ui.loss.textContent = `${smooth.toFixed(3)} (from ${history[0].loss.toFixed(2)})`;
      ui.bits.textContent = (smooth / Math.LN2).toFixed(2);
      ui.speed.textContent = Math.round(m.charsPerSecond).toLocaleString("en-US");
      Object.assign(ui.stats.dataset, { step: m.step, firstLoss: history[0].loss, loss: smooth });
      chartStale = true;
      break;
    }
    case "sample":
      ui.sample.textContent = m.text;
      ui.sampleInfo.textContent = `step ${m.step} · temperature ${m.temperature.toFixed(2)}`;
      break;
    case "error":
      showError(m.message);
      break;
  }
};

ui.start.onclick = () => {
  ui.start.disabled = true;
  longestGap = 0;
  worker.postMessage({ type: "start" });
};
ui.stop.onclick = () => {
  ui.stop.disabled = true;
  ui.status.textContent = "stopping…";
  worker.postMessage({ type: "stop" });
};
ui.temperature.oninput = () => {
  const value = Number(ui.temperature.value);
  ui.temperatureValue.textContent = value.toFixed(2);
  worker.postMessage({ type: "temperature", value });
};
window.onresize = () => { chartStale = true; };

function setTraining(running, status) {
  training = running;
  ui.start.disabled = running;
  ui.stop.disabled = !running;
  ui.status.textContent = status;
  ui.status.classList.remove("error");
}

function showError(message) {
  console.error(message);
  ui.status.textContent = message;
  ui.status.classList.add("error");
}

// ---- the heartbeat: one call per frame the browser draws ------------------------------------------------------------
function frame(now) {
  if (training && lastFrameAt > 0) longestGap = Math.max(longestGap, now - lastFrameAt);
  lastFrameAt = now;
  frames++;
  ui.frames.textContent = frames;
  ui.gap.textContent = Math.round(longestGap);
  Object.assign(ui.stats.dataset, { frames, longestGap });
  if (chartStale) {
    drawChart();
    chartStale = false;
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// ---- the loss curve ------------------------------------------------------------------------------------------------
function drawChart() {
  const canvas = ui.chart, dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth, H = canvas.clientHeight;
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
  }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);

  const left = 44, right = 12, top = 12, bottom = 28;          // plot area inside the axes' labels
  const maxStep = Math.max(50, history.at(-1)?.step ?? 0);
  const maxLoss = Math.max(1, Math.ceil(Math.max(...history.map((p) => p.loss), 4)));
  const x = (step) => left + (step / maxStep) * (W - left - right);
  const y = (loss) => top + (1 - loss / maxLoss) * (H - top - bottom);

  g.font = "12px system-ui, sans-serif";
  g.fillStyle = "#666";
  g.strokeStyle = "#e5e5e5";
  g.lineWidth = 1;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let v = 0; v <= maxLoss; v++) {                         // one grid line per nat
    g.beginPath(); g.moveTo(left, y(v)); g.lineTo(W - right, y(v)); g.stroke();
    g.fillText(String(v), left - 6, y(v));
  }
  g.textAlign = "center";
  g.textBaseline = "top";
  const tick = niceStep(maxStep / 6);
  for (let s = 0; s <= maxStep; s += tick) g.fillText(String(s), x(s), H - bottom + 6);
  g.save();
  g.translate(12, top + (H - top - bottom) / 2);
  g.rotate(-Math.PI / 2);
  g.textBaseline = "middle";
  g.fillText("loss (nats/char)", 0, 0);
  g.restore();
  g.textAlign = "right";
  g.textBaseline = "bottom";
  g.fillText("step", W - right, H - bottom - 2);

  line(g, history, (p) => p.loss, x, y, "#a9c4e6", 1);
  line(g, history, (p) => p.smooth, x, y, "#1d4f91", 2.5);
}

function line(g, points, value, x, y, color, width) {
  if (points.length === 0) return;
  g.strokeStyle = color;
  g.lineWidth = width;
  g.lineJoin = "round";
  g.beginPath();
  points.forEach((p, i) => (i === 0 ? g.moveTo(x(p.step), y(value(p))) : g.lineTo(x(p.step), y(value(p)))));
  g.stroke();
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw);
}
