"use client";
// A node: where it is, its capacity (total, reserved by leases, free), its prices, whether it is online by the
// chain's clock, its proven uptime per hour, its rewards, and its farm's reputation (outcomes and feedback).
import { nodeRegistryAbi } from "@fourfold/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useBlock, useReadContract } from "wagmi";
import { useContracts } from "@/lib/contracts";
import { ago, disk, duration, fold, memory } from "@/lib/format";
import { graphql } from "@/lib/indexer";
import { RewardStanding } from "./reward-standing";
import { UptimeChart, type UptimeHour } from "./uptime-chart";

interface NodeData {
  node: {
    id: string;
    key: string;
    country: string;
    region: string;
    status: string;
    cpu: number;
    memoryMiB: string;
    ssdGiB: string;
    hddGiB: string;
    gpus: number;
    reservedCpu: number;
    reservedMemoryMiB: string;
    reservedSsdGiB: string;
    reservedHddGiB: string;
    reservedGpus: number;
    priceCpu: string;
    priceMemoryGiB: string;
    priceSsdGiB: string;
    priceHddGiB: string;
    priceGpu: string;
    bond: string;
    certified: boolean;
    heartbeats: string;
    onlineSeconds: string;
    lastHeartbeat: string | null;
    registeredAt: string;
    rewardsOwed: string;
    rewardsTaken: string;
    farm: { id: string; name: string; identityId: string; identity: { handle: string } | null } | null;
    uptime: { items: UptimeHour[] };
  } | null;
}

const NODE = `query Node($id: BigInt!) {
  node(id: $id) {
    id key country region status cpu memoryMiB ssdGiB hddGiB gpus
    reservedCpu reservedMemoryMiB reservedSsdGiB reservedHddGiB reservedGpus
    priceCpu priceMemoryGiB priceSsdGiB priceHddGiB priceGpu bond certified
    heartbeats onlineSeconds lastHeartbeat registeredAt rewardsOwed rewardsTaken
    farm { id name identityId identity { handle } }
    uptime(orderBy: "hour", orderDirection: "desc", limit: 48) { items { hour heartbeats onlineSeconds } }
  }
}`;

const REPUTATION = `query Reputation($subject: BigInt!) {
  completed: outcomes(where: { subjectId: $subject, outcome: Completed }) { totalCount }
  refunded: outcomes(where: { subjectId: $subject, outcome: Refunded }) { totalCount }
  slashed: outcomes(where: { subjectId: $subject, outcome: Slashed }) { totalCount }
  feedbacks(where: { subjectId: $subject, revoked: false }, limit: 1000) { totalCount items { score } }
}`;

interface Reputation {
  completed: { totalCount: number };
  refunded: { totalCount: number };
  slashed: { totalCount: number };
  feedbacks: { totalCount: number; items: { score: number }[] };
}

export function NodeDetail({ id }: { id: string }) {
  const registry = useContracts().NodeRegistry;
  const found = useQuery({
    queryKey: ["node", id],
    queryFn: () => graphql<NodeData>(NODE, { id }),
    refetchInterval: 15_000,
  });
  const subject = found.data?.node?.farm?.identityId;
  const reputation = useQuery({
    queryKey: ["reputation", subject],
    queryFn: () => graphql<Reputation>(REPUTATION, { subject }),
    enabled: subject !== undefined,
  });
  // Online is judged by the chain's clock and NodeRegistry's own threshold, as the contract judges it.
  const block = useBlock({ watch: true });
  const offlineAfter = useReadContract({
    address: registry,
    abi: nodeRegistryAbi,
    functionName: "offlineAfter",
    query: { enabled: registry !== undefined },
  });

  if (found.isPending) return <p aria-live="polite">Loading node #{id}…</p>;
  if (found.isError)
    return (
      <p role="alert" className="error">
        Could not load node #{id}: {found.error.message}
      </p>
    );
  const n = found.data.node;
  if (n === null)
    return (
      <>
        <h1>Node #{id}</h1>
        <p role="alert">There is no node #{id} on this chain (yet).</p>
        <Link href="/">Back to Explore</Link>
      </>
    );
  const now = block.data === undefined ? undefined : Number(block.data.timestamp);
  const online =
    now === undefined || offlineAfter.data === undefined
      ? undefined
      : n.lastHeartbeat !== null && now - Number(n.lastHeartbeat) <= Number(offlineAfter.data);
  const free = {
    cpu: n.cpu - n.reservedCpu,
    memoryMiB: BigInt(n.memoryMiB) - BigInt(n.reservedMemoryMiB),
    ssdGiB: BigInt(n.ssdGiB) - BigInt(n.reservedSsdGiB),
    hddGiB: BigInt(n.hddGiB) - BigInt(n.reservedHddGiB),
    gpus: n.gpus - n.reservedGpus,
  };
  const scores = reputation.data?.feedbacks.items.map((f) => f.score) ?? [];
  return (
    <article aria-labelledby="node-title">
      <h1 id="node-title">
        Node #{n.id}{" "}
        {online !== undefined && (
          <span className={online ? "pill online" : "pill offline"}>{online ? "Online" : "Offline"}</span>
        )}
      </h1>
      <p className="lead">
        {n.region}, {n.country} · {n.status}
        {n.certified ? " · certified" : ""} · farm{" "}
        {n.farm ? `${n.farm.name} (${n.farm.identity?.handle ?? `identity ${n.farm.identityId}`})` : "unknown"}
      </p>
      <div className="cards">
        <section className="card" aria-labelledby="capacity">
          <h2 id="capacity">Capacity</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col">Total</th>
                <th scope="col">Leased</th>
                <th scope="col">Free</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">CPU cores</th>
                <td>{n.cpu}</td>
                <td>{n.reservedCpu}</td>
                <td>{free.cpu}</td>
              </tr>
              <tr>
                <th scope="row">Memory</th>
                <td>{memory(n.memoryMiB)}</td>
                <td>{memory(n.reservedMemoryMiB)}</td>
                <td>{memory(free.memoryMiB)}</td>
              </tr>
              <tr>
                <th scope="row">SSD</th>
                <td>{disk(n.ssdGiB)}</td>
                <td>{disk(n.reservedSsdGiB)}</td>
                <td>{disk(free.ssdGiB)}</td>
              </tr>
              <tr>
                <th scope="row">HDD</th>
                <td>{disk(n.hddGiB)}</td>
                <td>{disk(n.reservedHddGiB)}</td>
                <td>{disk(free.hddGiB)}</td>
              </tr>
              <tr>
                <th scope="row">GPUs</th>
                <td>{n.gpus}</td>
                <td>{n.reservedGpus}</td>
                <td>{free.gpus}</td>
              </tr>
            </tbody>
          </table>
        </section>
        <section className="card" aria-labelledby="prices">
          <h2 id="prices">Prices per hour</h2>
          <dl>
            <dt>CPU core</dt>
            <dd>{fold(n.priceCpu, 6)} FOLD</dd>
            <dt>GiB of memory</dt>
            <dd>{fold(n.priceMemoryGiB, 6)} FOLD</dd>
            <dt>GiB of SSD</dt>
            <dd>{fold(n.priceSsdGiB, 6)} FOLD</dd>
            <dt>GiB of HDD</dt>
            <dd>{fold(n.priceHddGiB, 6)} FOLD</dd>
            <dt>GPU</dt>
            <dd>{fold(n.priceGpu, 6)} FOLD</dd>
          </dl>
          <p className="muted">A lease pays only for time the node proved it was online.</p>
        </section>
        <section className="card" aria-labelledby="record">
          <h2 id="record">Record</h2>
          <dl>
            <dt>Last heartbeat</dt>
            <dd>{now === undefined ? "…" : ago(n.lastHeartbeat, now)}</dd>
            <dt>Heartbeats</dt>
            <dd>{Number(n.heartbeats).toLocaleString("en")}</dd>
            <dt>Proven online</dt>
            <dd>{duration(n.onlineSeconds)}</dd>
            <dt>Farming rewards</dt>
            <dd>
              <RewardStanding nodeId={n.id} />
            </dd>
            <dt>Rewards owed / taken</dt>
            <dd>
              {fold(n.rewardsOwed, 2)} / {fold(n.rewardsTaken, 2)} FOLD
            </dd>
            <dt>Bond</dt>
            <dd>{fold(n.bond, 2)} FOLD</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="reputation">
          <h2 id="reputation">Farm reputation</h2>
          {reputation.isPending ? (
            <p aria-live="polite">Loading…</p>
          ) : reputation.isError ? (
            <p role="alert" className="error">
              Could not load it: {reputation.error.message}
            </p>
          ) : (
            <dl>
              <dt>Leases completed</dt>
              <dd>{reputation.data.completed.totalCount}</dd>
              <dt>Refunded</dt>
              <dd>{reputation.data.refunded.totalCount}</dd>
              <dt>Slashed</dt>
              <dd>{reputation.data.slashed.totalCount}</dd>
              <dt>Feedback</dt>
              <dd>
                {scores.length === 0
                  ? "none yet"
                  : `${(scores.reduce((a, b) => a + b, 0) / scores.length).toFixed(1)} average of ${reputation.data.feedbacks.totalCount}`}
              </dd>
            </dl>
          )}
        </section>
      </div>
      <section aria-labelledby="uptime">
        <h2 id="uptime">Uptime</h2>
        {now === undefined ? (
          <p aria-live="polite">Reading the chain's clock…</p>
        ) : (
          <UptimeChart rows={n.uptime.items} now={now} />
        )}
      </section>
      {n.status === "Active" && (
        <p>
          <Link className="button" href={`/nodes/${n.id}/lease`}>
            Lease capacity on this node
          </Link>
        </p>
      )}
      <p className="muted">
        Node key <code>{n.key}</code>
      </p>
    </article>
  );
}
