// Identities: a handle registered once, a key bound with the key's own EIP-712 consent, the X25519 encryption key
// others seal secrets to.
import { abis } from "@fourfold/contracts";
import { type Hex, toHex } from "viem";
import type { Chainlink } from "../chain.ts";
import { signBindKey } from "../identity.ts";
import { type ActionContext, contractOf, type Signer, send } from "./context.ts";

/** The identity `handle` names, registered by `owner` if no one has it; fails when someone else holds it. */
export async function ensureIdentity(ctx: ActionContext, owner: Signer, handle: string): Promise<bigint> {
  const identities = contractOf(ctx, "IdentityRegistry");
  const client = ctx.chain.publicClient;
  const found = await client.readContract({ ...identities, functionName: "idOfHandle", args: [handle] });
  if (found !== 0n) {
    const holder = await client.readContract({ ...identities, functionName: "ownerOf", args: [found] });
    if (holder.toLowerCase() !== owner.address.toLowerCase()) {
      throw new Error(`the handle ${handle} belongs to ${holder}, not to ${owner.address}`);
    }
    return found;
  }
  return send<bigint>(ctx, owner, "IdentityRegistry", "register", [handle, ""]);
}

/** `bindKey`'s arguments: the key's consent to be bound to `identityId` for `purpose`, good for an hour. */
export async function bindKeyArgs(
  chain: Chainlink,
  identityId: bigint,
  key: Signer,
  purpose: number,
): Promise<readonly [bigint, Hex, number, bigint, Hex]> {
  const identities = { address: chain.deployment("IdentityRegistry").address, abi: abis.IdentityRegistry };
  const client = chain.publicClient;
  const nonce = await client.readContract({ ...identities, functionName: "keyNonce", args: [key.address] });
  const deadline = (await client.getBlock()).timestamp + 3_600n;
  const signature = await signBindKey({
    key,
    chainId: chain.chain.id,
    registry: identities.address,
    identityId,
    purpose,
    nonce,
    deadline,
  });
  return [identityId, key.address, purpose, deadline, signature];
}

/** Binds `key` to `owner`'s identity `identityId` for `purpose`, unless it is already bound so. */
export async function bindKey(
  ctx: ActionContext,
  owner: Signer,
  identityId: bigint,
  key: Signer,
  purpose: number,
): Promise<void> {
  const [boundTo, boundFor, active] = await ctx.chain.publicClient.readContract({
    ...contractOf(ctx, "IdentityRegistry"),
    functionName: "keyInfo",
    args: [key.address],
  });
  if (active && boundTo === identityId && boundFor === purpose) return;
  await send(ctx, owner, "IdentityRegistry", "bindKey", await bindKeyArgs(ctx.chain, identityId, key, purpose));
}

/** Sets identity `identityId`'s X25519 public key, the one grants and manifests are sealed to. */
export async function setEncryptionKey(
  ctx: ActionContext,
  owner: Signer,
  identityId: bigint,
  publicKey: Uint8Array,
): Promise<void> {
  await send(ctx, owner, "IdentityRegistry", "setEncryptionKey", [identityId, toHex(publicKey)]);
}
