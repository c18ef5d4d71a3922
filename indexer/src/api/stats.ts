// GET /stats: the grid at a glance: nodes and capacity online, capacity leased, prices, and jobs per hour.

import { db } from "ponder:api";
import { job, lease, node } from "ponder:schema";
import { and, gte, ne, sql } from "ponder";

const HOUR = 3_600n;
const big = (value: unknown) => BigInt(String(value ?? 0).split(".")[0] as string);

export async function gridStats(now: bigint, offlineAfter: bigint) {
  const online = and(ne(node.status, "Decommissioned"), gte(node.lastHeartbeat, now - offlineAfter));
  const [[nodes], [capacity], [leased], [prices], hours] = await Promise.all([
    db
      .select({
        total: sql<number>`count(*)::int`,
        online: sql<number>`count(*) filter (where ${online})::int`,
      })
      .from(node),
    db
      .select({
        cpu: sql`coalesce(sum(${node.cpu}), 0)`,
        memoryMiB: sql`coalesce(sum(${node.memoryMiB}), 0)`,
        ssdGiB: sql`coalesce(sum(${node.ssdGiB}), 0)`,
        hddGiB: sql`coalesce(sum(${node.hddGiB}), 0)`,
        gpus: sql`coalesce(sum(${node.gpus}), 0)`,
      })
      .from(node)
      .where(online),
    db
      .select({
        cpu: sql`coalesce(sum(${node.reservedCpu}), 0)`,
        memoryMiB: sql`coalesce(sum(${node.reservedMemoryMiB}), 0)`,
        ssdGiB: sql`coalesce(sum(${node.reservedSsdGiB}), 0)`,
        hddGiB: sql`coalesce(sum(${node.reservedHddGiB}), 0)`,
        gpus: sql`coalesce(sum(${node.reservedGpus}), 0)`,
        leases: sql<number>`(select count(*)::int from ${lease} where ${lease.state} in ('Active', 'Grace'))`,
      })
      .from(node),
    db
      .select({
        cpuMin: sql`min(${node.priceCpu})`,
        cpuMedian: sql`percentile_disc(0.5) within group (order by ${node.priceCpu})`,
        cpuMax: sql`max(${node.priceCpu})`,
        memoryGiBMin: sql`min(${node.priceMemoryGiB})`,
        memoryGiBMedian: sql`percentile_disc(0.5) within group (order by ${node.priceMemoryGiB})`,
        memoryGiBMax: sql`max(${node.priceMemoryGiB})`,
      })
      .from(node)
      .where(online),
    db
      .select({
        hour: sql<string>`floor(${job.requestedAt} / ${HOUR}) * ${HOUR}`,
        requested: sql<number>`count(*)::int`,
        finalized: sql<number>`count(*) filter (where ${job.state} = 'Final')::int`,
      })
      .from(job)
      .where(gte(job.requestedAt, now - 24n * HOUR))
      .groupBy(sql`1`)
      .orderBy(sql`1`),
  ]);
  const price = (value: unknown) => (value === null || value === undefined ? null : big(value));
  return {
    at: now,
    nodes: { total: nodes?.total ?? 0, online: nodes?.online ?? 0 },
    capacityOnline: Object.fromEntries(Object.entries(capacity ?? {}).map(([k, v]) => [k, big(v)])),
    leased: {
      leases: leased?.leases ?? 0,
      ...Object.fromEntries(
        Object.entries(leased ?? {})
          .filter(([k]) => k !== "leases")
          .map(([k, v]) => [k, big(v)]),
      ),
    },
    pricesOnline: {
      cpu: { min: price(prices?.cpuMin), median: price(prices?.cpuMedian), max: price(prices?.cpuMax) },
      memoryGiB: {
        min: price(prices?.memoryGiBMin),
        median: price(prices?.memoryGiBMedian),
        max: price(prices?.memoryGiBMax),
      },
    },
    jobsPerHour: hours.map((h) => ({ hour: big(h.hour), requested: h.requested, finalized: h.finalized })),
  };
}
