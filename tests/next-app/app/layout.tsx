import type { Metadata } from "next";
import { TokenKeeperProvider } from "token-keeper/react";

export const metadata: Metadata = {
  title: "token-keeper in a Next.js app",
  description: "token-keeper/react in the App Router",
};

// A server component may render the provider: token-keeper/react is a client module, and the
// options are plain data. The keeper itself is made in the browser, after hydration.
export default function RootLayout({ children }: LayoutProps<"/">) {
  return (
    <html lang="en">
      <body>
        <TokenKeeperProvider
          options={{ refreshUrl: "/auth/refresh", loginUrl: "/auth/login", logoutUrl: "/auth/logout" }}
        >
          {children}
        </TokenKeeperProvider>
      </body>
    </html>
  );
}
