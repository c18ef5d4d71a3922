// What every action needs: the chain (./chain.ts's connection to the Fourfold deployment on it) and a logger; and the
// one way an action sends a transaction (simulated first, so a revert is its custom error and nothing is sent).
import { abis, type ContractName } from "@fourfold/contracts";
import type { Logger } from "pino";
import type { Account, Address } from "viem";
import { type Chainlink, sendContract } from "../chain.ts";

export interface ActionContext {
  readonly chain: Chainlink;
  readonly log: Logger;
}

export type Signer = Account & { address: Address };

/** The deployed contract `name` on the context's chain, with its ABI. */
export function contractOf<N extends ContractName>(ctx: ActionContext, name: N) {
  return { address: ctx.chain.deployment(name).address, abi: abis[name] };
}

/** FOLD's errors: a market's call can revert inside the token (a balance too small), and should say so by name. */
const TOKEN_ERRORS = abis.FoldToken.filter((item) => item.type === "error");

/** Sends `name.functionName(args)` from `account` and waits for it; returns the call's result. */
export function send<T = unknown>(
  ctx: ActionContext,
  account: Signer,
  name: ContractName,
  functionName: string,
  args: readonly unknown[],
): Promise<T> {
  return sendContract(
    ctx.chain,
    ctx.log,
    account,
    `${name}.${functionName}`,
    { address: ctx.chain.deployment(name).address, abi: [...abis[name], ...TOKEN_ERRORS], functionName },
    args,
  ) as Promise<T>;
}
