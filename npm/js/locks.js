// The refresh lock: the Web Lock tabs of one origin take turns under, so that two of them never
// present the same rotating refresh cookie. When to ask, steal or give up is the core's decision;
// this performs it and tells the core what the browser did: 0 granted, 1 refused, 2 stolen.

export class Locks {
  #name;
  #tell;
  #requests = new Map(); // request number → { controller, release }, the lock once granted
  #next = 0;

  /** `tell(what)` feeds the core; it is only called for the request the core still waits on. */
  constructor(name, tell) {
    this.#name = name;
    this.#tell = tell;
  }

  /** Asks for the lock; with `steal`, takes it from its holder. */
  request(steal) {
    if (steal) this.release(); // the steal replaces any request still queued
    const id = ++this.#next;
    const lock = { controller: new AbortController() };
    this.#requests.set(id, lock);
    const current = () => this.#requests.get(id) == lock;
    let granted = false;
    let ended = false; // refused or stolen: a grant still on its way is not told
    const tell = (what) => current() && this.#tell(what);
    try {
      navigator.locks
        .request(this.#name, steal ? { steal } : { signal: lock.controller.signal }, () => {
          if (!current()) return; // granted to a request given up meanwhile: given back
          granted = true;
          // Held until released; a token another tab broadcast just before lands first.
          setTimeout(() => ended || tell(0));
          return new Promise((release) => (lock.release = release));
        })
        .catch((e) => {
          ended = true;
          // An AbortError is a steal (ours being stolen back before our callback ran): the
          // lock works and another tab holds it. Anything else: this browser refuses locks.
          tell(granted || e?.name == "AbortError" ? 2 : 1);
        });
    } catch {
      queueMicrotask(() => tell(1)); // refused outright: told after this command
    }
  }

  /** Releases the lock, and stops waiting for it. */
  release() {
    for (const lock of this.#requests.values()) {
      lock.controller.abort();
      lock.release?.();
    }
    this.#requests.clear();
  }
}
