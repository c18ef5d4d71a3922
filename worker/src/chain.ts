// viem clients for the chain the worker runs against, the Fourfold contracts deployed there (from
// @fourfold/contracts), and the two questions every loop asks of an error: is it transient, and which custom error
// did a contract revert with; and how a role sends a transaction.
import { abis, type ContractName, type Deployment, deploymentsOn } from "@fourfold/contracts";
import type { Logger } from "pino";
import {
  type Account,
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  HttpRequestError,
  http,
  type PublicClient,
  TimeoutError,
  type Transport,
  type WalletClient,
} from "viem";

export interface Chainlink {
  readonly chain: Chain;
  readonly publicClient: PublicClient<Transport, Chain>;
  readonly walletFor: (account: Account) => WalletClient<Transport, Chain, Account>;
  readonly deployment: (name: ContractName) => Deployment;
}

/** Connects to `rpcUrl`, learns its chain id and finds the Fourfold deployment on it. */
export async function connect(rpcUrl: string, pollingIntervalMs: number): Promise<Chainlink> {
  const transport = http(rpcUrl, { retryCount: 0, timeout: 10_000 });
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId();
  const deployed = deploymentsOn(chainId);
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: pollingIntervalMs });
  return {
    chain,
    publicClient,
    walletFor: (account) => createWalletClient({ account, chain, transport }),
    deployment: (name) => {
      const found = deployed[name];
      if (found === undefined) throw new Error(`${name} is not deployed on chain ${chainId}`);
      return found;
    },
  };
}

/** Blocks a log must be buried under before a role acts on it, unless configured: none on the local chain (it does
 * not reorganise), 3 elsewhere. */
export function defaultConfirmations(chainId: number): number {
  return chainId === 31337 ? 0 : 3;
}

export const contractAbi = <N extends ContractName>(name: N): (typeof abis)[N] => abis[name];

/** True for errors worth retrying: the RPC endpoint is down, slow or overloaded. Reverts are not transient. */
export function isTransient(error: unknown): boolean {
  if (revertName(error) !== undefined) return false;
  if (error instanceof BaseError) {
    return (
      error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError) !== null ||
      /fetch failed|ECONNREFUSED|ECONNRESET|socket hang up/i.test(error.message)
    );
  }
  return error instanceof Error && /fetch failed|ECONNREFUSED|ECONNRESET/i.test(error.message);
}

/** The custom error a contract call reverted with (e.g. "LeaseWrongState"), if that is what happened. */
export function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? reverted.data?.errorName : undefined;
}

export type { Address };

/** A contract call as `sendContract` takes it: a typed contract and function from the ABI, spread at the call site. */
// biome-ignore lint/suspicious/noExplicitAny: each call site passes a typed contract and function from the ABI
export type ContractCall = { address: Address; abi: any; functionName: string };

/**
 * Simulates the call (so a revert surfaces as its custom error, and nothing is sent), sends it from `account` and
 * waits for its receipt. Returns the call's result. Callers send one transaction at a time (their loops are
 * sequential), so the account's nonce never races.
 */
export async function sendContract(
  chain: Chainlink,
  log: Logger,
  account: Account & { address: Address },
  label: string,
  contract: ContractCall,
  args: readonly unknown[],
): Promise<unknown> {
  const { request, result } = await chain.publicClient.simulateContract({ ...contract, args, account });
  const hash = await chain.walletFor(account).writeContract(request);
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${label} ${hash} reverted`);
  log.debug({ label, hash, gasUsed: receipt.gasUsed }, "transaction confirmed");
  return result;
}
