import { launch, reset } from "./common.js";
const BASE = process.env.BENCH_URL;
const browser = await launch();
await reset(BASE);
const page = await (await browser.newContext()).newPage();
await page.goto(BASE);
await page.waitForFunction(() => window.tokenKeeper !== undefined);
console.log(await page.evaluate(async () => {
  const { TokenKeeper } = await import("/pkg/web/token_keeper.js");
  const k = new TokenKeeper({ refreshUrl: "/x", crossTab: false, allowedOrigins: [] });
  const N = 1500; const res = {};
  const fns = { plain: () => fetch("data:,x"), keeperPassThrough: () => k.fetch("data:,x") };
  for (const name of Object.keys(fns)) res[name] = [];
  for (let i = 0; i < N; i++) for (const [name, f] of Object.entries(fns)) { const t = performance.now(); await (await f()).text(); res[name].push(performance.now() - t); }
  const iqm = (xs) => { const s = [...xs].sort((a, b) => a - b).slice(xs.length / 4, 3 * xs.length / 4); return (s.reduce((a, b) => a + b, 0) / s.length * 1000).toFixed(0) + "us"; };
  return JSON.stringify(Object.fromEntries(Object.entries(res).map(([k, v]) => [k, iqm(v)])));
}));
await browser.close();
