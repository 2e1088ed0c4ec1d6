import { Controls, Me, Status } from "./auth";

// Rendered on the server (at build time: nothing here is dynamic); the auth state in it is
// "initializing" until the browser has restored the session.
export default function Home() {
  return (
    <main>
      <h1>Next.js consumer</h1>
      <Status />
      <Me />
      <Controls />
    </main>
  );
}
