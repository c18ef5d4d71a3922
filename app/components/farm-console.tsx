"use client";
// The farmer's console: an identity (a handle), farms under it, and nodes registered in them. A node's key is made
// here, in the browser: it signs its consent to be bound to the farm's identity (EIP-712 BindKey), the farmer's
// wallet sends bindKey and registerNode, and the key is handed over as a file for the node agent; the browser keeps
// it (and asks before the page is left) until the farmer says it is saved.
import { nodeRegistryAbi } from "@fourfold/contracts";
import { KeyPurpose } from "@fourfold/worker/identity";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import type { Address, Hex, PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { useChainId, useConnection, usePublicClient } from "wagmi";
import { useContracts } from "@/lib/contracts";
import { farmForm, NEW_NODE, type NodeFormInput, nodeArgs, nodeForm } from "@/lib/farm";
import { check } from "@/lib/forms";
import { graphql } from "@/lib/indexer";
import { bindKeyCall } from "@/lib/keys";
import { forgetNodeKey, keepNodeKey, keptNodeKeys, keyFileHref, pendingNodeKey } from "@/lib/node-keys";
import { useSend } from "@/lib/use-send";
import { FarmCard, type FarmRow } from "./farm-card";
import { Field, FormFooter } from "./field";
import { RegisterIdentity } from "./identity";

interface Farmer {
  identitys: {
    items: {
      id: string;
      handle: string;
      farms: {
        items: FarmRow[];
      };
    }[];
  };
}

const FARMER = `query Farmer($owner: String!) {
  identitys(where: { owner: $owner }, orderBy: "id", limit: 20) {
    items { id handle farms(limit: 10) { items { id name payout nodes(limit: 100) { items { id region country status heartbeats onlineSeconds } } } } }
  }
}`;

export function FarmConsole() {
  const { address, status } = useConnection();
  if (status !== "connected" || address === undefined) {
    return <p>Connect a wallet (at the top of the page) to register an identity, farms and nodes.</p>;
  }
  return <Farmer owner={address} />;
}

function Farmer({ owner }: { owner: Address }) {
  const farmer = useQuery({
    queryKey: ["farmer", owner],
    queryFn: () => graphql<Farmer>(FARMER, { owner: owner.toLowerCase() }),
    refetchInterval: 3_000,
  });
  if (farmer.isPending) return <p aria-live="polite">Loading your identities and farms…</p>;
  if (farmer.isError)
    return (
      <p role="alert" className="error">
        Could not load your farms: {farmer.error.message}
      </p>
    );
  const identity = farmer.data.identitys.items[0];
  if (identity === undefined) {
    return <RegisterIdentity why="Farms belong to an identity: a handle others see, owned by your address." />;
  }
  const farms = identity.farms.items;
  return (
    <>
      <p>
        You are <strong>{identity.handle}</strong> (identity {identity.id}).
      </p>
      <section aria-labelledby="farms-title">
        <h2 id="farms-title">Your farms</h2>
        {farms.length === 0 ? (
          <p>No farm yet: create one below.</p>
        ) : (
          farms.map((farm) => <FarmCard key={farm.id} farm={farm} />)
        )}
      </section>
      <CreateFarm identityId={identity.id} owner={owner} />
      {farms.length > 0 && <RegisterNode identityId={identity.id} farms={farms} />}
    </>
  );
}

function CreateFarm({ identityId, owner }: { identityId: string; owner: Address }) {
  const [form, setForm] = useState({ name: "", payout: owner as string });
  const [problem, setProblem] = useState<string>();
  const tx = useSend();
  const registry = useContracts().NodeRegistry;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = check(farmForm, form);
    setProblem(checked.ok ? undefined : checked.error);
    if (!checked.ok || registry === undefined) return;
    const sent = await tx.send("Creating the farm", {
      address: registry,
      abi: nodeRegistryAbi,
      functionName: "createFarm",
      args: [BigInt(identityId), checked.value.name, checked.value.payout],
    });
    if (sent) setForm({ name: "", payout: owner });
  };
  return (
    <section aria-labelledby="create-farm-title">
      <h2 id="create-farm-title">Create a farm</h2>
      <form className="stack" onSubmit={submit} noValidate>
        <Field label="Farm name">
          {(id) => <input id={id} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
        </Field>
        <Field label="Payout address (lease payments and rewards)">
          {(id) => <input id={id} value={form.payout} onChange={(e) => setForm({ ...form, payout: e.target.value })} />}
        </Field>
        <FormFooter submit="Create farm" busy={tx.busy} problem={problem} state={tx.state} />
      </form>
    </section>
  );
}

const NODE_FIELDS: [keyof NodeFormInput, string][] = [
  ["cpu", "CPU cores"],
  ["memoryGiB", "Memory GiB"],
  ["ssdGiB", "SSD GiB"],
  ["hddGiB", "HDD GiB"],
  ["gpus", "GPUs"],
  ["country", "Country"],
  ["region", "Region"],
  ["priceCpu", "FOLD per core-hour"],
  ["priceMemoryGiB", "FOLD per GiB-hour of memory"],
  ["priceSsdGiB", "FOLD per GiB-hour of SSD"],
  ["priceHddGiB", "FOLD per GiB-hour of HDD"],
  ["priceGpu", "FOLD per GPU-hour"],
];

function RegisterNode({ identityId, farms }: { identityId: string; farms: { id: string; name: string }[] }) {
  const chainId = useChainId();
  const client = usePublicClient();
  const deployed = useContracts();
  const [farmId, setFarmId] = useState(farms[0]?.id ?? "");
  const [form, setForm] = useState<NodeFormInput>(NEW_NODE);
  const [problem, setProblem] = useState<string>();
  // The node's key, made once per node and kept in this browser (lib/node-keys.ts): a retry after a failed
  // registration, or after a reload, reuses the key already bound.
  const [key, setKey] = useState<Hex>();
  useEffect(() => setKey(pendingNodeKey(chainId, identityId)), [chainId, identityId]);
  const [registered, setRegistered] = useState<{ nodeId: bigint; key: Hex }>();
  const kept = useKeptNodeKeys(chainId);
  const tx = useSend();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = check(nodeForm, form);
    setProblem(checked.ok ? undefined : checked.error);
    if (
      !checked.ok ||
      key === undefined ||
      client === undefined ||
      !deployed.IdentityRegistry ||
      !deployed.NodeRegistry
    )
      return;
    const account = privateKeyToAccount(key);
    try {
      const bind = await bindKeyCall({
        client: client as PublicClient,
        chainId,
        registry: deployed.IdentityRegistry,
        identityId: BigInt(identityId),
        purpose: KeyPurpose.Node,
        key,
      });
      if (bind !== undefined && !(await tx.send("Binding the node's key", bind))) return;
    } catch (error) {
      tx.fail("Binding the node's key", (error as Error).message);
      return;
    }
    const { resources, location, prices } = nodeArgs(checked.value);
    const sent = await tx.send<bigint>("Registering the node", {
      address: deployed.NodeRegistry,
      abi: nodeRegistryAbi,
      functionName: "registerNode",
      args: [BigInt(farmId), account.address, resources, location, prices],
    });
    if (sent) {
      keepNodeKey(chainId, identityId, String(sent.result), key);
      kept.refresh();
      setRegistered({ nodeId: sent.result, key });
      setKey(pendingNodeKey(chainId, identityId));
    }
  };
  return (
    <>
      <section aria-labelledby="register-node-title">
        <h2 id="register-node-title">Register a node</h2>
        <form className="filters" onSubmit={submit} noValidate>
          <Field label="Farm">
            {(id) => (
              <select id={id} value={farmId} onChange={(e) => setFarmId(e.target.value)}>
                {farms.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name} (farm {f.id})
                  </option>
                ))}
              </select>
            )}
          </Field>
          {NODE_FIELDS.map(([name, label]) => (
            <Field key={name} label={label}>
              {(id) => (
                <input id={id} value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
              )}
            </Field>
          ))}
          <FormFooter submit="Register node" busy={tx.busy} problem={problem} state={tx.state} />
        </form>
        {registered && (
          <div className="card" data-testid="node-registered">
            <p>
              Node <Link href={`/nodes/${registered.nodeId}`}>#{String(registered.nodeId)}</Link> is registered. Its key
              signs the node's heartbeats: give it to the node agent, and keep it secret.
            </p>
            <a href={keyFileHref(registered.key)} download={`node-${registered.nodeId}.key`} className="button">
              Download node-{String(registered.nodeId)}.key
            </a>
            <p className="muted">
              Then:{" "}
              <code>npm run worker -- node --config node.json --key-file node-{String(registered.nodeId)}.key</code>{" "}
              (see docs/node-agent.md).
            </p>
          </div>
        )}
      </section>
      {kept.keys.length > 0 && (
        <section aria-labelledby="kept-keys-title">
          <h2 id="kept-keys-title">Node keys kept in this browser</h2>
          <p>
            Until you say you have saved a node's key, this browser keeps it, and asks before you leave the page.
            Without its key a node cannot send heartbeats, and earns nothing.
          </p>
          <ul>
            {kept.keys.map(({ nodeId, key: nodeKey }) => (
              <li key={nodeId}>
                Node #{nodeId}:{" "}
                <a href={keyFileHref(nodeKey)} download={`node-${nodeId}.key`}>
                  Download node-{nodeId}.key
                </a>{" "}
                <button type="button" onClick={() => kept.forget(nodeId)}>
                  I have saved node #{nodeId}'s key
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

/** The node keys this browser keeps, and a warning before the page is left while there are any. */
function useKeptNodeKeys(chainId: number) {
  const [keys, setKeys] = useState<{ nodeId: string; key: Hex }[]>([]);
  const refresh = useCallback(() => setKeys(keptNodeKeys(chainId)), [chainId]);
  useEffect(refresh, [refresh]);
  useEffect(() => {
    if (keys.length === 0) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [keys.length]);
  const forget = (nodeId: string) => {
    forgetNodeKey(chainId, nodeId);
    refresh();
  };
  return { keys, refresh, forget };
}
