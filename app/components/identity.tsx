"use client";
// An account's identity (its handle), as the indexer knows it, and the form to register one. Farms, leases, datasets
// and jobs all belong to an identity, so each page that needs one asks for it here first.
import { identityRegistryAbi } from "@fourfold/contracts";
import { useQuery } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import type { Address } from "viem";
import { useContracts } from "@/lib/contracts";
import { handle } from "@/lib/farm";
import { check } from "@/lib/forms";
import { graphql } from "@/lib/indexer";
import { useSend } from "@/lib/use-send";
import { Field, FormFooter } from "./field";

const IDENTITY = `query Identity($owner: String!) {
  identitys(where: { owner: $owner }, orderBy: "id", limit: 1) { items { id handle } }
}`;

/** `owner`'s first identity, or null when it has none; refetched until one appears. */
export function useIdentity(owner: Address) {
  return useQuery({
    queryKey: ["identity", owner],
    queryFn: async () =>
      (
        await graphql<{ identitys: { items: { id: string; handle: string }[] } }>(IDENTITY, {
          owner: owner.toLowerCase(),
        })
      ).identitys.items[0] ?? null,
    refetchInterval: (query) => (query.state.data ? false : 3_000),
  });
}

/** Renders `children` with `owner`'s identity, or the form to register one first. */
export function WithIdentity({
  owner,
  why,
  children,
}: {
  owner: Address;
  why: string;
  children: (identity: { id: string; handle: string }) => ReactNode;
}) {
  const identity = useIdentity(owner);
  if (identity.isPending) return <p aria-live="polite">Loading your identity…</p>;
  if (identity.isError)
    return (
      <p role="alert" className="error">
        Could not load your identity: {identity.error.message}
      </p>
    );
  if (identity.data === null) return <RegisterIdentity why={why} />;
  return children(identity.data);
}

export function RegisterIdentity({ why }: { why: string }) {
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string>();
  const tx = useSend();
  const registry = useContracts().IdentityRegistry;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = check(handle, value);
    setProblem(checked.ok ? undefined : checked.error);
    if (!checked.ok || registry === undefined) return;
    await tx.send("Registering your identity", {
      address: registry,
      abi: identityRegistryAbi,
      functionName: "register",
      args: [checked.value, ""],
    });
  };
  return (
    <section aria-labelledby="identity-title">
      <h2 id="identity-title">Your identity</h2>
      <p>{why}</p>
      <form className="stack" onSubmit={submit} noValidate>
        <Field label="Handle">
          {(id) => (
            <input id={id} value={value} onChange={(e) => setValue(e.target.value)} placeholder="e.g. green-acres" />
          )}
        </Field>
        <FormFooter submit="Register identity" busy={tx.busy} problem={problem} state={tx.state} />
      </form>
    </section>
  );
}
