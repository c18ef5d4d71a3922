"use client";
// An identity's X25519 encryption key: data owners seal dataset keys to its public half, which is on-chain
// (setEncryptionKey). The key pair is made in this browser and its secret stays here (lib/data.ts).
import { identityRegistryAbi } from "@fourfold/contracts";
import { generateKeyPair, publicKeyOf } from "@fourfold/worker/seal";
import type { FormEvent } from "react";
import { bytesToHex, toHex } from "viem";
import { useChainId, useReadContract } from "wagmi";
import { useContracts } from "@/lib/contracts";
import { identitySecret, keepIdentitySecret } from "@/lib/data";
import { useSend } from "@/lib/use-send";
import { FormFooter } from "./field";

/** The identity's X25519 key: dataset keys are sealed to it. Its secret is made and kept in this browser. */
export function EncryptionKey({ identityId }: { identityId: string }) {
  const chainId = useChainId();
  const registry = useContracts().IdentityRegistry;
  const tx = useSend();
  const onChain = useReadContract({
    address: registry,
    abi: identityRegistryAbi,
    functionName: "encryptionKeyOf",
    args: [BigInt(identityId)],
    query: { enabled: registry !== undefined },
  });
  if (onChain.data === undefined) return null;
  const secret = identitySecret(chainId, identityId);
  const here = secret !== undefined && bytesToHex(publicKeyOf(secret)) === onChain.data.toLowerCase();
  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!registry) return;
    const pair = generateKeyPair();
    // The secret is kept before the public half is published: a crash in between loses nothing that matters.
    keepIdentitySecret(chainId, identityId, pair.secretKey);
    await tx.send("Publishing your encryption key", {
      address: registry,
      abi: identityRegistryAbi,
      functionName: "setEncryptionKey",
      args: [BigInt(identityId), toHex(pair.publicKey)],
    });
  };
  return (
    <section aria-labelledby="encryption-title">
      <h2 id="encryption-title">Your encryption key</h2>
      {here ? (
        <p data-testid="encryption-key">
          Set: dataset keys delivered to you are sealed to it, and its secret is in this browser only. Clearing the
          browser's storage loses it, and with it every key delivered to you:{" "}
          <a
            href={`data:text/plain;charset=utf-8,${bytesToHex(secret)}%0A`}
            download={`identity-${identityId}-x25519.key`}
          >
            keep a copy of the secret
          </a>
          .
        </p>
      ) : (
        <form className="inline" onSubmit={create}>
          <p>
            {BigInt(onChain.data) === 0n
              ? "You have none yet: owners seal dataset keys to it, so you need one to receive access."
              : "Your identity's key was made in another browser: keys sealed to it open only there. A new one replaces it for future deliveries."}{" "}
            Its secret stays in this browser.
          </p>
          <FormFooter submit="Create an encryption key" busy={tx.busy} problem={undefined} state={tx.state} />
        </form>
      )}
    </section>
  );
}
