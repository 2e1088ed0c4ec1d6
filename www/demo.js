// The token-keeper demo: a plain ES module that loads the package built into /pkg/.
import init, { TokenKeeper } from "/pkg/token-keeper.js";

const $ = (id) => document.getElementById(id);
const LEAD_MS = 60000; // the keeper's defaults, to draw when the refresh is due
const LEAD_RATIO = 0.25;

await init();
// `/?dpop` (what `make demo DPOP=1` opens): sender-constrained tokens, for a server run with --dpop.
const dpop = new URLSearchParams(location.search).has("dpop");
const keeper = new TokenKeeper({
  refreshUrl: "/auth/refresh",
  loginUrl: "/auth/login",
  logoutUrl: "/auth/logout",
  dpop,
});
if (dpop) document.title += " (DPoP)";

// For exploring from the browser console (and for the end-to-end tests): `await tokenKeeper.fetch("/api/me")`.
window.tokenKeeper = keeper;

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

function log(kind, text) {
  const item = document.createElement("li");
  item.className = kind;
  item.dataset.kind = kind;
  const time = document.createElement("time");
  time.textContent = clock(Date.now());
  item.append(time, document.createTextNode(text));
  $("log").prepend(item);
}

function problem(text) {
  $("problem").textContent = text;
  $("problem").hidden = !text;
}

// Say what went wrong as a person would want to hear it: what happened, and what to do.
function explain(error) {
  switch (error?.code) {
    case "network":
    case "timeout":
      return "The server could not be reached. Is `make demo` still running? Start it again and reload this page.";
    case "rejected":
      return "Your session has ended: the server refused the refresh token. Sign in again.";
    case "http":
      return error.status === 401
        ? "Wrong user name or password. The demo user is alice / wonderland."
        : `The server answered ${error.status}. Try again in a moment.`;
    case "invalid_token":
      return "The server sent a token that could not be read. Your previous token is kept; try again.";
    default:
      return `Something went wrong: ${error?.message ?? error}`;
  }
}

keeper.on("token", ({ claims, expiresAt }) => {
  log("token", `new access token for ${claims.sub}, expires at ${clock(expiresAt)}`);
  show();
});
keeper.on("refresh", ({ trigger }) => {
  const why = {
    schedule: "the token entered its refresh window",
    unauthorized: "the API answered 401",
    restore: "the page loaded",
    manual: "asked for",
    wake: "the page woke up past the refresh moment",
    tab: "another tab asked",
  }[trigger];
  log(trigger === "unauthorized" ? "unauthorized" : "refresh", `refreshing: ${why}`);
});
keeper.on("logout", ({ reason }) => {
  log("logout", `signed out (${reason})`);
  if (reason === "rejected") problem(explain({ code: "rejected" }));
  show();
});
keeper.on("error", (error) => {
  log("error", `${error.code}: ${error.message}`);
  problem(explain(error));
});

function show() {
  const signedIn = keeper.isAuthenticated;
  $("signin").hidden = signedIn;
  $("session").hidden = !signedIn;
  if (!signedIn) return;
  const claims = keeper.claims();
  $("who").textContent = claims.sub;
  $("claims").textContent = JSON.stringify(claims, null, 2);
  drawTimeline();
}

function drawTimeline() {
  const claims = keeper.claims();
  const expiresAt = keeper.expiresAt();
  if (!claims || expiresAt === undefined) return;
  const lifetime = (claims.exp - claims.iat) * 1000;
  const issued = expiresAt - lifetime;
  const lead = Math.min(LEAD_MS, LEAD_RATIO * lifetime);
  const now = Date.now();
  $("issued").textContent = clock(issued);
  $("due").textContent = clock(expiresAt - lead);
  $("expires").textContent = clock(expiresAt);
  $("lead").style.width = `${(100 * lead) / lifetime}%`;
  $("now").style.left = `${Math.min(100, Math.max(0, (100 * (now - issued)) / lifetime))}%`;
  const left = Math.max(0, Math.round((expiresAt - now) / 1000));
  $("countdown").textContent = `expires in ${left} s`;
}

async function busy(button, work) {
  button.disabled = true;
  problem("");
  try {
    await work();
  } catch (error) {
    log("error", `${error.code ?? "error"}: ${error.message}`);
    problem(explain(error));
  } finally {
    button.disabled = false;
  }
}

async function control(path, body) {
  const response = await fetch(path, {
    method: body ? "POST" : "GET",
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw Object.assign(new Error(`${path} answered ${response.status}`), { code: "http", status: response.status });
  return response.json();
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  busy($("login-button"), async () => {
    await keeper.login({ username: form.get("username"), password: form.get("password") });
    log("token", "signed in");
  });
});

$("call").addEventListener("click", () =>
  busy($("call"), async () => {
    const response = await keeper.fetch("/api/me");
    const body = await response.json().catch(() => ({}));
    log(response.ok ? "api" : "unauthorized", `GET /api/me → ${response.status}${response.ok ? ` (hello, ${body.sub})` : ""}`);
    if (!response.ok) problem("The API refused the call and the session could not be renewed. Sign in again.");
  }));

$("revoke").addEventListener("click", () =>
  busy($("revoke"), async () => {
    await control("/__mock/config", { revoke_access_tokens: true });
    log("unauthorized", "the server revoked every access token: the next call will get a 401 and be recovered");
  }));

$("shorten").addEventListener("click", () =>
  busy($("shorten"), async () => {
    await control("/__mock/config", { access_ttl_ms: 10000 });
    log("refresh", "new tokens now live 10 s; getting one");
    await keeper.refresh();
  }));

$("tab").addEventListener("click", () => window.open(location.href, "_blank"));

$("logout").addEventListener("click", () => busy($("logout"), () => keeper.logout()));

async function showStats() {
  try {
    const stats = await control("/__mock/stats");
    $("stats").replaceChildren(...Object.entries(stats).map(([name, value]) => {
      const row = document.createElement("div");
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = name.replaceAll("_", " ");
      dd.textContent = value;
      dd.dataset.stat = name;
      row.append(dt, dd);
      return row;
    }));
  } catch {
    // The problem banner speaks for failed calls; the counters just stay as they were.
  }
}

setInterval(() => { drawTimeline(); showStats(); }, 500);
showStats();
show();
busy($("login-button"), async () => {
  if (await keeper.restore()) log("token", "session restored from the refresh cookie");
});
