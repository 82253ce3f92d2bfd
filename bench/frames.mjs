// The animation budget of budgets.md, measured the same way by the e2e
// harness (e2e/run.mjs, test `frame-time`) and by `make bench`:
//  - the anchor: raw canvas fillRect of N moving dots (bench/anchors/raw-canvas.html);
//  - ClusterLab: the whole shop playing with about 1,000 requests in flight,
//    over at least 300 animation frames: the dot painter's own time per paint
//    (window.clusterlab.frameStats().drawP50Ms), and the whole frame's script
//    work (model step + dots + Yew's DOM refresh), read in an animation-frame
//    callback that runs after the app's in the same frame.
// Figures only; nothing here asserts a time.

const RAW_CANVAS = new URL('./anchors/raw-canvas.html', import.meta.url);

/**
 * The anchor's draw time (ms, { p50, p95, mean }): `dots` dots (1,000 unless
 * told) over 300 frames. Give it the app's dot count to compare like with like.
 */
export async function rawCanvasDrawMs(browser, dots = 1000) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  try {
    const page = await context.newPage();
    // Served as a file URL so that its ?dots= reaches the page's script.
    await page.goto(`${RAW_CANVAS.href}?dots=${Math.max(1, Math.round(dots))}`);
    const handle = await page.waitForFunction(() => window.__anchorResult, null, { timeout: 60_000, polling: 100 });
    return (await handle.jsonValue()).drawMs;
  } finally {
    await context.close();
  }
}

/**
 * On an app `page` opened with a crowd past Double 11 (`?shoppers=20000`): warms
 * the shop up until about `inFlight` requests are on the wire, plays at 1×,
 * and measures `frames` frames. Returns { frames, dots, drawP50Ms, drawP95Ms,
 * drawMeanMs, frameP50Ms, frameP95Ms, modelP95Ms, refreshP50Ms, refreshP95Ms }.
 */
export async function appFrames(page, { frames = 300, inFlight = 1000 } = {}) {
  await page.evaluate(async (want) => {
    for (let i = 0; i < 60 && window.clusterlab.snapshot().inFlight < want; i++) window.clusterlab.runFor(1_000_000);
  }, inFlight);
  await page.locator('[data-control="speed"]').evaluate((el) => {
    el.value = '0';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.locator('[data-control="play"]').click();
  const work = await page.evaluate((count) => new Promise((done) => {
    const out = [];
    // Registered after the app's own animation-frame callback, so this one
    // runs after it (and after the microtasks in which Yew re-renders).
    const tick = (frameStart) => {
      out.push(performance.now() - frameStart);
      if (out.length < count) requestAnimationFrame(tick); else done(out);
    };
    requestAnimationFrame(tick);
  }), frames);
  const stats = await page.evaluate(() => window.clusterlab.frameStats());
  await page.locator('[data-control="pause"]').click();
  const sorted = [...work].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { frames: work.length, dots: stats.lastDots, drawP50Ms: stats.drawP50Ms, drawP95Ms: stats.drawP95Ms,
    drawMeanMs: stats.drawMeanMs, frameP50Ms: pct(50), frameP95Ms: pct(95), modelP95Ms: stats.p95Ms,
    refreshP50Ms: stats.refreshP50Ms, refreshP95Ms: stats.refreshP95Ms };
}
