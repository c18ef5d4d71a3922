// Binding a key made in the browser to an identity: the key signs its consent (EIP-712 BindKey, good for an hour of
// chain time), and the identity's owner sends `bindKey` with it. Node keys (Farm page) and Operator, Worker and Agent
// keys (Identity page) go the same way.
import { identityRegistryAbi } from "@fourfold/contracts";
import { signBindKey } from "@fourfold/worker/identity";
import type { Address, Hex, PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Call } from "./use-send";

/** The `bindKey` call for `key` (a private key) to `identityId` with `purpose`, or undefined when it is bound so. */
export async function bindKeyCall(options: {
  client: PublicClient;
  chainId: number;
  registry: Address;
  identityId: bigint;
  purpose: number;
  key: Hex;
}): Promise<Call | undefined> {
  const { client, chainId, registry, identityId, purpose } = options;
  const identities = { address: registry, abi: identityRegistryAbi } as const;
  const account = privateKeyToAccount(options.key);
  const [boundTo, boundFor, active] = await client.readContract({
    ...identities,
    functionName: "keyInfo",
    args: [account.address],
  });
  if (active && boundTo === identityId && boundFor === purpose) return undefined;
  const deadline = (await client.getBlock()).timestamp + 3_600n;
  const nonce = await client.readContract({ ...identities, functionName: "keyNonce", args: [account.address] });
  const signature = await signBindKey({ key: account, chainId, registry, identityId, purpose, nonce, deadline });
  return { ...identities, functionName: "bindKey", args: [identityId, account.address, purpose, deadline, signature] };
}
