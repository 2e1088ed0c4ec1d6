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

/**
 * The part a function belongs to: its crate and module path (legacy-mangled Rust names are
 * length-prefixed segments: `_ZN17token_keeper_core6keeper4auth…`), the standard library's
 * (`alloc`, `core`, v0-mangled `_R…`), or the npm wasm's exports (unmangled: each with what it
 * inlined).
 */
function part(name) {
  if (!name.startsWith("_ZN")) return name.startsWith("_R") ? "std (alloc, core)" : "exports (with what they inline)";
  const segments = [];
  for (let at = 3; segments.length < 3 && /\d/.test(name[at]); ) {
    const digits = name.slice(at).match(/^\d+/)[0];
    at += digits.length;
    segments.push(name.slice(at, at + Number(digits)));
    at += Number(digits);
  }
  let [crate, module, item] = segments;
  // A trait impl, `<token_keeper_core..jwt..Claims as core..clone..Clone>::clone`: its type's path.
  if (crate?.startsWith("_$LT$")) {
    [crate, module, item] = crate.replace(/^(_?\$LT\$)+/, "").split(/\$u20\$|\$GT\$|\$LT\$/)[0].split("..");
  }
  if (crate?.includes("lol_alloc")) return "the allocator (lol_alloc)";
  if (crate == "alloc" || crate == "core" || !/^[a-z0-9_]+$/.test(crate ?? "")) return "std (alloc, core)";
  if (module == "keeper" && item && !item.startsWith("_$LT$") && item != "Keeper") return `${crate}::keeper::${item}`;
  return `${crate}::${module}`;
}

if (process.argv.includes("--parts")) {
  const parts = new Map();
  for (const [index, size] of sizes) {
    const key = part(names.get(index) ?? "");
    parts.set(key, (parts.get(key) ?? 0) + size);
  }
  const total = sizes.reduce((sum, [, size]) => sum + size, 0);
  console.log(`${total} B of code by part:`);
  for (const [key, size] of [...parts].sort((a, b) => b[1] - a[1])) {
    console.log(`${String(size).padStart(7)}  ${(size / total * 100).toFixed(1).padStart(5)} %  ${key}`);
  }
  process.exit(0);
}
const total = sizes.reduce((sum, [, size]) => sum + size, 0);
console.log(`${total} B of code in ${sizes.length} functions; the largest ${count}:`);
for (const [index, size] of sizes.slice(0, count)) {
  // Mangled names without their hash, for reading.
  const name = (names.get(index) ?? `#${index}`).replace(/17h[0-9a-f]{16}E$/, "");
  console.log(`${String(size).padStart(7)}  ${name}`);
}
