// The same app on token-keeper/isolated: the keeper runs in a worker the bundler ships (its
// `new SharedWorker(new URL(…, import.meta.url))`), which finds the wasm as the main entry does.
import init, { TokenKeeper } from "token-keeper/isolated";

await init(); // nothing to load in the page; kept so code written for the main entry runs as is

const keeper = new TokenKeeper({
  refreshUrl: "/auth/refresh",
  loginUrl: "/auth/login",
  logoutUrl: "/auth/logout",
});
const status = document.getElementById("status");
const result = document.getElementById("result");
keeper.on("token", ({ claims }) => { status.textContent = `signed in as ${claims.sub}`; });
keeper.on("logout", ({ reason }) => { status.textContent = `signed out (${reason})`; });

document.getElementById("login").onclick = async () => {
  const claims = await keeper.login({ username: "alice", password: "wonderland" });
  result.textContent = `iss ${claims.iss}, sub ${claims.sub}`;
};
document.getElementById("call").onclick = async () => {
  const response = await keeper.fetch("/api/me");
  result.textContent = `${response.status} ${JSON.stringify(await response.json())}`;
};
document.getElementById("logout").onclick = () => keeper.logout();

status.textContent = (await keeper.restore()) ? status.textContent : "signed out";
