// Prints the largest functions of a wasm file by code bytes, named from its name section:
// where the npm wasm's bytes are. Usage: node scripts/wasm-functions.mjs FILE [COUNT]
import { readFileSync } from "node:fs";

const bytes = readFileSync(process.argv[2]);
const count = Number(process.argv[3] ?? 40);
let at = 8; // past the magic number and the version
const leb = () => {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return value;
};
// A name, or a section's rest. (Not `at += leb()`: that reads `at` before leb() moves it.)
const skip = () => {
  const length = leb();
  at += length;
};
let imported = 0;
const sizes = [];
const names = new Map();
while (at < bytes.length) {
  const id = bytes[at++];
  const end = leb() + at;
  if (id == 2) {
    // Imports: functions among them take the first indices.
    for (let n = leb(); n > 0; n--) {
      skip();
      skip();
      const kind = bytes[at++];
      if (kind == 0) (leb(), imported++);
      else if (kind == 1) (at++, bytes[at++] & 1 ? (leb(), leb()) : leb());
      else if (kind == 2) (bytes[at++] & 1 ? (leb(), leb()) : leb());
      else at += 2;
    }
  } else if (id == 10) {
    for (let n = leb(), i = 0; i < n; i++) {
      const size = leb();
      sizes.push([imported + i, size]);
      at += size;
    }
  } else if (id == 0) {
    const length = leb();
    if (bytes.toString("utf8", at, at + length) == "name") {
      at += length;
      while (at < end) {
        const sub = bytes[at++];
        const subEnd = leb() + at;
        if (sub == 1) {
          for (let n = leb(); n > 0; n--) {
            const index = leb();
            const size = leb();
            names.set(index, bytes.toString("utf8", at, at + size));
            at += size;
          }
        }
        at = subEnd;
      }
    }
  }
  at = end;
}
sizes.sort((a, b) => b[1] - a[1]);
const total = sizes.reduce((sum, [, size]) => sum + size, 0);
console.log(`${total} B of code in ${sizes.length} functions; the largest ${count}:`);
for (const [index, size] of sizes.slice(0, count)) {
  // Mangled names without their hash, for reading.
  const name = (names.get(index) ?? `#${index}`).replace(/17h[0-9a-f]{16}E$/, "");
  console.log(`${String(size).padStart(7)}  ${name}`);
}
