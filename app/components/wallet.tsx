"use client";
// The header's wallet: connect an injected wallet (each one EIP-6963 discovery found) or, on the local chain, the
// burner wallet; once connected, the address, ETH for gas and FOLD, and a way to disconnect.
import { foldTokenAbi } from "@fourfold/contracts";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useBalance, useConnect, useConnection, useConnectors, useDisconnect, useReadContract } from "wagmi";
import { useContracts } from "@/lib/contracts";
import { fold } from "@/lib/format";

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

export function Wallet({ chainId }: { chainId: number }) {
  const connection = useConnection();
  const connectors = useConnectors();
  const connect = useConnect();
  const disconnect = useDisconnect();
  const queries = useQueryClient();
  const [problem, setProblem] = useState<string>();
  const token = useContracts().FoldToken;
  const address = connection.address;
  const eth = useBalance({ address, query: { enabled: address !== undefined } });
  const folds = useReadContract({
    address: token,
    abi: foldTokenAbi,
    functionName: "balanceOf",
    args: address === undefined ? undefined : [address],
    query: { enabled: address !== undefined && token !== undefined },
  });

  if (connection.status === "connected" && address !== undefined) {
    return (
      <section className="wallet" aria-label="Wallet">
        <span title={address} data-testid="wallet-address">
          {short(address)}
        </span>
        <span className="muted">
          {eth.data === undefined ? "…" : fold(eth.data.value, 3)} ETH ·{" "}
          {folds.data === undefined ? "…" : fold(folds.data, 2)} FOLD
        </span>
        <button type="button" className="secondary" onClick={() => disconnect.mutate()}>
          Disconnect
        </button>
      </section>
    );
  }

  const start = async (connector: (typeof connectors)[number]) => {
    setProblem(undefined);
    try {
      const { accounts } = await connect.mutateAsync({ connector });
      if (connector.id !== "burner") return;
      // A new burner asks the app server for ETH and FOLD from the local chain's development account.
      const response = await fetch("/api/burner", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ address: accounts[0] }),
      });
      const body = (await response.json()) as { error?: string };
      if (!response.ok) throw new Error(body.error ?? `funding answered ${response.status}`);
      await queries.invalidateQueries();
    } catch (error) {
      setProblem((error as { shortMessage?: string }).shortMessage ?? (error as Error).message);
    }
  };
  const offered = connectors.filter((c) => c.id !== "burner" || chainId === 31337);
  return (
    <section className="wallet" aria-label="Wallet">
      {offered.length === 0 && <span className="muted">No wallet found: install a browser wallet.</span>}
      {offered.map((connector) => (
        <button
          key={connector.uid}
          type="button"
          disabled={connection.status === "connecting" || connection.status === "reconnecting"}
          onClick={() => start(connector)}
        >
          Connect {connector.name}
        </button>
      ))}
      {problem && (
        <span role="alert" className="error">
          {problem}
        </span>
      )}
    </section>
  );
}
