"use client";
// The browser side's clients: TanStack Query for the indexer's answers, and wagmi (over viem) for the chain, with
// injected wallets found by EIP-6963 discovery (and, on the local chain, a burner wallet). The chain comes from the
// server's settings, per request.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { defineChain } from "viem";
import { createConfig, http, WagmiProvider } from "wagmi";
import { burner } from "@/lib/burner";
import { ContractsProvider } from "@/lib/contracts";
import type { Addresses } from "@/lib/deployment";

export interface ChainSettings {
  chainId: number;
  rpcUrl: string;
}

function wagmiConfig({ chainId, rpcUrl }: ChainSettings) {
  const chain = defineChain({
    id: chainId,
    name: chainId === 31337 ? "Fourfold local chain" : `Fourfold on chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  return createConfig({
    chains: [chain],
    // Injected wallets each appear by EIP-6963 discovery; the burner only where its funding exists, the local chain.
    connectors: chainId === 31337 ? [burner()] : [],
    transports: { [chain.id]: http(rpcUrl) },
    // The local chain mines on demand: poll it often so a transaction's state shows at once.
    pollingInterval: chainId === 31337 ? 500 : 4_000,
    ssr: true,
  });
}

export function Providers({
  chain,
  addresses,
  children,
}: {
  chain: ChainSettings;
  addresses: Addresses;
  children: ReactNode;
}) {
  const [config] = useState(() => wagmiConfig(chain));
  // A query that failed (the indexer unreachable, say) is asked again every 5 s, so a page recovers by itself.
  const [queries] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            staleTime: 5_000,
            refetchOnWindowFocus: false,
            refetchInterval: (query) => (query.state.status === "error" ? 5_000 : false),
          },
        },
      }),
  );
  return (
    <WagmiProvider config={config}>
      <QueryClientProvider client={queries}>
        <ContractsProvider addresses={addresses}>{children}</ContractsProvider>
      </QueryClientProvider>
    </WagmiProvider>
  );
}
