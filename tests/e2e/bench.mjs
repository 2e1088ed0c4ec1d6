// `make bench`: prints the figures of DESIGN.md's targets, measured in Chromium on loopback
// against the mock server (BENCH_URL). A command that prints figures, not a test that passes.
import { launch, reset, control, stats } from "./common.js";

const BASE = process.env.BENCH_URL;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1000);

const browser = await launch();
try {
  await reset(BASE);
  const page = await (await browser.newContext()).newPage();
  await page.goto(BASE);
  await page.waitForFunction(() => window.tokenKeeper !== undefined);
  await page.evaluate(() => window.tokenKeeper.login({ username: "alice", password: "wonderland" }));

  // 1. keeper.fetch against window.fetch carrying the same bearer, interleaved, medians.
  const timing = await page.evaluate(async (rounds) => {
    const keeper = window.tokenKeeper;
    const bearer = { headers: { authorization: `Bearer ${keeper.accessToken()}` } };
    const sorted = (xs) => [...xs].sort((a, b) => a - b);
    const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
    // Mean of the middle half: finer than a median when the clock ticks in 0.1 ms steps.
    const iqm = (xs) => { const s = sorted(xs).slice(xs.length / 4, (3 * xs.length) / 4); return s.reduce((a, b) => a + b, 0) / s.length; };
    const plain = [], kept = [];
    for (let i = 0; i < 30; i++) { await (await fetch("/api/me", bearer)).text(); await (await keeper.fetch("/api/me")).text(); }
    for (let i = 0; i < rounds; i++) {
      let t = performance.now(); await (await fetch("/api/me", bearer)).text(); plain.push(performance.now() - t);
      t = performance.now(); await (await keeper.fetch("/api/me")).text(); kept.push(performance.now() - t);
    }
    return { plain: median(plain), kept: median(kept), plainIqm: iqm(plain), keptIqm: iqm(kept) };
  }, ROUNDS);
  console.log(`fetch, ${ROUNDS} interleaved calls each, same bearer, loopback to the debug-built mock server`);
  console.log(`  median: window.fetch ${timing.plain.toFixed(2)} ms, keeper.fetch ${timing.kept.toFixed(2)} ms, ` +
    `ratio ${(timing.kept / timing.plain).toFixed(3)} (target <= 1.03)`);
  console.log(`  middle-half mean: window.fetch ${timing.plainIqm.toFixed(3)} ms, keeper.fetch ${timing.keptIqm.toFixed(3)} ms, ` +
    `ratio ${(timing.keptIqm / timing.plainIqm).toFixed(3)}, overhead ${((timing.keptIqm - timing.plainIqm) * 1000).toFixed(0)} us`);
  console.log("  (performance.now() ticks in 0.1 ms steps here; run-to-run noise is a few hundred us)");

  // 2. Single flight: 50 concurrent callers after every access token is revoked.
  await control(BASE, "/__mock/config", { revoke_access_tokens: true, refresh_delay_ms: 100 });
  let before = await stats(BASE);
  const statuses = await page.evaluate(() =>
    Promise.all(Array.from({ length: 50 }, () => window.tokenKeeper.fetch("/api/me").then((r) => r.status))));
  let after = await stats(BASE);
  console.log(`single flight: ${after.refreshes - before.refreshes} refresh(es) for 50 concurrent callers after a revoke ` +
    `(target 1), ${statuses.filter((s) => s === 200).length}/50 answered 200`);

  // 3. Steady state: 2 s tokens, 10 s of calls, the 401s the server saw.
  await control(BASE, "/__mock/config", { access_ttl_ms: 2000, refresh_delay_ms: 0 });
  await page.evaluate(() => window.tokenKeeper.refresh());
  before = await stats(BASE);
  const calls = await page.evaluate(async () => {
    let n = 0;
    for (const end = Date.now() + 10000; Date.now() < end; n++) {
      await window.tokenKeeper.fetch("/api/me");
      await new Promise((r) => setTimeout(r, 50));
    }
    return n;
  });
  after = await stats(BASE);
  console.log(`steady state: ${after.api_unauthorized - before.api_unauthorized} 401(s) in ${calls} calls over 10 s ` +
    `with 2 s tokens (target 0), ${after.refreshes - before.refreshes} refreshes`);
} finally {
  await browser.close();
}
