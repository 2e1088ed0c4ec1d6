"use client";
import { useEffect, useRef, useState } from "react";
import { useAuth } from "token-keeper/react";

/** What the session is, and how often this component rendered (the test reads both). */
export function Status() {
  const { status, claims, error } = useAuth();
  // Per instance, so that the server's count and the hydrating client's agree.
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

/** GET /api/me at mount: the request waits until the session is restored, then leaves with the bearer. */
export function Me() {
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

/** The buttons; their results render here, never in Status. */
export function Controls() {
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
