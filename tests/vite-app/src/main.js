// What an SPA developer writes: install the package, import it, init once, use the keeper.
import init, { TokenKeeper, decodeJwt } from "token-keeper";

await init(); // the bundler ships the .wasm as an asset; init() finds it through import.meta.url

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
  result.textContent = `iss ${decodeJwt(keeper.accessToken()).iss}, sub ${claims.sub}`;
};
document.getElementById("call").onclick = async () => {
  const response = await keeper.fetch("/api/me");
  result.textContent = `${response.status} ${JSON.stringify(await response.json())}`;
};
document.getElementById("logout").onclick = () => keeper.logout();

status.textContent = (await keeper.restore()) ? status.textContent : "signed out";
