"use client";
// Leasing capacity on a node: choose resources, see what an hour of them costs and the deposit needed, name the
// workload (one of the farm's templates, with its parameters), and open the lease. The manifest is sealed in the
// browser to the farm's encryption key, so only the node can read it; the deposit is paid with an ERC-2612 permit
// (one transaction) unless the market already has the allowance.
import { foldTokenAbi, identityRegistryAbi, leaseMarketAbi, nodeRegistryAbi } from "@fourfold/contracts";
import { seal } from "@fourfold/worker/seal";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { type Address, hexToBytes, toHex } from "viem";
import { useConfig, useConnection, useReadContract } from "wagmi";
import { getBlock, readContract } from "wagmi/actions";
import { useContracts } from "@/lib/contracts";
import { duration, fold, memory } from "@/lib/format";
import { check } from "@/lib/forms";
import { graphql } from "@/lib/indexer";
import {
  costOf,
  forgetManifest,
  type LeaseFormInput,
  leaseTerms,
  leaseWorkload,
  manifestOf,
  NEW_LEASE,
  perHour,
  rememberManifest,
  resourcesOf,
} from "@/lib/lease";
import { signPermit } from "@/lib/permit";
import { useSend } from "@/lib/use-send";
import { Field, FormFooter } from "./field";
import { WithIdentity } from "./identity";

interface LeaseNode {
  node: {
    id: string;
    status: string;
    region: string;
    country: string;
    cpu: number;
    reservedCpu: number;
    memoryMiB: string;
    reservedMemoryMiB: string;
    ssdGiB: string;
    reservedSsdGiB: string;
    hddGiB: string;
    reservedHddGiB: string;
    gpus: number;
    reservedGpus: number;
    farm: { name: string; identityId: string; identity: { handle: string } | null } | null;
  } | null;
}

const NODE = `query LeaseNode($id: BigInt!) {
  node(id: $id) {
    id status region country cpu reservedCpu memoryMiB reservedMemoryMiB ssdGiB reservedSsdGiB hddGiB reservedHddGiB
    gpus reservedGpus farm { name identityId identity { handle } }
  }
}`;

const RESOURCE_FIELDS: [keyof LeaseFormInput, string][] = [
  ["cpu", "CPU cores"],
  ["memoryGiB", "Memory GiB"],
  ["ssdGiB", "SSD GiB"],
  ["hddGiB", "HDD GiB"],
  ["gpus", "GPUs"],
  ["hours", "Prepaid hours"],
];

export function LeaseForm({ nodeId }: { nodeId: string }) {
  const { address, status } = useConnection();
  const found = useQuery({ queryKey: ["lease-node", nodeId], queryFn: () => graphql<LeaseNode>(NODE, { id: nodeId }) });
  if (found.isPending) return <p aria-live="polite">Loading node #{nodeId}…</p>;
  if (found.isError)
    return (
      <p role="alert" className="error">
        Could not load node #{nodeId}: {found.error.message}
      </p>
    );
  const n = found.data.node;
  if (n === null) return <p role="alert">There is no node #{nodeId} on this chain (yet).</p>;
  const free = `${n.cpu - n.reservedCpu} cores, ${memory(BigInt(n.memoryMiB) - BigInt(n.reservedMemoryMiB))} memory, ${
    BigInt(n.ssdGiB) - BigInt(n.reservedSsdGiB)
  } GiB SSD, ${BigInt(n.hddGiB) - BigInt(n.reservedHddGiB)} GiB HDD, ${n.gpus - n.reservedGpus} GPUs`;
  return (
    <>
      <p className="lead">
        Node <Link href={`/nodes/${n.id}`}>#{n.id}</Link> in {n.region}, {n.country} · farm{" "}
        {n.farm ? `${n.farm.name} (${n.farm.identity?.handle ?? `identity ${n.farm.identityId}`})` : "unknown"} · free:{" "}
        {free}
      </p>
      {n.status !== "Active" ? (
        <p role="alert" className="error">
          This node is {n.status}: it takes no new leases.
        </p>
      ) : status !== "connected" || address === undefined ? (
        <p>Connect a wallet (at the top of the page) to lease capacity on this node.</p>
      ) : n.farm === null ? (
        <p role="alert">The node's farm is not indexed yet.</p>
      ) : (
        <WithIdentity owner={address} why="Leases belong to an identity: a handle, owned by your address.">
          {(identity) => (
            <OpenLease
              nodeId={BigInt(n.id)}
              farmIdentity={BigInt(n.farm?.identityId ?? 0)}
              tenant={address}
              tenantId={BigInt(identity.id)}
            />
          )}
        </WithIdentity>
      )}
    </>
  );
}

type Resources = ReturnType<typeof resourcesOf>;

/** The first resource the lease asks more of than the node has free, by its field's label; undefined if none. */
function shortOf(lease: Resources, [total, reserved]: readonly [Resources, Resources]): string | undefined {
  const labels: [keyof Resources, string][] = [
    ["cpu", "CPU cores"],
    ["memoryMiB", "Memory"],
    ["ssdGiB", "SSD"],
    ["hddGiB", "HDD"],
    ["gpus", "GPUs"],
  ];
  const found = labels.find(([name]) => BigInt(lease[name]) > BigInt(total[name]) - BigInt(reserved[name]));
  return found?.[1];
}

function OpenLease({
  nodeId,
  farmIdentity,
  tenant,
  tenantId,
}: {
  nodeId: bigint;
  farmIdentity: bigint;
  tenant: Address;
  tenantId: bigint;
}) {
  const config = useConfig();
  const deployed = useContracts();
  const [form, setForm] = useState<LeaseFormInput>(NEW_LEASE);
  const [problem, setProblem] = useState<string>();
  const [opened, setOpened] = useState<bigint>();
  const tx = useSend();
  const market = deployed.LeaseMarket;
  // The price shown is the chain's quote for what the form asks, whenever the form's resources are valid.
  const terms = check(leaseTerms, form);
  const resources = terms.ok ? resourcesOf(terms.value) : undefined;
  const quote = useReadContract({
    address: market,
    abi: leaseMarketAbi,
    functionName: "quote",
    args: resources && [nodeId, resources],
    query: { enabled: market !== undefined && resources !== undefined },
  });
  const gracePeriod = useReadContract({
    address: market,
    abi: leaseMarketAbi,
    functionName: "gracePeriod",
    query: { enabled: market !== undefined },
  });
  const ackWindow = useReadContract({
    address: market,
    abi: leaseMarketAbi,
    functionName: "ackWindow",
    query: { enabled: market !== undefined },
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const workload = check(leaseWorkload, form);
    if (!terms.ok || !workload.ok) {
      setProblem(terms.ok ? (workload.ok ? undefined : workload.error) : terms.error);
      return;
    }
    const { NodeRegistry, IdentityRegistry, FoldToken } = deployed;
    if (!market || !NodeRegistry || !IdentityRegistry || !FoldToken) return;
    const { hours } = terms.value;
    const { template, params } = workload.value;
    const lease = resourcesOf(terms.value);
    const read = <T,>(call: Parameters<typeof readContract>[1]) => readContract(config, call) as Promise<T>;
    const [[scaledRate, minDeposit], prices, sealTo, allowance, balance, minCpu, minMemoryMiB, capacity, online] =
      await Promise.all([
        read<readonly [bigint, bigint]>({
          address: market,
          abi: leaseMarketAbi,
          functionName: "quote",
          args: [nodeId, lease],
        }),
        read<{ cpu: bigint; memoryGiB: bigint; ssdGiB: bigint; hddGiB: bigint; gpu: bigint }>({
          address: NodeRegistry,
          abi: nodeRegistryAbi,
          functionName: "prices",
          args: [nodeId],
        }),
        read<`0x${string}`>({
          address: IdentityRegistry,
          abi: identityRegistryAbi,
          functionName: "encryptionKeyOf",
          args: [farmIdentity],
        }),
        read<bigint>({ address: FoldToken, abi: foldTokenAbi, functionName: "allowance", args: [tenant, market] }),
        read<bigint>({ address: FoldToken, abi: foldTokenAbi, functionName: "balanceOf", args: [tenant] }),
        read<number>({ address: market, abi: leaseMarketAbi, functionName: "MIN_CPU" }),
        read<number>({ address: market, abi: leaseMarketAbi, functionName: "MIN_MEMORY_MIB" }),
        read<readonly [Resources, Resources]>({
          address: NodeRegistry,
          abi: nodeRegistryAbi,
          functionName: "capacity",
          args: [nodeId],
        }),
        read<boolean>({ address: NodeRegistry, abi: nodeRegistryAbi, functionName: "isOnline", args: [nodeId] }),
      ]);
    const deposit = costOf(scaledRate, hours);
    const short = shortOf(lease, capacity);
    const refusal =
      lease.cpu < minCpu || lease.memoryMiB < minMemoryMiB
        ? `Resources: a lease holds at least ${minCpu} CPU core and ${memory(BigInt(minMemoryMiB))} of memory`
        : short !== undefined
          ? `${short}: more than the node has free`
          : !online
            ? "This node is offline (no heartbeat lately): it takes no new leases until it is back"
            : deposit < minDeposit
              ? `Prepaid hours: at least ${duration(gracePeriod.data ?? 0n)} (the grace reserve, ${fold(minDeposit)} FOLD)`
              : deposit > balance
                ? `Deposit: ${fold(deposit)} FOLD is more than your ${fold(balance)} FOLD`
                : BigInt(sealTo) === 0n
                  ? "The node's farm has published no encryption key, so it could not read your manifest: ask the farmer to set one"
                  : undefined;
    setProblem(refusal);
    if (refusal) return;

    const manifest = manifestOf(template, params);
    const sealed = toHex(seal(hexToBytes(sealTo), manifest.bytes));
    // The manifest stays in this browser until the node has it, so My leases can post it again if posting fails.
    rememberManifest(manifest.hash, template, params);
    const args = [tenantId, nodeId, lease, deposit, prices, manifest.hash] as const;
    let sent: { result: bigint } | undefined;
    if (allowance >= deposit) {
      sent = await tx.send<bigint>("Opening the lease", {
        address: market,
        abi: leaseMarketAbi,
        functionName: "openLease",
        args,
      });
    } else {
      const deadline = (await getBlock(config)).timestamp + 3_600n;
      const permit = await tx.sign("Signing the deposit's permit", () =>
        signPermit(config, FoldToken, tenant, market, deposit, deadline),
      );
      if (permit === undefined) return;
      sent = await tx.send<bigint>("Opening the lease", {
        address: market,
        abi: leaseMarketAbi,
        functionName: "openLeaseWithPermit",
        args: [...args, permit],
      });
    }
    if (sent === undefined) return;
    setOpened(sent.result);
    const posted = await tx.send("Posting the sealed manifest", {
      address: market,
      abi: leaseMarketAbi,
      functionName: "postManifest",
      args: [sent.result, sealed],
    });
    if (posted) forgetManifest(manifest.hash);
  };

  const [scaledRate, minDeposit] = quote.data ?? [];
  return (
    <section aria-labelledby="open-lease-title">
      <h2 id="open-lease-title">Open a lease</h2>
      <form className="filters" onSubmit={submit} noValidate>
        {RESOURCE_FIELDS.map(([name, label]) => (
          <Field key={name} label={label}>
            {(id) => (
              <input
                id={id}
                inputMode="decimal"
                value={form[name]}
                onChange={(e) => setForm({ ...form, [name]: e.target.value })}
              />
            )}
          </Field>
        ))}
        <Field label="Workload template">
          {(id) => (
            <input
              id={id}
              value={form.template}
              onChange={(e) => setForm({ ...form, template: e.target.value })}
              placeholder="e.g. http-echo"
            />
          )}
        </Field>
        <Field label="Parameters (name=value per line)">
          {(id) => (
            <textarea
              id={id}
              rows={3}
              value={form.params}
              onChange={(e) => setForm({ ...form, params: e.target.value })}
              placeholder="message=hello"
            />
          )}
        </Field>
        <div className="card quote" aria-live="polite" data-testid="lease-quote">
          {!terms.ok ? (
            <p className="muted">The cost shows once the resources and hours are valid.</p>
          ) : scaledRate === undefined || minDeposit === undefined ? (
            <p className="muted">
              {quote.isError ? `No quote: ${quote.error.message}` : "Asking the chain for a quote…"}
            </p>
          ) : (
            <dl>
              <dt>Per hour online</dt>
              <dd>{fold(perHour(scaledRate), 6)} FOLD</dd>
              <dt>Deposit for {terms.value.hours} h</dt>
              <dd>{fold(costOf(scaledRate, terms.value.hours), 6)} FOLD</dd>
              <dt>Least deposit</dt>
              <dd>
                {fold(minDeposit, 6)} FOLD ({duration(gracePeriod.data ?? 0n)} of grace)
              </dd>
            </dl>
          )}
        </div>
        <FormFooter submit="Open lease" busy={tx.busy} problem={problem} state={tx.state} />
      </form>
      <p className="muted">
        You pay only for time the node proves it is online, and get the rest back when the lease ends. The node has{" "}
        {duration(ackWindow.data ?? 0n)} to start the workload and acknowledge the lease; if it does not, you may cancel
        for a full refund.
      </p>
      {opened !== undefined && (
        <p className="card" data-testid="lease-opened">
          Lease #{String(opened)} is open. Follow it in <Link href="/leases">My leases</Link>.
        </p>
      )}
    </section>
  );
}
