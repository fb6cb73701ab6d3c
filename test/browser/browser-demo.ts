/**
 * End-to-end test of the browser demo (examples/browser/) in real headless Chromium, driven by playwright-core:
 * it serves the project on 127.0.0.1, opens the page, presses Start, and checks that the loss falls, that text
 * appears, that the page keeps drawing frames while the worker trains, that the temperature slider reaches the
 * samples, and that Stop stops. It saves a screenshot to test/browser/out/browser-demo.png. Then it opens
 * test/browser/parallel/, which trains data-parallel with a TrainingPool of Web Workers (recurrent-ts/worker) and
 * compares that with single-thread training.
 *
 *   npm run test:browser          # builds dist/ first; needs /usr/bin/chromium (apt-get install chromium)
 *
 * Chromium is Debian's (CHROMIUM_PATH overrides the path): Playwright's own browser download does not work here.
 * Every wait is bounded, and a watchdog ends the run after two minutes whatever happens.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { startStaticServer } from "./static-server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const screenshot = join(root, "test", "browser", "out", "browser-demo.png");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const LOSS_WAIT_MS = 60_000;     // the loss must fall within this long of Start
const LOSS_FALL = 0.7;           // … to 70% of the first batch's loss: 4.0 nats → 2.8, below the 3.07 that character frequencies alone give
const WATCHDOG_MS = 120_000;

const started = performance.now();
const watchdog = setTimeout(() => {
  console.error(`browser: gave up after ${WATCHDOG_MS / 1000} s`);
  console.log("browser: 0 passed, 1 failed");
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

let passed = 0, failed = 0;
const reported = new Set<unknown>();
/** Runs one named check and prints one line; a failing check ends the run (the later ones build on it). */
async function check(name: string, body: () => Promise<string | void>): Promise<void> {
  const t0 = performance.now();
  try {
    const detail = await body();
    passed++;
    console.log(`ok   ${name}${detail ? `: ${detail}` : ""} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
    reported.add(err);
    throw err;
  }
}

/** The numbers the page leaves on #stats (see examples/browser/main.js). */
interface Stats { step: number; firstLoss: number; loss: number; frames: number; longestGap: number }
// (No function is declared inside a page function: tsx would wrap it in a helper the page does not have.)
const readStats = (page: Page): Promise<Stats> => page.$eval("#stats", (el) => {
  const d = (el as HTMLElement).dataset;
  return { step: Number(d.step), firstLoss: Number(d.firstLoss), loss: Number(d.loss), frames: Number(d.frames), longestGap: Number(d.longestGap) };
});

if (!existsSync(executablePath)) {
  console.error(`browser: no Chromium at ${executablePath}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH`);
  process.exit(1);
}
if (!existsSync(join(root, "dist", "index.js"))) {
  console.error("browser: dist/index.js is missing: run npm run build first (npm run test:browser does)");
  process.exit(1);
}

const server = await startStaticServer(root, { allow: ["/examples/", "/dist/", "/test/browser/parallel/"], lifetimeMs: WATCHDOG_MS });
const profile = await mkdtemp(join(tmpdir(), "recurrent-ts-chromium-"));
let context: BrowserContext | undefined;
const pageErrors: string[] = [];
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 820, height: 860 },
    timeout: 30_000,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => { if (msg.type() === "error") pageErrors.push(msg.text()); });

  await check("the page loads, and the worker loads the library and the text", async () => {
    await page.goto(`${server.url}/examples/browser/`);
    await page.waitForSelector("#start:not([disabled])");
    return (await page.textContent("#model")) ?? "";
  });

  await check(`after Start the loss falls to ${LOSS_FALL * 100}% of its first value within ${LOSS_WAIT_MS / 1000} s`, async () => {
    await page.click("#start");
    const t0 = performance.now();
    await page.waitForFunction((fall) => {
      const d = document.getElementById("stats")!.dataset;
      return Number(d.loss) <= fall * Number(d.firstLoss);
    }, LOSS_FALL, { timeout: LOSS_WAIT_MS, polling: 250 });
    const s = await readStats(page);
    return `${s.firstLoss.toFixed(3)} → ${s.loss.toFixed(3)} (moving average) at step ${s.step}, ${((performance.now() - t0) / 1000).toFixed(1)} s after Start`;
  });

  await check("the model's text appears", async () => {
    await page.waitForFunction(() => {
      const text = document.getElementById("sample")!.textContent ?? "";
      return text.startsWith("Shall I ") && text.length >= 100;
    });
    const text = (await page.textContent("#sample")) ?? "";
    return JSON.stringify(text.slice(0, 60) + "…");
  });

  await check("the main thread keeps drawing frames while the worker trains", async () => {
    const a = await readStats(page);
    const t0 = performance.now();
    await page.waitForTimeout(2000);
    const rtt0 = performance.now();
    const b = await readStats(page);
    const rtt = performance.now() - rtt0, seconds = (performance.now() - t0) / 1000;
    const fps = (b.frames - a.frames) / seconds;
    if (!(b.step > a.step)) throw new Error(`training did not advance (step ${a.step} → ${b.step})`);
    if (!(fps >= 15)) throw new Error(`only ${fps.toFixed(1)} frames/s while training`);
    if (!(b.longestGap < 1000)) throw new Error(`the longest gap between frames while training was ${b.longestGap.toFixed(0)} ms`);
    if (!(rtt < 500)) throw new Error(`reading the page took ${rtt.toFixed(0)} ms`);
    return `${fps.toFixed(0)} frames/s over ${b.step - a.step} training steps, longest gap between frames ${b.longestGap.toFixed(0)} ms`;
  });

  await check("the temperature slider sets the temperature of the next sample", async () => {
    await page.fill("#temperature", "1.2");
    const shown = await page.textContent("#temperature-value");
    if (shown !== "1.20") throw new Error(`the slider's label shows ${shown}, expected 1.20`);
    await page.waitForFunction(() => (document.getElementById("sample-info")!.textContent ?? "").includes("temperature 1.20"), undefined, { timeout: 10_000 });
    return (await page.textContent("#sample-info")) ?? "";
  });

  await check("Stop stops the training", async () => {
    await page.click("#stop");
    await page.waitForSelector("#start:not([disabled])");
    const a = await readStats(page);
    await page.waitForTimeout(600);
    const b = await readStats(page);
    if (b.step !== a.step) throw new Error(`the step went on from ${a.step} to ${b.step} after Stop`);
    return (await page.textContent("#status")) ?? "";
  });

  await check("a TrainingPool of 3 Web Workers (recurrent-ts/worker) trains like one thread, in a cross-origin isolated page", async () => {
    const p = await context!.newPage();
    try {
      p.on("pageerror", (err) => pageErrors.push(err.message));
      await p.goto(`${server.url}/test/browser/parallel/`);
      await p.waitForFunction(() => document.getElementById("result")!.textContent !== "running", undefined, { timeout: 30_000 });
      const r = JSON.parse((await p.textContent("#result")) ?? "{}") as { ok: boolean; error?: string; crossOriginIsolated: boolean; threads: number; losses: number[][]; maxWeightDiff: number };
      if (!r.ok) throw new Error(r.error);
      if (!r.crossOriginIsolated) throw new Error("the page is not cross-origin isolated");
      const lossDiff = Math.max(...r.losses.map(([a, b]) => Math.abs(a! - b!)));
      if (!(lossDiff < 1e-5 && r.maxWeightDiff < 1e-5)) throw new Error(`parallel differs from single-thread: losses ${JSON.stringify(r.losses)}, largest weight difference ${r.maxWeightDiff}`);
      return `${r.threads} threads, 3 steps: losses ${r.losses.map(([a]) => a!.toFixed(4)).join(" → ")}, largest weight difference ${r.maxWeightDiff.toExponential(1)}`;
    } finally {
      await p.close();
    }
  });

  await check("the page logged no errors", async () => {
    if (pageErrors.length > 0) throw new Error(pageErrors.join("\n"));
  });
} catch (err) {
  if (!reported.has(err)) {
    failed++;
    console.log(`FAIL ${err instanceof Error ? err.message : String(err)}`);
  }
  if (pageErrors.length > 0) console.log(`page errors:\n${pageErrors.join("\n")}`);
} finally {
  const page = context?.pages()[0];
  if (page !== undefined) {
    await mkdir(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true }).then(
      () => console.log(`screenshot: ${relative(root, screenshot)}`),
      (err: unknown) => console.log(`no screenshot: ${err instanceof Error ? err.message : String(err)}`));
  }
  await context?.close();
  await server.close();
  await rm(profile, { recursive: true, force: true });
}
console.log(`browser demo test took ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
