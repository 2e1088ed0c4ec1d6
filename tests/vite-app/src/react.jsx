// What a React developer writes with token-keeper/react: a provider at the root, useAuth() below.
// Vite compiles the JSX itself (the automatic runtime), no plugin needed for a build.
import { StrictMode, useEffect, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import { TokenKeeperProvider, useAuth } from "token-keeper/react";

// What the session is, and how often this component rendered (the test reads both).
function Status() {
  const { status, claims, error } = useAuth();
  // Per instance (as in tests/next-app, where the server and the hydrating client must agree).
  const renders = useRef(0);
  renders.current += 1;
  return (
    <p>
      <span id="status" data-status={status}>
        {status == "signedIn" ? `signed in as ${claims.sub}` : status == "signedOut" ? "signed out" : status}
        {error && ` (${error.message})`}
      </span>{" "}
      <span id="renders">{renders.current}</span>
    </p>
  );
}

// GET /api/me at mount: the request waits until the session is restored, then leaves with the bearer.
function Me() {
  const { fetch } = useAuth();
  const [me, setMe] = useState("");
  useEffect(() => {
    let live = true;
    fetch("/api/me").then((response) => live && setMe(`${response.status}`));
    return () => {
      live = false;
    };
  }, [fetch]);
  return <p id="me">{me}</p>;
}

// The buttons; their results render here, never in Status.
function Controls() {
  const { keeper, login, logout, fetch } = useAuth();
  const [result, setResult] = useState("");
  const call = async () => {
    const response = await fetch("/api/me");
    setResult(`${response.status} ${await response.text()}`);
  };
  const refresh = async () => {
    const before = keeper?.claims()?.jti;
    await keeper?.refresh();
    setResult(`refreshed: ${before} -> ${keeper?.claims()?.jti}`);
  };
  return (
    <>
      <button onClick={() => login({ username: "alice", password: "wonderland" })}>Sign in</button>
      <button onClick={call}>Call the API</button>
      <button onClick={refresh}>Refresh</button>
      <button onClick={() => logout()}>Sign out</button>
      <pre id="result">{result}</pre>
    </>
  );
}

const options = { refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" };
createRoot(document.getElementById("root")).render(
  <StrictMode>
    <TokenKeeperProvider options={options}>
      <Status />
      <Me />
      <Controls />
    </TokenKeeperProvider>
  </StrictMode>,
);
