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
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  type Hex,
  HttpRequestError,
  http,
  type PublicClient,
  TimeoutError,
  type Transport,
  type WalletClient,
} from "viem";
import { decodeRevert } from "./revert.ts";

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

/** True for errors worth retrying: the RPC endpoint is down, slow or overloaded, or a transaction failed on state that
 * changed under it. Reverts are not transient. */
export function isTransient(error: unknown): boolean {
  if (error instanceof TransactionFailed) return true;
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
  return decodeRevert(error)?.name;
}

export type { Address };

/** A transaction that failed in its block (or that the node refused as out of gas) without the call meeting a revert
 * now: the state its gas was estimated on changed under it. Worth trying again from the chain's new state. */
export class TransactionFailed extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransactionFailed";
  }
}

/** The gas limit a transaction is sent with, in percent of its estimate: room for the state to change between the
 * estimate and the block (another worker's claim mined first). Unused gas costs nothing. */
const GAS_LIMIT_PERCENT = 130n;

/** A contract call as `sendContract` takes it: a typed contract and function from the ABI, spread at the call site. */
// biome-ignore lint/suspicious/noExplicitAny: each call site passes a typed contract and function from the ABI
export type ContractCall = { address: Address; abi: any; functionName: string };

/**
 * Simulates the call (so a revert surfaces as its custom error, and nothing is sent), sends it from `account` and
 * waits for its receipt. Returns the call's result. Callers send one transaction at a time (their loops are
 * sequential), so the account's nonce never races. Another account can still change the state between the simulation
 * and the block (two workers finalizing one job): the revert is then thrown as the custom error the call meets now.
 */
export async function sendContract(
  chain: Chainlink,
  log: Logger,
  account: Account & { address: Address },
  label: string,
  contract: ContractCall,
  args: readonly unknown[],
): Promise<unknown> {
  const call = { ...contract, args, account };
  const { request, result } = await chain.publicClient.simulateContract(call);
  const gas = ((await chain.publicClient.estimateContractGas(call)) * GAS_LIMIT_PERCENT) / 100n;
  let hash: Hex;
  try {
    // The whole ABI, not the one function simulateContract keeps, so a revert found at sending names its error.
    hash = await chain.walletFor(account).writeContract({ ...request, abi: contract.abi, gas });
  } catch (error) {
    // A node that mines at once (the local chain) refuses a transaction that failed in its block. Without a custom
    // error, it ran out of gas (the state changed since the estimate: a reveal that became the last one runs the
    // tally too, and a library call out of gas reverts with no reason) or met a revert the simulation now names.
    if (
      revertName(error) === undefined &&
      error instanceof BaseError &&
      /out of gas|reverted without a reason/i.test(error.message)
    ) {
      await chain.publicClient.simulateContract(call); // throws the call's custom error, if it now has one
      throw new TransactionFailed(`${label} failed at gas limit ${gas}; the state changed since its estimate`, {
        cause: error,
      });
    }
    throw error;
  }
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    await chain.publicClient.simulateContract(call); // throws the call's custom error, if it now has one
    throw new TransactionFailed(`${label} ${hash} failed in block ${receipt.blockNumber}`);
  }
  log.debug({ label, hash, gasUsed: receipt.gasUsed }, "transaction confirmed");
  return result;
}

/** One call of a batch: a function of the batch's contract and its arguments. */
export interface BatchCall {
  readonly functionName: string;
  readonly args: readonly unknown[];
}

/**
 * Sends calls to one contract that has OpenZeppelin's `multicall` as few transactions as it can, one at a time, and
 * returns each call's fate: `undefined` once it is mined, else its error (a revert, or what stopped the send). Each
 * call is first simulated alone (a call that would revert is not sent); the rest go in one `multicall` transaction
 * (or a plain one for a single call). Calls that pass alone but not together (two claims on one stake) are then sent
 * one by one. Nothing is thrown: an RPC outage is each unsent call's error.
 */
export async function sendBatch(
  chain: Chainlink,
  log: Logger,
  account: Account & { address: Address },
  contract: Omit<ContractCall, "functionName">,
  calls: readonly BatchCall[],
): Promise<(unknown | undefined)[]> {
  const sendOne = (call: BatchCall) =>
    sendContract(chain, log, account, call.functionName, { ...contract, functionName: call.functionName }, call.args)
      .then(() => undefined)
      .catch((error: unknown) => error);
  if (calls.length <= 1) return Promise.all(calls.map(sendOne));
  const outcomes: (unknown | undefined)[] = await Promise.all(
    calls.map((call) =>
      chain.publicClient
        .simulateContract({ ...contract, functionName: call.functionName, args: call.args, account })
        .then(() => undefined)
        .catch((error: unknown) => error),
    ),
  );
  const passing = outcomes.flatMap((outcome, i) => (outcome === undefined ? [i] : []));
  if (passing.length <= 1) {
    for (const i of passing) outcomes[i] = await sendOne(calls[i] as BatchCall);
    return outcomes;
  }
  const data = passing.map((i) => {
    const call = calls[i] as BatchCall;
    return encodeFunctionData({ abi: contract.abi, functionName: call.functionName, args: call.args });
  });
  const label = `multicall(${passing.map((i) => calls[i]?.functionName).join(",")})`;
  const together = await sendContract(chain, log, account, label, { ...contract, functionName: "multicall" }, [data])
    .then(() => undefined)
    .catch((error: unknown) => error);
  if (revertName(together) === undefined) {
    for (const i of passing) outcomes[i] = together;
    return outcomes;
  }
  log.debug({ reverted: revertName(together) }, "calls pass alone but not together: sending them one by one");
  for (const i of passing) outcomes[i] = await sendOne(calls[i] as BatchCall);
  return outcomes;
}
