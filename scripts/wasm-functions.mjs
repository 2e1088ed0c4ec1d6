// Prints the largest functions of a wasm file by code bytes, named from its name section:
// where the npm wasm's bytes are. Usage: node scripts/wasm-functions.mjs FILE [COUNT]
// [--parts | --features SHIPPED_WASM]
import { readFileSync } from "node:fs";

const count = Number(process.argv[3] ?? 40);
let bytes; // the file being read
let at; // where in it
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
/** Calls `visit(id, end)` with `at` at the start of each section of `file`, then moves past it. */
function eachSection(file, visit) {
  bytes = file;
  at = 8; // past the magic number and the version
  while (at < bytes.length) {
    const id = bytes[at++];
    const end = leb() + at;
    visit(id, end);
    at = end;
  }
}

let imported = 0;
const sizes = [];
const names = new Map();
eachSection(readFileSync(process.argv[2]), (id, end) => {
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
});
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

/** What a user gets from each part (`--features`): the part's label, its modules and exports. */
const FEATURES = [
  ["options checked, the allow-list, a keeper made", ["core::config", "core::origin"], ["create"]],
  ["a token decoded: the JWT, its claims, JSON.parse's members staged", ["core::jwt", "core::parsed", "wasm::fields", "wasm::abi"], ["decode", "claims", "set_token", "expires", "token", "field"]],
  ["auth calls and their answers: login, logout, the refresh call, CSRF, the drain", ["keeper::auth", "keeper::answers", "keeper::send", "keeper::csrf", "keeper::login", "keeper::drain", "keeper::grant", "keeper::calls"], ["auth_answer", "login", "logout", "restore", "refresh"]],
  ["the refresh: its flight, schedule, lock, deadlines, the token held", ["keeper::flight", "keeper::flight_end", "keeper::lock", "keeper::deadlines", "keeper::token", "core::schedule", "core::rng"], ["lock", "wake", "timeout", "deadline"]],
  ["app requests: the bearer, the 401 retry, WWW-Authenticate", ["keeper::fetch", "keeper::bearer_of", "core::challenge"], ["fetch", "fetch_answer", "second"]],
  ["tabs: messages judged and posted", ["keeper::tabs", "core::message"], ["hear"]],
  ["DPoP: a proof's inputs, the nonces", ["keeper::dpop"], ["nonce"]],
  ["commands encoded for JavaScript, errors, events, the exports' plumbing", ["core::keeper", "core::error", "core::event", "wasm::api", "wasm::commands", "exports"], ["poll"]],
  ["Rust's alloc and core, and the allocator", ["std", "the allocator"], []],
];

if (process.argv.includes("--features")) {
  // Attribution needs a build that inlines nothing (functions.sh makes one): each function then
  // counts where it was written. The gzip figures share out the shipped wasm's (the file given
  // after --features) code section's gzip by those proportions; its data (error messages,
  // option names, panic locations) is a row of its own.
  const { gzipSync } = await import("node:zlib");
  const sections = new Map();
  eachSection(readFileSync(process.argv[process.argv.indexOf("--features") + 1]), (id, end) =>
    sections.set(id, bytes.subarray(at, end)));
  const gz = (id) => gzipSync(sections.get(id) ?? Buffer.alloc(0), { level: 9 }).length;
  const [codeGz, dataGz] = [gz(10), gz(11)];
  const sums = FEATURES.map(() => 0);
  for (const [index, size] of sizes) {
    const name = names.get(index) ?? "";
    const where = part(name).replace(/^token_keeper_(core|wasm)::/, "$1::").replace(/ \(.*$/, "");
    let i = FEATURES.findIndex(([, modules, exports]) =>
      modules.some((m) => where == m || where == `core::${m}`) || exports.includes(name));
    if (i < 0) i = FEATURES.length - 2; // anything else: plumbing
    sums[i] += size;
  }
  const total = sums.reduce((a, b) => a + b, 0);
  console.log(`the npm wasm by what it does: code bytes where each function was written (no inlining),`);
  console.log(`and the shipped wasm's gzip shared out by them (code ${codeGz} B gzip, data ${dataGz} B):`);
  FEATURES.forEach(([label], i) =>
    console.log(`${String(sums[i]).padStart(7)}  ${(sums[i] / total * 100).toFixed(1).padStart(5)} %  ~${String(Math.round(sums[i] / total * codeGz)).padStart(5)} B gzip  ${label}`));
  console.log(`${String(sections.get(11)?.length ?? 0).padStart(7)}           ${String(dataGz).padStart(6)} B gzip  the data: error messages, option and claim names, panic locations`);
  process.exit(0);
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
