"use client";
// One of your farms: its nodes (proven online time, heartbeats, rewards waiting to be minted, with a claim), the
// leases on them and what each earned, and its farming rewards per epoch as a chart, from the indexer's
// GET /farms/<id>/earnings.
import { farmingRewardsAbi } from "@fourfold/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatUnits } from "viem";
import { useReadContract } from "wagmi";
import { useContracts } from "@/lib/contracts";
import { duration, fold } from "@/lib/format";
import { rest } from "@/lib/indexer";
import { Action } from "./action";
import { BarChart } from "./bar-chart";
import { RewardStanding } from "./reward-standing";

interface Earnings {
  perEpoch: { epoch: string; nodes: number; seconds: string; points: string; rewards: string | null }[];
  perLease: { id: string; nodeId: string; state: string; earned: string; paidSeconds: string }[];
  totals: { leases: string; rewards: string; rewardsClaimed: string };
}

export interface FarmRow {
  id: string;
  name: string;
  payout: string;
  nodes: {
    items: { id: string; region: string; country: string; status: string; heartbeats: string; onlineSeconds: string }[];
  };
}

export function FarmCard({ farm }: { farm: FarmRow }) {
  const earnings = useQuery({
    queryKey: ["earnings", farm.id],
    queryFn: () => rest<Earnings>(`farms/${farm.id}/earnings`),
    refetchInterval: 10_000,
  });
  const titleId = `farm-${farm.id}-title`;
  return (
    <section className="card" aria-labelledby={titleId} data-testid={`farm-${farm.id}`}>
      <h3 id={titleId}>
        {farm.name} <span className="muted">(farm {farm.id})</span>
      </h3>
      <p className="lead">
        Payout <code>{farm.payout}</code>
      </p>
      {farm.nodes.items.length === 0 ? (
        <p>No node yet: register one below.</p>
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Where</th>
                <th scope="col">Status</th>
                <th scope="col">Heartbeats</th>
                <th scope="col">Proven online</th>
                <th scope="col">Earns on</th>
                <th scope="col">Rewards to claim</th>
              </tr>
            </thead>
            <tbody>
              {farm.nodes.items.map((n) => (
                <tr key={n.id}>
                  <td>
                    <Link href={`/nodes/${n.id}`}>#{n.id}</Link>
                  </td>
                  <td>
                    {n.region} {n.country}
                  </td>
                  <td>{n.status}</td>
                  <td>{Number(n.heartbeats).toLocaleString("en")}</td>
                  <td>{duration(n.onlineSeconds)}</td>
                  <td>
                    <RewardStanding nodeId={n.id} />
                  </td>
                  <td>
                    <NodeRewards nodeId={n.id} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {earnings.isPending ? (
        <p aria-live="polite">Loading earnings…</p>
      ) : earnings.isError ? (
        <p role="alert" className="error">
          Could not load earnings: {earnings.error.message}
        </p>
      ) : (
        <FarmEarnings earnings={earnings.data} />
      )}
    </section>
  );
}

function NodeRewards({ nodeId }: { nodeId: string }) {
  const rewards = useContracts().FarmingRewards;
  const pending = useReadContract({
    address: rewards,
    abi: farmingRewardsAbi,
    functionName: "pendingRewards",
    args: [BigInt(nodeId)],
    query: { enabled: rewards !== undefined, refetchInterval: 10_000 },
  });
  if (pending.data === undefined) return <span className="muted">…</span>;
  return (
    <div className="row" data-testid={`rewards-${nodeId}`}>
      <span>{fold(pending.data)} FOLD</span>
      {pending.data > 0n && (
        <Action
          label={`Claim node #${nodeId}'s rewards`}
          what="Claiming rewards"
          call={rewards && { address: rewards, abi: farmingRewardsAbi, functionName: "claim", args: [BigInt(nodeId)] }}
        />
      )}
    </div>
  );
}

function FarmEarnings({ earnings }: { earnings: Earnings }) {
  const { perEpoch, perLease, totals } = earnings;
  return (
    <>
      <p>
        Earned from leases {fold(totals.leases)} FOLD · farming rewards {fold(totals.rewards)} FOLD, of which claimed{" "}
        {fold(totals.rewardsClaimed)} FOLD
      </p>
      {perEpoch.length > 0 && (
        <BarChart
          bars={perEpoch.map((e) => ({
            key: e.epoch,
            value: e.rewards === null ? 0 : Number(formatUnits(BigInt(e.rewards), 18)),
            title: `Epoch ${e.epoch}: ${e.rewards === null ? "not final yet" : `${fold(e.rewards)} FOLD`} (${e.nodes} node${
              e.nodes === 1 ? "" : "s"
            }, ${duration(e.seconds)} proven online)`,
          }))}
          label={`Farming rewards per epoch, epochs ${perEpoch[0]?.epoch} to ${perEpoch.at(-1)?.epoch}`}
          caption="Each bar is an epoch, the newest on the right; an epoch still open reads as empty until it is final."
          height={100}
        />
      )}
      {perLease.length > 0 && (
        <div className="table-scroll">
          <table aria-label="Leases on this farm's nodes">
            <thead>
              <tr>
                <th scope="col">Lease</th>
                <th scope="col">Node</th>
                <th scope="col">State</th>
                <th scope="col">Paid online time</th>
                <th scope="col">Earned</th>
              </tr>
            </thead>
            <tbody>
              {perLease.map((l) => (
                <tr key={l.id}>
                  <td>#{l.id}</td>
                  <td>#{l.nodeId}</td>
                  <td>{l.state}</td>
                  <td>{duration(l.paidSeconds)}</td>
                  <td>{fold(l.earned)} FOLD</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
