// GET /stats: the grid at a glance: nodes and capacity online, capacity leased, prices (and how the CPU price is
// spread over online nodes), the regions with the most nodes, and jobs per hour.

import { db } from "ponder:api";
import { job, lease, node } from "ponder:schema";
import { and, asc, desc, gte, ne, sql } from "ponder";

const HOUR = 3_600n;
/** The CPU price histogram's buckets, and how many regions are listed. */
const PRICE_BUCKETS = 8n;
const REGIONS = 12;
const big = (value: unknown) => BigInt(String(value ?? 0).split(".")[0] as string);

export async function gridStats(now: bigint, offlineAfter: bigint) {
  const online = and(ne(node.status, "Decommissioned"), gte(node.lastHeartbeat, now - offlineAfter));
  const [[nodes], [capacity], [leased], [prices], hours, regions] = await Promise.all([
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
    db
      .select({
        region: node.region,
        nodes: sql<number>`count(*)::int`,
        online: sql<number>`count(*) filter (where ${online})::int`,
        cpuOnline: sql`coalesce(sum(${node.cpu}) filter (where ${online}), 0)`,
        cpuFree: sql`coalesce(sum(${node.cpu} - ${node.reservedCpu}) filter (where ${online}), 0)`,
      })
      .from(node)
      .where(ne(node.status, "Decommissioned"))
      .groupBy(node.region)
      .orderBy(desc(sql`count(*)`), asc(node.region))
      .limit(REGIONS),
  ]);
  const cpuPrices = await cpuPriceHistogram(online, prices?.cpuMin, prices?.cpuMax);
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
    cpuPriceHistogram: cpuPrices,
    regions: regions.map((r) => ({
      region: r.region,
      nodes: r.nodes,
      online: r.online,
      cpuOnline: big(r.cpuOnline),
      cpuFree: big(r.cpuFree),
    })),
    jobsPerHour: hours.map((h) => ({ hour: big(h.hour), requested: h.requested, finalized: h.finalized })),
  };
}

/** Online nodes by their price per core-hour, in `PRICE_BUCKETS` equal ranges from the lowest price to the highest
 * (the last range includes the highest); empty when no node is online. */
async function cpuPriceHistogram(online: ReturnType<typeof and>, min: unknown, max: unknown) {
  if (min === null || min === undefined || max === null || max === undefined) return [];
  const lo = big(min);
  const hi = big(max);
  const width = (hi - lo + PRICE_BUCKETS) / PRICE_BUCKETS; // rounded up, so the highest price falls in the last range
  const counts = await db
    .select({
      bucket: sql<number>`floor((${node.priceCpu} - ${lo}) / ${width})::int`,
      nodes: sql<number>`count(*)::int`,
    })
    .from(node)
    .where(online)
    .groupBy(sql`1`);
  const byBucket = new Map(counts.map((c) => [Number(c.bucket), c.nodes]));
  return Array.from({ length: Number(PRICE_BUCKETS) }, (_, i) => ({
    from: lo + BigInt(i) * width,
    to: lo + BigInt(i + 1) * width,
    nodes: byBucket.get(i) ?? 0,
  }));
}
