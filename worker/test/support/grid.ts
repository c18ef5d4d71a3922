// What worker tests do on a local chain started by scripts/start.ts: viem clients, the deployed contracts, identities,
// bound keys, FOLD, and JobMarket workers. Hardhat's published test accounts, on the local chain only.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { abis as Abis } from "@fourfold/contracts";
import {
  type Abi,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  parseEther,
  sha256,
  type TransactionReceipt,
} from "viem";
import { type Account, generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { devAccount } from "../../src/dev-accounts.ts";
import { KeyPurpose, signBindKey } from "../../src/identity.ts";
import { sealJobResult } from "../../src/inference/job-result.ts";

export const ROOT = path.resolve(import.meta.dirname, "../../..");

export { devAccount };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value (errors count as "not yet"). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

export type Grid = Awaited<ReturnType<typeof connectGrid>>;

/** Connects to the local chain at `rpcUrl`. Call it after scripts/start.ts is ready: @fourfold/contracts is imported
 * here, once its deployments are generated. */
export async function connectGrid(rpcUrl: string) {
  const { abis, deploymentsOn } = await import("@fourfold/contracts");
  const deployed = deploymentsOn(31337);
  const address = (name: keyof typeof Abis) => {
    const found = deployed[name];
    if (found === undefined) throw new Error(`${name} not deployed`);
    return found.address;
  };
  const chain = defineChain({
    id: 31337,
    name: "local",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const client = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 100 });
  const wallet = (account: Account | number) =>
    createWalletClient({
      account: typeof account === "number" ? devAccount(account) : account,
      chain,
      transport: http(rpcUrl),
    });
  type Wallet = ReturnType<typeof wallet>;
  const deployer = wallet(0);
  const contracts = {
    token: { address: address("FoldToken"), abi: abis.FoldToken },
    identities: { address: address("IdentityRegistry"), abi: abis.IdentityRegistry },
    jobs: { address: address("JobMarket"), abi: abis.JobMarket },
    data: { address: address("DataMarket"), abi: abis.DataMarket },
    nodes: { address: address("NodeRegistry"), abi: abis.NodeRegistry },
    leases: { address: address("LeaseMarket"), abi: abis.LeaseMarket },
    reputation: { address: address("ReputationRegistry"), abi: abis.ReputationRegistry },
    rewards: { address: address("FarmingRewards"), abi: abis.FarmingRewards },
  } as const;

  const mined = async (hash: Hex): Promise<TransactionReceipt> => {
    const receipt = await client.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    return receipt;
  };
  /** Simulates (so a revert shows its custom error), sends and waits; returns the call's result. */
  const call = async <T = unknown>(
    who: Wallet,
    contract: { address: Hex; abi: Abi },
    functionName: string,
    args: readonly unknown[],
  ): Promise<T> => {
    const { request, result } = await client.simulateContract({
      address: contract.address,
      abi: contract.abi,
      functionName,
      args,
      account: who.account,
    });
    await mined(await who.writeContract(request));
    return result as T;
  };
  const register = async (who: Wallet, handle: string): Promise<bigint> =>
    call<bigint>(who, contracts.identities, "register", [handle, ""]);
  /** A fresh key, with ETH for gas, bound to `identityId` for `purpose` by its owner `owner`. */
  const bindFreshKey = async (
    owner: Wallet,
    identityId: bigint,
    purpose: number,
  ): Promise<PrivateKeyAccount & { key: Hex }> => {
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    await mined(await deployer.sendTransaction({ to: account.address, value: parseEther("10") }));
    const deadline = (await client.getBlock()).timestamp + 3_600n;
    const signature = await signBindKey({
      key: account,
      chainId: 31337,
      registry: contracts.identities.address,
      identityId,
      purpose,
      nonce: 0n,
      deadline,
    });
    await call(owner, contracts.identities, "bindKey", [identityId, account.address, purpose, deadline, signature]);
    return Object.assign(account, { key });
  };
  /** FOLD from the deployer, approved for `spender`. */
  const fundFold = async (who: Wallet, amount: bigint, spender: Hex): Promise<void> => {
    await call(deployer, contracts.token, "transfer", [who.account.address, amount]);
    await call(who, contracts.token, "approve", [spender, amount]);
  };
  /** A JobMarket worker: an identity of `owner`, a bound Worker key, and `stake` FOLD staked. */
  const registerWorker = async (
    owner: Wallet,
    handle: string,
    modelIds: readonly bigint[],
    price: bigint,
    stake: bigint,
  ): Promise<{ workerId: bigint; key: PrivateKeyAccount & { key: Hex } }> => {
    const workerId = await register(owner, handle);
    const key = await bindFreshKey(owner, workerId, KeyPurpose.Worker);
    await fundFold(owner, stake, contracts.jobs.address);
    await call(owner, contracts.jobs, "registerWorker", [workerId, modelIds, price, stake]);
    return { workerId, key };
  };
  /** Deploys a contract compiled into artifacts/ (examples and mocks are not in @fourfold/contracts). */
  const deployArtifact = async (who: Wallet, file: string, name: string, args: readonly unknown[]) => {
    const artifact = JSON.parse(await readFile(path.join(ROOT, "artifacts", file, `${name}.json`), "utf8"));
    const hash = await who.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args });
    const receipt = await mined(hash);
    assert.ok(receipt.contractAddress);
    return { address: receipt.contractAddress, abi: artifact.abi as Abi };
  };
  /**
   * A JobMarket result of `worker` for `jobId`, sealed: `claim()` claims the job with its commitment (from the
   * worker's key), `reveal(from, entry)` reveals it (anyone may send it) once the reveals are open. `output` is the
   * canonical output's bytes, revealed inline.
   */
  const sealedResult = async (
    worker: { workerId: bigint; key: PrivateKeyAccount },
    jobId: bigint,
    output: Hex,
    job: { modelHash: Hex; inputHash: Hex; deadline: bigint },
  ) => {
    const outputHash = sha256(output);
    const sealed = await sealJobResult({
      key: worker.key,
      chainId: 31337,
      jobMarket: contracts.jobs.address,
      jobId,
      modelHash: job.modelHash,
      inputHash: job.inputHash,
      outputHash,
      workerId: worker.workerId,
      deadline: job.deadline,
    });
    return {
      outputHash,
      commitment: sealed.commitment,
      claim: () => call(wallet(worker.key), contracts.jobs, "claimJob", [jobId, sealed.commitment]),
      commitAsMember: (entry: bigint) =>
        call(wallet(worker.key), contracts.jobs, "commitResult", [jobId, entry, sealed.commitment]),
      reveal: (from: Wallet, entry: bigint) =>
        call(from, contracts.jobs, "revealResult", [
          jobId,
          entry,
          outputHash,
          sealed.salt,
          "",
          output,
          sealed.signature,
        ]),
    };
  };
  /** Moves the chain's clock forward and mines a block. */
  const advanceTime = async (seconds: number): Promise<void> => {
    await client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
    await client.request({ method: "evm_mine" as never, params: [] as never });
  };
  return {
    chain,
    client,
    wallet,
    deployer,
    contracts,
    mined,
    call,
    register,
    bindFreshKey,
    fundFold,
    registerWorker,
    deployArtifact,
    sealedResult,
    advanceTime,
  };
}
