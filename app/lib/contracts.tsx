"use client";
// The deployed contracts' addresses, as the server read them for this request (lib/deployment.ts).
import { createContext, type ReactNode, useContext } from "react";
import type { Addresses } from "./deployment";

const Contracts = createContext<Addresses>({});

export function ContractsProvider({ addresses, children }: { addresses: Addresses; children: ReactNode }) {
  return <Contracts.Provider value={addresses}>{children}</Contracts.Provider>;
}

/** Each deployed contract's address (undefined where the chain has none). */
export const useContracts = () => useContext(Contracts);
