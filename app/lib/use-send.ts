"use client";
// Sending a contract call from the connected wallet, with its state for the page: signing (waiting for the wallet),
// pending (sent, waiting to be mined), confirmed, or failed with the reason in words. The call is simulated first,
// so a refusal shows the contract's custom error before anything is signed or paid for.
import { foldTokenAbi } from "@fourfold/contracts";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Abi, Address, Hex } from "viem";
import { useConfig } from "wagmi";
import { readContract, simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { explain } from "./errors";

export type TxState =
  | { status: "idle" }
  | { status: "signing"; what: string }
  | { status: "pending"; what: string; hash: Hex }
  | { status: "confirmed"; what: string; hash: Hex }
  | { status: "failed"; what: string; message: string };

export interface Call {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

export function useSend() {
  const config = useConfig();
  const queries = useQueryClient();
  const [state, setState] = useState<TxState>({ status: "idle" });
  /** Simulates, sends and waits for `call`; returns its result, or undefined if it failed (the state says why). */
  async function send<T = unknown>(what: string, call: Call): Promise<{ result: T } | undefined> {
    try {
      setState({ status: "signing", what });
      const { request, result } = await simulateContract(config, call as never);
      const hash = await writeContract(config, request as never);
      setState({ status: "pending", what, hash });
      const receipt = await waitForTransactionReceipt(config, { hash });
      if (receipt.status !== "success") throw new Error(`the transaction ${hash} reverted`);
      setState({ status: "confirmed", what, hash });
      // Whatever the page shows may have changed: balances, reads, the indexer's answers (refetched as they lag).
      await queries.invalidateQueries();
      return { result: result as T };
    } catch (error) {
      setState({ status: "failed", what, message: explain(error) });
      return undefined;
    }
  }
  /** Lets `spender` take `amount` of `token` (an ERC-20) from `owner`: sends `approve` (as `what`) only when the
   * allowance is short. False if reading or approving failed (the state says why). */
  async function allow(what: string, token: Address, owner: Address, spender: Address, amount: bigint) {
    try {
      const args = [owner, spender] as const;
      const allowance = await readContract(config, {
        address: token,
        abi: foldTokenAbi,
        functionName: "allowance",
        args,
      });
      if (allowance >= amount) return true;
    } catch (error) {
      setState({ status: "failed", what, message: explain(error) });
      return false;
    }
    const call = { address: token, abi: foldTokenAbi, functionName: "approve", args: [spender, amount] } as const;
    return (await send(what, call)) !== undefined;
  }
  /** Asks the wallet for a signature (`ask`, e.g. an ERC-2612 permit); returns it, or undefined if it failed. */
  async function sign<T>(what: string, ask: () => Promise<T>): Promise<T | undefined> {
    try {
      setState({ status: "signing", what });
      return await ask();
    } catch (error) {
      setState({ status: "failed", what, message: explain(error) });
      return undefined;
    }
  }
  const busy = state.status === "signing" || state.status === "pending";
  const fail = (what: string, message: string) => setState({ status: "failed", what, message });
  return { state, send, allow, sign, busy, fail };
}
