// `make bench`: every budget of budgets.md measured in one run, each beside
// its anchor built and measured on the same machine, printed as one table.
//   node bench/run.mjs            (after `make bench` has built everything)
// Reads the native figures the kernel bench wrote (target/bench-native.json),
// measures bundle sizes from dist/ and the anchors' dist, and drives headless
// Chromium (playwright-core) over the anchor pages and ClusterLab's own
// benchmark API (`window.clusterlab.bench`). Prints figures; asserts nothing.
import { readdir, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../e2e/serve.mjs';
import { appFrames, rawCanvasDrawMs } from './frames.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const APP_DIST = join(ROOT, 'dist');
const ANCHORS = join(ROOT, 'bench', 'anchors');
const YEW_DIST = join(ANCHORS, 'yew-counter', 'dist');
const NATIVE = join(ROOT, 'target', 'bench-native.json');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

// ---- serving and measuring -------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function sizes(dir) {
  const files = await readdir(dir);
  const one = async (ext) => {
    const name = files.find((f) => f.endsWith(ext));
    if (!name) return null;
    const body = await readFile(join(dir, name));
    return { raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
  };
  return { wasm: await one('.wasm'), js: await one('.js') };
}

/** Opens `url` in a fresh page, waits for `expr` to be truthy, returns its value. */
async function valueOf(browser, url, expr, timeoutMs = 120_000) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(new URL(url).origin)) outside.push(r.url()); });
  try {
    await page.goto(url);
    const handle = await page.waitForFunction(expr, null, { timeout: timeoutMs, polling: 50 });
    return { value: await handle.jsonValue(), outside };
  } finally {
    await context.close();
  }
}

/** Calls `window.clusterlab.bench[method](...args)` on a fresh app page. */
async function appBench(browser, origin, method, args = [], query = '') {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/${query}`);
    await page.waitForFunction(() => window.clusterlab && window.clusterlab.bench, null, { timeout: 60_000 });
    return await page.evaluate(([m, a]) => window.clusterlab.bench[m](...a), [method, args]);
  } catch (e) {
    return { error: String(e.message ?? e).split('\n')[0] };
  } finally {
    await context.close();
  }
}

/** The app's frame figures with a Double-11 crowd (bench/frames.mjs). */
async function framesOnApp(browser, origin) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/?seed=1&shoppers=20000`);
    await page.waitForFunction(() => window.clusterlab && window.clusterlab.frameStats, null, { timeout: 60_000 });
    return await appFrames(page, { frames: 300, inFlight: 1000 });
  } catch (e) {
    return { error: String(e.message ?? e).split('\n')[0] };
  } finally {
    await context.close();
  }
}

// ---- the table ---------------------------------------------------------------

const rows = [];
/** One row: `lowerIsBetter` decides which side of `limit` (a ratio) is within budget. */
function row(figure, value, unit, anchor, anchorUnit, ratio, budget, within) {
  const verdict = value == null ? 'NOT MEASURED' : within ? 'within budget' : 'OVER BUDGET';
  rows.push([figure, value == null ? '—' : `${value} ${unit}`, anchor == null ? '—' : `${anchor} ${anchorUnit}`,
    ratio == null ? '—' : ratio.toFixed(2), budget, verdict]);
}

function print() {
  const head = ['figure', 'ClusterLab', 'anchor', 'ratio', 'budget', 'verdict'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  rows.forEach((r) => console.log(line(r)));
}

const kb = (bytes) => (bytes / 1024).toFixed(1);
const fixed = (x, d = 2) => (x == null || !Number.isFinite(x) ? null : Number(x.toFixed(d)));

async function main() {
  const native = JSON.parse(await readFile(NATIVE, 'utf8'));
  const app = await sizes(APP_DIST);
  const yew = await sizes(YEW_DIST);
  const servers = [await serve(APP_DIST), await serve(YEW_DIST), await serve(ANCHORS)];
  const [origin, yewOrigin, anchorOrigin] = servers.map((s) => s.origin);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    const r = (ratio) => fixed(ratio);
    row('bundle: wasm gzip', kb(app.wasm.gzip), 'KB', kb(yew.wasm.gzip), 'KB (Yew counter)', r(app.wasm.gzip / yew.wasm.gzip),
      '≤ 4.00× anchor', app.wasm.gzip <= 4 * yew.wasm.gzip);
    row('bundle: wasm raw', kb(app.wasm.raw), 'KB', kb(yew.wasm.raw), 'KB', r(app.wasm.raw / yew.wasm.raw), '(shown)', true);
    row('bundle: JS glue gzip', kb(app.js.gzip), 'KB', kb(yew.js.gzip), 'KB', r(app.js.gzip / yew.js.gzip), '≤ 10 KB', app.js.gzip <= 10 * 1024);

    const anchorRate = native.anchor_events_per_s;
    const fullRate = native.full_events_per_s;
    row('model: full shop, Double 11, native', fixed(fullRate / 1e6), 'M ev/s', fixed(anchorRate / 1e6), 'M ev/s (heap loop)',
      r(fullRate / anchorRate), '≥ 0.25× anchor', fullRate >= 0.25 * anchorRate);
    row('memory: pending event record', native.record_bytes, 'B', native.anchor_record_bytes, 'B (heap loop)',
      r(native.record_bytes / native.anchor_record_bytes), '≤ 64 B', native.record_bytes <= 64);

    const wasmRates = [];
    // Each run warms the whole shop up for 15 virtual seconds first: three runs.
    for (let i = 0; i < Math.min(REPEATS, 3); i++) {
      const got = await appBench(browser, origin, 'modelEventsPerSec', [1200]);
      if (typeof got === 'number') wasmRates.push(got);
    }
    const wasmRate = wasmRates.length ? median(wasmRates) : null;
    row('model: full shop, Double 11, wasm', fixed(wasmRate && wasmRate / 1e6), 'M ev/s', fixed(fullRate / 1e6), 'M ev/s (native)',
      wasmRate && r(wasmRate / fullRate), '≥ 0.70× native', wasmRate >= 0.7 * fullRate);

    const ff = await appBench(browser, origin, 'fastForward', [1_000_000]);
    const projected = ff.projected ? ` (projected from ${ff.requests} in 60 s)` : '';
    row('fast-forward 1,000,000 requests', fixed(ff.wallMs / 1000), `s${projected}`, null, null, null, '≤ 2.5 s, slices ≤ 8 ms',
      ff.wallMs <= 2500 && ff.maxSliceMs <= 8);
    row('fast-forward: longest slice', fixed(ff.maxSliceMs), 'ms', null, null, null, '≤ 8 ms (+1 check)', ff.maxSliceMs <= 9);
    row(`memory: wasm after ${ff.projected ? ff.requests : '1,000,000'} requests`, ff.memoryBytes && kb(ff.memoryBytes / 1024), 'MB',
      null, null, null, '≤ 64 MB', ff.memoryBytes <= 64 * 1024 * 1024);

    // The anchor paints as many dots as the app did; means, as the page clock is 0.1 ms coarse.
    const frames = await framesOnApp(browser, origin);
    const anchorDraws = [];
    for (let i = 0; i < REPEATS && frames.dots; i++) anchorDraws.push((await rawCanvasDrawMs(browser, frames.dots)).mean);
    const anchorDraw = anchorDraws.length ? median(anchorDraws) : null;
    row('animation: paint the dots (mean)', fixed(frames.drawMeanMs, 3), `ms (${frames.dots} dots)`, fixed(anchorDraw, 3),
      'ms (raw canvas, same dots)', frames.drawMeanMs && anchorDraw && r(frames.drawMeanMs / anchorDraw), '≤ 1.50× anchor',
      frames.drawMeanMs <= 1.5 * anchorDraw);
    row('animation: whole frame p95', fixed(frames.frameP95Ms), `ms (model p95 ${fixed(frames.modelP95Ms, 1)}, refresh p95 ${fixed(frames.refreshP95Ms, 1)})`,
      null, null, null, '≤ 10 ms', frames.frameP95Ms <= 10);

    const firsts = [], anchorFirsts = [];
    for (let i = 0; i < REPEATS; i++) {
      anchorFirsts.push((await valueOf(browser, `${yewOrigin}/`, 'window.__anchorFirstRenderMs')).value);
      firsts.push((await valueOf(browser, `${origin}/`, 'window.__clusterlabInteractiveMs').catch(() => ({}))).value);
    }
    const first = firsts.every((x) => typeof x === 'number') ? median(firsts) : null;
    const anchorFirst = median(anchorFirsts);
    row('first render → interactive diagram', fixed(first, 1), 'ms', fixed(anchorFirst, 1), 'ms (Yew counter)',
      first && r(first / anchorFirst), '≤ 2.00× anchor', first <= 2 * anchorFirst);

    const charts = [];
    for (let i = 0; i < REPEATS; i++) charts.push((await valueOf(browser, `${anchorOrigin}/chart.html?points=1000`, 'window.__anchorResult')).value);
    const chartAnchor = median(charts.map((c) => c.redrawMs.p50));
    const chart = await appBench(browser, origin, 'chartRedraw', [100]);
    row('chart redraw (p50)', fixed(chart.p50Ms), 'ms', fixed(chartAnchor), 'ms (hand-written)', chart.p50Ms && r(chart.p50Ms / chartAnchor),
      '≤ 4.00× anchor, ≤ 4/s', chart.p50Ms <= 4 * chartAnchor && chart.redrawsPerSec <= 4);
  } finally {
    await browser.close();
    servers.forEach((s) => s.server.close());
  }
  console.log(`\nmachine: ${(await readFile('/proc/cpuinfo', 'utf8')).match(/model name\s*:\s*(.*)/)?.[1] ?? '?'}, ` +
    `${(await readFile('/proc/cpuinfo', 'utf8')).match(/^processor/gm)?.length ?? '?'} cores; medians of ${REPEATS} runs\n`);
  print();
  const over = rows.filter((r) => r[5] !== 'within budget').length;
  console.log(`\n${rows.length - over} of ${rows.length} rows within budget`);
}

main().catch((e) => { console.error(e); process.exit(1); });
