// The parsing seam in the npm package: the wasm reads no JSON, base64 or UTF-8 itself. The core
// checks a token's segments' syntax and asks JavaScript to decode each (atob, TextDecoder,
// JSON.parse), which hands the text and members over; the driver checks the options' types
// itself; the core checks their meaning — with the same errors the Rust crate's decoder (the
// base64 crate and serde_json) gives (core/src/jwt.rs, parsed.rs, config_json.rs and their
// tests). In Chromium, on the package as shipped.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PAGE_URL, launch } from "./common.js";

let browser;
let page;
before(async () => {
  browser = await launch();
  page = await (await browser.newContext()).newPage();
  await page.goto(PAGE_URL);
  await page.waitForFunction(() => window.loaded);
  await page.evaluate(() => window.init());
});
after(async () => { await browser?.close(); });

const b64 = (text) => Buffer.from(text).toString("base64url");
const token = (payload, header = '{"alg":"HS256","typ":"JWT"}') => `${b64(header)}.${b64(payload)}.c2ln`;

/** decodeJwt in the page: the claims, or [code, message]. */
const decode = (jwt, options) =>
  page.evaluate(([jwt, options]) => {
    try {
      return { claims: decodeJwt(jwt, options) };
    } catch (e) {
      return { error: [e.name, e.code, e.message] };
    }
  }, [jwt, options]);

test("claims of every JSON type come back whole; the registered ones are checked by type", async () => {
  const payload = '{"sub":"é😀\\u0000","exp":1700000000.5,"aud":["x","y"],"deep":{"n":[1,{"k":null}],"t":true}}';
  assert.deepEqual(await decode(token(payload)), { claims: JSON.parse(payload) });
  assert.deepEqual((await decode(token(payload), { header: true })).claims, { alg: "HS256", typ: "JWT" });
  for (const [payload, message] of [
    ['{"exp":"soon"}', "the jwt claim `exp` must be a number"],
    ['{"nbf":null}', "the jwt claim `nbf` must be a number"],
    ['{"aud":[1]}', "the jwt claim `aud` must be a string or an array of strings"],
    ['{"sub":5}', "the jwt claim `sub` must be a string"],
    ['{"exp":5,"exp":"x"}', "the jwt claim `exp` must be a number"],
    ["[1,2]", "the jwt payload segment is json but not an object"],
    ['"text"', "the jwt payload segment is json but not an object"],
    ['{"exp":1,}', "the jwt payload segment is not json"],
    ["", "the jwt payload segment is empty"],
  ]) {
    assert.deepEqual(await decode(token(payload)), { error: ["TokenKeeperError", "invalid_token", message] }, payload);
  }
  // The last of two duplicates wins, as JSON.parse reads them.
  assert.equal((await decode(token('{"exp":"x","exp":5}'))).claims.exp, 5);
  assert.deepEqual(await decode(token("{}", '{"alg":7}')), {
    error: ["TokenKeeperError", "invalid_token", "the jwt claim `alg` must be a string"],
  });
});

test("segments are decoded as the Rust crate decodes them: base64url padding, 4n+1 characters, bytes that are not UTF-8, a BOM", async () => {
  const good = b64("{}");
  const bytes = (...b) => Buffer.from(b).toString("base64url");
  const cases = [
    // The core's syntax check, before JavaScript decodes anything (jwt_tests.rs, the same cases).
    ...["a", "ab$d", "ab+/", "a=b", " abc", "e30===", "e30=="].map((bad) => [`${good}.${bad}.s`, "the jwt payload segment is not valid base64url"]),
    ["ab$d.e30.s", "the jwt header segment is not valid base64url"],
    [`${good}.${good}.s s`, "the jwt signature segment is not valid base64url"],
    // atob then TextDecoder (fatal): bytes that are not UTF-8.
    [`${good}.${bytes(0x7b, 0xff, 0xfe, 0x7d)}.s`, "the jwt payload segment is not utf-8 text"],
    [`${bytes(0xc3, 0x28)}.${good}.s`, "the jwt header segment is not utf-8 text"],
    // A BOM stays (serde_json refuses it too): no JSON.
    [`${good}.${bytes(0xef, 0xbb, 0xbf, 0x7b, 0x7d)}.s`, "the jwt payload segment is not json"],
  ];
  for (const [jwt, message] of cases) {
    assert.deepEqual(await decode(jwt), { error: ["TokenKeeperError", "invalid_token", message] }, jwt);
  }
  // Padding up to the canonical amount, and bits left over in the last character, are taken.
  for (const payload of ["e30", "e30=", "e31"]) {
    assert.deepEqual(await decode(`${good}.${payload}.s`), { claims: {} }, payload);
  }
  // Text of every kind through atob and TextDecoder: the claims JavaScript hands over are the token's.
  const all = JSON.stringify({ s: "é😀\u0000\u001f ~\"\\".repeat(3), n: [1, { k: null }] });
  assert.deepEqual(await decode(token(all)), { claims: JSON.parse(all) });
});

test("options of the wrong type or unknown are config errors naming the option", async () => {
  const made = (options) =>
    page.evaluate((options) => {
      try {
        return new TokenKeeper(options).isAuthenticated;
      } catch (e) {
        return [e.name, e.code, e.message];
      }
    }, options);
  for (const [options, named] of [
    [{ refreshUrl: "/r", bogus: 1 }, /bogus/],
    [{ refreshUrl: 5 }, /refreshUrl.*must be a string/],
    [{ refreshUrl: "/r", crossTab: "yes" }, /crossTab.*must be a boolean/],
    [{ refreshUrl: "/r", allowedOrigins: ["https://a.example", 3] }, /allowedOrigins.*must be an array of strings/],
    [{ refreshUrl: "/r", retry: { attempts: 1.5 } }, /retry\.attempts.*whole number/],
    [{ refreshUrl: "/r", retry: { tries: 1 } }, /retry\.tries/],
    [{ refreshUrl: "/r", csrf: { cookie: "x" } }, /csrf\.cookie/],
    [{ refreshUrl: "/r", timeoutMs: Infinity }, /timeoutMs.*finite number/],
    [{ refreshUrl: "/r", refreshMethod: "PUT" }, /refreshMethod.*"POST" or "GET"/],
    [[], /options/],
  ]) {
    const seen = await made(options);
    assert.ok(Array.isArray(seen), JSON.stringify(options));
    assert.deepEqual(seen.slice(0, 2), ["TokenKeeperError", "config"], JSON.stringify(options));
    assert.match(seen[2], named, JSON.stringify(options));
  }
  assert.equal(await made({ refreshUrl: "/r", retry: { attempts: 2 }, csrf: false, allowedOrigins: [] }), false);
});

test("options are the object's own: nothing set on Object.prototype becomes one; a URL object, a URL with a line break and a throwing getter", async () => {
  const seen = await page.evaluate(() => {
    const made = (options) => {
      try {
        const k = new TokenKeeper(options);
        k.dispose();
        return "made";
      } catch (e) {
        return `${e.code}: ${e.message}`;
      }
    };
    // A library that polluted the prototype: were these read, each would refuse the keeper.
    Object.prototype.timeoutMs = -1;
    Object.prototype.retry = 5;
    Object.prototype.headerName = "";
    let polluted;
    try {
      polluted = made({ refreshUrl: "/auth/refresh", csrf: {} });
    } finally {
      delete Object.prototype.timeoutMs;
      delete Object.prototype.retry;
      delete Object.prototype.headerName;
    }
    return [
      polluted,
      made({ refreshUrl: new URL("/auth/refresh", location.href) }),
      made({ refreshUrl: "/auth/\nrefresh" }),
      made({ refreshUrl: "/r", tokenField: "a\nb" }),
      made({ get refreshUrl() { throw new Error("no"); } }),
      made(Object.create({ refreshUrl: "/r" })),
    ];
  });
  assert.deepEqual(seen, [
    "made",
    "made",
    "made",
    "config: option `tokenField` must not contain a line break",
    "config: option `options` could not be read",
    "config: option `refreshUrl` is required",
  ]);
});

test("decode against a reference: 400 generated tokens, JSON.parse's path agrees with the core's rules", async () => {
  // A seeded generator (printed on failure, to replay): payloads whose registered claims take
  // every JSON type, with extra members, duplicates, and now and then broken JSON.
  const seed = Number(process.env.JSON_SEED ?? Date.now() % 100000);
  let state = seed;
  const rand = (n) => { state = (state * 1103515245 + 12345) % 2147483648; return state % n; };
  const pick = (xs) => xs[rand(xs.length)];
  const values = [
    () => `"s${rand(100)}é"`, () => String(rand(2e9) / 7), () => String(rand(100)), () => "null", () => "true",
    () => '["a","b"]', () => "[]", () => '["a",1]', () => '{"k":[1]}', () => `-${rand(9)}.5e3`,
  ];
  const claims = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "x", "roles"];
  const cases = [];
  for (let i = 0; i < 400; i++) {
    const members = Array.from({ length: rand(6) }, () => `"${pick(claims)}":${pick(values)()}`);
    let payload = `{${members.join(",")}}`;
    if (rand(10) == 0) payload = payload.slice(0, rand(payload.length + 1)); // broken
    cases.push(payload);
  }
  // The core's rules, written out: the first registered claim (in this order) of the wrong type
  // names the error; otherwise the claims are the payload as JSON.parse reads it.
  const expected = (payload) => {
    if (payload === "") return { error: "the jwt payload segment is empty" };
    let value;
    try { value = JSON.parse(payload); } catch { return { error: "the jwt payload segment is not json" }; }
    if (!value || typeof value != "object" || Array.isArray(value)) {
      return { error: "the jwt payload segment is json but not an object" };
    }
    const strings = (v) => Array.isArray(v) && v.every((s) => typeof s == "string");
    for (const [claim, ok, what] of [
      ["iss", (v) => typeof v == "string", "a string"], ["sub", (v) => typeof v == "string", "a string"],
      ["aud", (v) => typeof v == "string" || strings(v), "a string or an array of strings"],
      ["exp", (v) => typeof v == "number", "a number"], ["nbf", (v) => typeof v == "number", "a number"],
      ["iat", (v) => typeof v == "number", "a number"], ["jti", (v) => typeof v == "string", "a string"],
    ]) {
      if (Object.hasOwn(value, claim) && !ok(value[claim])) return { error: `the jwt claim \`${claim}\` must be ${what}` };
    }
    return { claims: value };
  };
  const got = await page.evaluate((tokens) => tokens.map((t) => {
    try { return { claims: decodeJwt(t) }; } catch (e) { return { error: e.message }; }
  }), cases.map((p) => token(p)));
  cases.forEach((payload, i) => {
    assert.deepEqual(got[i], expected(payload), `seed ${seed} (JSON_SEED=${seed} replays), case ${i}: ${payload}`);
  });
});
