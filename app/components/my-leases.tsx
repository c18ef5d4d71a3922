"use client";
// A tenant's leases: each one's state (Pending, Active, Grace, Ended and why), where to reach its workload, what is
// left of its escrow and how much online time that pays for, what it has cost so far, and a warning when the
// balance runs low. The list comes from the indexer; each open lease's money is read live from the chain (escrow
// less what a settlement now would pay). Top up, close, or post the sealed manifest again from here.
import { foldTokenAbi, identityRegistryAbi, leaseMarketAbi } from "@fourfold/contracts";
import { LEASE_END_REASONS, LEASE_STATES, label } from "@fourfold/indexer/enums";
import { seal } from "@fourfold/worker/seal";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { type Address, type Hex, hexToBytes, toHex } from "viem";
import { useBlock, useConfig, useConnection, useReadContract } from "wagmi";
import { readContract } from "wagmi/actions";
import { useContracts } from "@/lib/contracts";
import { disk, duration, fold, memory } from "@/lib/format";
import { check } from "@/lib/forms";
import { graphql } from "@/lib/indexer";
import {
  ENDED_BECAUSE,
  forgetManifest,
  LOW_BALANCE_SECONDS,
  perHour,
  recallManifest,
  secondsFor,
  topUpAmount,
} from "@/lib/lease";
import { useSend } from "@/lib/use-send";
import { Action } from "./action";
import { Field, FormFooter } from "./field";

interface IndexedLease {
  id: string;
  nodeId: string;
  state: (typeof LEASE_STATES)[number];
  endReason: string | null;
  cpu: number;
  memoryMiB: string;
  ssdGiB: string;
  hddGiB: string;
  gpus: number;
  deposit: string;
  toppedUp: string;
  refund: string | null;
  endpoint: string | null;
  rejection: string | null;
  sealedManifest: string | null;
  openedAt: string;
  deploymentHash: Hex;
  node: { region: string; country: string; farm: { identityId: string } | null } | null;
}

const LEASES = `query Leases($tenant: String!) {
  leases(where: { tenant: $tenant }, orderBy: "id", orderDirection: "desc", limit: 100) {
    items {
      id nodeId state endReason cpu memoryMiB ssdGiB hddGiB gpus deposit toppedUp refund endpoint rejection
      sealedManifest openedAt deploymentHash node { region country farm { identityId } }
    }
  }
}`;

export function MyLeases() {
  const { address, status } = useConnection();
  if (status !== "connected" || address === undefined) {
    return <p>Connect a wallet (at the top of the page) to see your leases.</p>;
  }
  return <Leases tenant={address} />;
}

function Leases({ tenant }: { tenant: Address }) {
  const market = useContracts().LeaseMarket;
  const leases = useQuery({
    queryKey: ["leases", tenant],
    queryFn: () => graphql<{ leases: { items: IndexedLease[] } }>(LEASES, { tenant: tenant.toLowerCase() }),
    refetchInterval: 3_000,
  });
  const gracePeriod = useReadContract({
    address: market,
    abi: leaseMarketAbi,
    functionName: "gracePeriod",
    query: { enabled: market !== undefined },
  });
  const block = useBlock({ watch: true });
  if (leases.isPending) return <p aria-live="polite">Loading your leases…</p>;
  if (leases.isError)
    return (
      <p role="alert" className="error">
        Could not load your leases: {leases.error.message}
      </p>
    );
  const items = leases.data.leases.items;
  if (items.length === 0) {
    return (
      <p>
        No lease yet. Find a node on <Link href="/">Explore</Link> and lease capacity on it.
      </p>
    );
  }
  const now = block.data === undefined ? undefined : Number(block.data.timestamp);
  return (
    <div className="stack leases">
      {items.map((lease) => (
        <LeaseCard key={lease.id} lease={lease} tenant={tenant} gracePeriod={gracePeriod.data} now={now} />
      ))}
    </div>
  );
}

function LeaseCard({
  lease,
  tenant,
  gracePeriod,
  now,
}: {
  lease: IndexedLease;
  tenant: Address;
  gracePeriod: bigint | undefined;
  now: number | undefined;
}) {
  const market = useContracts().LeaseMarket;
  const open = lease.state !== "Ended";
  const read = { address: market, abi: leaseMarketAbi, args: [BigInt(lease.id)] } as const;
  const live = useReadContract({
    ...read,
    functionName: "lease",
    query: { enabled: market !== undefined, refetchInterval: open ? 2_000 : false },
  });
  const due = useReadContract({
    ...read,
    functionName: "due",
    query: { enabled: market !== undefined && open, refetchInterval: 2_000 },
  });
  const onChain = live.data;
  // The chain is ahead of the indexer: its state wins once read.
  const state = onChain ? label(LEASE_STATES, onChain.state) : lease.state;
  const owed = due.data ?? 0n;
  const balance = onChain ? onChain.escrow - owed : undefined;
  const timeLeft = onChain && balance !== undefined ? secondsFor(balance, onChain.scaledRate) : undefined;
  const graceEnds = onChain && gracePeriod !== undefined ? onChain.graceSince + Number(gracePeriod) : undefined;
  const titleId = `lease-${lease.id}`;
  return (
    <section className="card" aria-labelledby={titleId} data-testid={`lease-${lease.id}`}>
      <h2 id={titleId}>
        Lease #{lease.id} <span className={`pill ${state.toLowerCase()}`}>{state}</span>
      </h2>
      <p className="lead">
        Node <Link href={`/nodes/${lease.nodeId}`}>#{lease.nodeId}</Link>
        {lease.node ? ` in ${lease.node.region}, ${lease.node.country}` : ""} · {lease.cpu} core
        {lease.cpu === 1 ? "" : "s"} · {memory(lease.memoryMiB)} memory · {disk(lease.ssdGiB)} SSD
        {BigInt(lease.hddGiB) > 0n ? ` · ${disk(lease.hddGiB)} HDD` : ""}
        {lease.gpus > 0 ? ` · ${lease.gpus} GPUs` : ""}
      </p>
      {state === "Pending" && (
        <p aria-live="polite">Waiting for the node to start the workload and acknowledge the lease…</p>
      )}
      {(state === "Active" || state === "Grace") && lease.endpoint && (
        <p>
          Endpoint:{" "}
          <a href={lease.endpoint} data-testid="lease-endpoint">
            {lease.endpoint}
          </a>
        </p>
      )}
      {state === "Ended" && (
        <p>
          Ended:{" "}
          {ENDED_BECAUSE[onChain ? label(LEASE_END_REASONS, onChain.endReason) : (lease.endReason ?? "")] ?? "unknown"}
          {lease.rejection ? ` (“${lease.rejection}”)` : ""}
          {lease.refund !== null ? ` · ${fold(lease.refund)} FOLD refunded` : ""}
        </p>
      )}
      {state === "Grace" && (
        <p role="alert" className="error">
          In grace: the balance no longer covers {duration(gracePeriod ?? 0n)} of online time. Top up now, or anyone may
          end the lease{" "}
          {graceEnds !== undefined && now !== undefined && graceEnds > now ? `in ${duration(graceEnds - now)}` : "now"}.
        </p>
      )}
      {state === "Active" && timeLeft !== undefined && timeLeft < LOW_BALANCE_SECONDS && (
        <p role="status" className="warn">
          Low balance: it pays for about {duration(Math.floor(timeLeft))} more of online time. Top up to keep the lease
          running.
        </p>
      )}
      {onChain && (
        <dl className="money">
          <dt>Per hour online</dt>
          <dd>{fold(perHour(onChain.scaledRate), 6)} FOLD</dd>
          {open && (
            <>
              <dt>Balance</dt>
              <dd data-testid="lease-balance">{fold(balance ?? 0n)} FOLD</dd>
              <dt>Time left</dt>
              <dd>{timeLeft === undefined ? "…" : `${duration(Math.floor(timeLeft))} of online time`}</dd>
            </>
          )}
          <dt>Cost so far</dt>
          <dd data-testid="lease-cost">{fold(onChain.paid + owed)} FOLD</dd>
          <dt>Deposited</dt>
          <dd>{fold(BigInt(lease.deposit) + BigInt(lease.toppedUp))} FOLD</dd>
        </dl>
      )}
      {/* The manifest is posted right after the lease opens: only a lease still without one half a minute later (by
          the chain's clock, and so past the indexer's lag) needs it posted again. */}
      {state === "Pending" &&
        lease.sealedManifest === null &&
        lease.node?.farm &&
        now !== undefined &&
        now - Number(lease.openedAt) > 30 && (
          <PostManifest
            leaseId={BigInt(lease.id)}
            hash={lease.deploymentHash}
            farmIdentity={lease.node.farm.identityId}
          />
        )}
      {open && <TopUp leaseId={BigInt(lease.id)} tenant={tenant} />}
      {open && (
        <Action
          label="Close lease"
          what="Closing the lease"
          note="Closing pays for the online time so far and refunds the rest."
          call={
            market && { address: market, abi: leaseMarketAbi, functionName: "closeLease", args: [BigInt(lease.id)] }
          }
        />
      )}
    </section>
  );
}

function TopUp({ leaseId, tenant }: { leaseId: bigint; tenant: Address }) {
  const config = useConfig();
  const { LeaseMarket: market, FoldToken: token } = useContracts();
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string>();
  const tx = useSend();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = check(topUpAmount, value);
    setProblem(checked.ok ? undefined : checked.error);
    if (!checked.ok || !market || !token) return;
    const balance = await readContract(config, {
      address: token,
      abi: foldTokenAbi,
      functionName: "balanceOf",
      args: [tenant],
    });
    if (checked.value > balance) {
      setProblem(`Amount: ${fold(checked.value)} FOLD is more than your ${fold(balance)} FOLD`);
      return;
    }
    if (!(await tx.allow("Allowing the market to take the top-up", token, tenant, market, checked.value))) return;
    const sent = await tx.send("Topping up", {
      address: market,
      abi: leaseMarketAbi,
      functionName: "topUp",
      args: [leaseId, checked.value],
    });
    if (sent) setValue("");
  };
  return (
    <form className="inline" onSubmit={submit} noValidate aria-label={`Top up lease #${leaseId}`}>
      <Field label="Top up (FOLD)">
        {(id) => <input id={id} inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />}
      </Field>
      <FormFooter submit="Top up" busy={tx.busy} problem={problem} state={tx.state} />
    </form>
  );
}

/** Posts the lease's manifest, sealed to the farm, when opening the lease did not get that far. */
function PostManifest({ leaseId, hash, farmIdentity }: { leaseId: bigint; hash: Hex; farmIdentity: string }) {
  const config = useConfig();
  const { LeaseMarket: market, IdentityRegistry: identities } = useContracts();
  const tx = useSend();
  const manifest = typeof window === "undefined" ? undefined : recallManifest(hash);
  if (manifest === undefined) {
    return (
      <p role="alert" className="error">
        The node has no manifest for this lease, and this browser does not have the one it was opened for. Close it once
        the node's acknowledgement window has passed, for a full refund.
      </p>
    );
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!market || !identities) return;
    const sealTo = await readContract(config, {
      address: identities,
      abi: identityRegistryAbi,
      functionName: "encryptionKeyOf",
      args: [BigInt(farmIdentity)],
    });
    const sent = await tx.send("Posting the sealed manifest", {
      address: market,
      abi: leaseMarketAbi,
      functionName: "postManifest",
      args: [leaseId, toHex(seal(hexToBytes(sealTo), manifest.bytes))],
    });
    if (sent) forgetManifest(hash);
  };
  return (
    <form className="inline" onSubmit={submit} aria-label={`Post the manifest of lease #${leaseId}`}>
      <p>The node has not received this lease's manifest yet.</p>
      <FormFooter submit="Post the sealed manifest" busy={tx.busy} problem={undefined} state={tx.state} />
    </form>
  );
}
