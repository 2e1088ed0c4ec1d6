// Bundles the Vite consumer's page (../vite-app) with webpack 5's defaults: webpack finds the
// wasm through the package's `new URL("token-keeper.wasm", import.meta.url)` and emits it as an
// asset. No loader, plugin or `experiments` setting (webpack 5.112 has top-level await on).
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import webpack from "webpack";

const here = import.meta.dirname;
const config = {
  mode: "production",
  entry: {
    main: resolve(here, "../vite-app/src/main.js"),
    isolated: resolve(here, "../vite-app/src/isolated.js"),
  },
  // The entry lives in ../vite-app; the package is this app's own install.
  resolve: { modules: [resolve(here, "node_modules")] },
  output: { path: resolve(here, "dist"), filename: "[name].js", clean: true },
};
const stats = await new Promise((done, fail) =>
  webpack(config, (error, stats) => (error ? fail(error) : done(stats))));
if (stats.hasErrors() || stats.hasWarnings()) {
  console.error(stats.toString("errors-warnings"));
  process.exit(1);
}
for (const [name, html] of [["main", "index.html"], ["isolated", "isolated.html"]]) {
  const page = readFileSync(resolve(here, "../vite-app", html), "utf8")
    .replace(`src="/src/${name}.js"`, `src="/${name}.js"`)
    .replace("Vite", "webpack");
  writeFileSync(resolve(here, "dist", html), page);
}
console.log(stats.toString({ assets: true, modules: false, colors: false }).split("\n").slice(0, 6).join("\n"));
