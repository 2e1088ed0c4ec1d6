// tsc --noEmit over a file that uses every option, method and event of the hand-written .d.ts,
// under `strict` with `"lib": ["es2022", "dom"]` and `skipLibCheck: false`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

test("the package's TypeScript types accept every use and refuse the misuses", () => {
  try {
    execFileSync("node_modules/.bin/tsc", ["-p", "types/tsconfig.json"], { encoding: "utf8" });
  } catch (error) {
    assert.fail(`tsc found problems:\n${error.stdout}${error.stderr}`);
  }
});

test("the published declarations contain no `any`", () => {
  for (const file of ["token-keeper.d.ts", "isolated.d.ts"]) {
    const dts = readFileSync(`../../pkg/${file}`, "utf8");
    const lines = dts.split("\n").filter((line) => /\bany\b/.test(line.replace(/\/\*.*?\*\/|\/\/.*$/g, "")));
    assert.deepEqual(lines, [], `${file} uses any`);
  }
});
