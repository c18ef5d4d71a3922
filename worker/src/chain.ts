// viem clients for the chain the worker runs against, the Fourfold contracts deployed there (from
// @fourfold/contracts), and the two questions every loop asks of an error: is it transient, and which custom error
// did a contract revert with.
import { abis, type ContractName, type Deployment, deploymentsOn } from "@fourfold/contracts";
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
