import type { Metadata, Viewport } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { Wallet } from "@/components/wallet";
import { readDeployment } from "@/lib/deployment";
import { appSettings } from "@/lib/settings";
import "./globals.css";
import { Providers } from "./providers";

export const metadata: Metadata = {
  title: "Fourfold",
  description: "An open grid for compute, data and AI: explore nodes, lease capacity, share data and run AI jobs.",
};
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

// The settings are read per request, so one build serves any chain and indexer.
export const dynamic = "force-dynamic";

export default async function RootLayout({ children }: { children: ReactNode }) {
  const { chainId, rpcUrl, deploymentsDir } = appSettings();
  const deployment = await readDeployment(chainId, deploymentsDir).then(
    (addresses) => ({ addresses, problem: undefined }),
    (error: Error) => ({ addresses: {}, problem: error.message }),
  );
  return (
    <html lang="en">
      <body>
        <a className="skip" href="#main">
          Skip to content
        </a>
        <Providers chain={{ chainId, rpcUrl }} addresses={deployment.addresses}>
          <header className="bar">
            <Link href="/" className="brand">
              Fourfold
            </Link>
            <nav aria-label="Main">
              <Link href="/">Explore</Link>
              <Link href="/leases">My leases</Link>
              <Link href="/jobs">AI jobs</Link>
              <Link href="/data">Data</Link>
              <Link href="/farm">Farm</Link>
              <Link href="/identity">Identity</Link>
            </nav>
            <Wallet chainId={chainId} />
          </header>
          <main id="main">
            {deployment.problem && (
              <p role="alert" className="error">
                {deployment.problem}
              </p>
            )}
            {children}
          </main>
        </Providers>
      </body>
    </html>
  );
}
