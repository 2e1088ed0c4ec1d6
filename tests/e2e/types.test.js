// tsc --noEmit over a file that uses every option, method and event of the generated .d.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

test("the package's TypeScript types accept every use and refuse the misuses", () => {
  try {
    execFileSync("node_modules/.bin/tsc", ["-p", "types/tsconfig.json"], { encoding: "utf8" });
  } catch (error) {
    assert.fail(`tsc found problems:\n${error.stdout}${error.stderr}`);
  }
});
