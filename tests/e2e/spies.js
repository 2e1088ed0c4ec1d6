// The spies of the hardening tests (hardening.test.js, isolated.test.js): a page script that
// replaces the built-ins after the package loaded, and keeps the name of every one that saw a
// string holding a JWT or an `Authorization` value in `window.seen`.

/** Replaces the built-ins with spies that keep every string they see holding a JWT. */
export function installSpies(page) {
  return page.evaluate(() => {
    const seen = (window.seen = []);
    const stringify = JSON.stringify;
    const look = (where, ...values) => {
      for (const v of values) {
        let text;
        try {
          text = typeof v == "string" ? v : v && typeof v == "object" ? stringify(v) : "";
        } catch {
          text = "";
        }
        if (/eyJ[\w-]+\.eyJ|Bearer |DPoP ey/.test(text ?? "")) seen.push(where);
      }
    };
    const wrap = (target, name, where = name) => {
      const real = target[name];
      target[name] = function (...args) {
        look(where, this, ...args);
        const result = real.apply(this, args);
        if (result && typeof result.then == "function") {
          return result.then((r) => (look(`${where} result`, r), r));
        }
        look(`${where} result`, result);
        return result;
      };
    };
    const realFetch = window.fetch;
    window.fetch = function (input, init) {
      look("fetch", input instanceof Request ? [...input.headers] : input, init && [...new Headers(init.headers)]);
      return realFetch.call(this, input, init);
    };
    const RealRequest = Request;
    window.Request = class extends RealRequest {
      constructor(input, init) {
        super(input, init);
        look("Request", init);
      }
      get headers() {
        const headers = super.headers;
        look("Request headers", [...headers]);
        return headers;
      }
    };
    for (const name of ["set", "append", "get", "has", "delete"]) wrap(Headers.prototype, name, `Headers.${name}`);
    const headersGetter = Object.getOwnPropertyDescriptor(RealRequest.prototype, "headers").get;
    Object.defineProperty(RealRequest.prototype, "headers", {
      get() {
        const headers = headersGetter.call(this);
        look("Request.prototype.headers", [...headers]);
        return headers;
      },
    });
    for (const name of ["text", "json"]) wrap(Response.prototype, name, `Response.${name}`);
    wrap(JSON, "parse");
    wrap(JSON, "stringify");
    wrap(TextDecoder.prototype, "decode");
    wrap(TextEncoder.prototype, "encode");
    wrap(TextEncoder.prototype, "encodeInto");
    for (const name of ["slice", "split", "substring", "trim"]) wrap(String.prototype, name, `String.${name}`);
    for (const name of ["keys", "entries", "hasOwn"]) wrap(Object, name, `Object.${name}`);
    wrap(Array, "isArray");
    wrap(Uint8Array.prototype, "set", "Uint8Array.set");
    // The wasm's memory, the token in it: no page getter may be handed the `Memory`, and no
    // page constructor its buffer.
    const bufferGetter = Object.getOwnPropertyDescriptor(WebAssembly.Memory.prototype, "buffer").get;
    Object.defineProperty(WebAssembly.Memory.prototype, "buffer", {
      configurable: true,
      get() {
        seen.push("WebAssembly.Memory.buffer");
        return bufferGetter.call(this);
      },
    });
    // A token's segments as the driver decodes them (base64url, then the JSON text): a page's
    // built-in would read the claims the core reads, or change them.
    const segment = /^eyJ[\w-]{8,}|^\{"(alg|typ|sub|iss|exp|iat)"/;
    const hits = (v) => (typeof v == "string" || v instanceof String) && segment.test(v);
    const watchSegment = (target, name, where) => {
      const real = target[name];
      target[name] = function (...args) {
        if (hits(this) || hits(args[0])) seen.push(where);
        return real.apply(this, args);
      };
    };
    watchSegment(window, "atob", "atob");
    watchSegment(Uint8Array, "from", "Uint8Array.from"); // the real one's: before it is replaced
    for (const name of ["replaceAll", "charCodeAt"]) watchSegment(String.prototype, name, `String.${name}`);
    for (const name of ["Uint8Array", "Float64Array"]) {
      const Real = window[name];
      window[name] = class extends Real {
        constructor(...args) {
          if (args[0] instanceof ArrayBuffer && args[0].byteLength >= 65536) seen.push(`${name} over the wasm's memory`);
          super(...args);
        }
      };
    }
    // An array's methods and its iterator (destructuring, spreading, for…of): the spy's own work
    // uses them too, so it looks only from outside itself.
    let looking = false;
    const wrapArray = (name, where) => {
      const real = Array.prototype[name];
      Array.prototype[name] = function (...args) {
        if (!looking) {
          looking = true;
          try {
            look(where, this, ...args);
          } finally {
            looking = false;
          }
        }
        return real.apply(this, args);
      };
    };
    for (const name of ["join", "slice", "flat", "concat", "map", "forEach", "every", "some", "filter", "indexOf", "includes"]) {
      wrapArray(name, `Array.${name}`);
    }
    wrapArray(Symbol.iterator, "Array iterator");
    // Members looked up through Object.prototype: `then` (a promise resolved with an object
    // looks it up), the RequestInit members fetch reads when they were not given, and `token`
    // (an assignment meets a setter there): a getter or setter of the page's sees the object.
    const inherited = ["then", "referrer", "referrerPolicy", "mode", "cache", "redirect", "integrity",
      "keepalive", "priority", "window", "duplex", "token"];
    for (const name of inherited) {
      const where = `Object.prototype.${name}`;
      const watch = (self, value) => {
        // fetch resolves its promise with the Response, which looks up `then` on it: the one
        // path the driver cannot close (docs/security.md says so; the isolated entry does).
        if (looking || (name == "then" && self instanceof Response)) return;
        looking = true;
        try {
          const headers = self?.headers instanceof Headers ? [...self.headers] : undefined;
          look(where, self, value, headers);
        } catch {} finally {
          looking = false;
        }
      };
      Object.defineProperty(Object.prototype, name, {
        configurable: true,
        get() {
          watch(this);
          return undefined;
        },
        set(value) {
          watch(this, value);
          Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
        },
      });
    }
  });
}
