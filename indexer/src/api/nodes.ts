// GET /nodes: nodes with free capacity for a request, by region or country, under a price, online or not, sorted
// and paginated. Resources are free capacity (total less what leases reserved); prices are per hour, in FOLD wei.

import { db } from "ponder:api";
import { node } from "ponder:schema";
import { and, asc, count, desc, eq, gte, sql } from "ponder";
import { z } from "zod";
import { uint, uintOf } from "./query.ts";

type SQL = ReturnType<typeof sql>;

interface Wanted {
  minCpu?: bigint;
  minMemoryMiB?: bigint;
  minSsdGiB?: bigint;
  minHddGiB?: bigint;
  minGpus?: bigint;
}

export const nodesQuery = z
  .strictObject({
    // Bounded as NodeRegistry's Capacity stores them.
    minCpu: uintOf(16).optional(),
    minMemoryMiB: uintOf(32).optional(),
    minSsdGiB: uintOf(32).optional(),
    minHddGiB: uintOf(32).optional(),
    minGpus: uintOf(16).optional(),
    region: z.string().min(1).max(64).optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code, like NL")
      .optional(),
    /** The most an hour of the requested resources (the min* parameters) may cost. */
    maxHourlyPrice: uint.optional(),
    online: z.enum(["true", "false"]).optional(),
    sort: z.enum(["id", "price", "cpu", "memory", "lastHeartbeat", "onlineSeconds"]).default("id"),
    order: z.enum(["asc", "desc"]).default("asc"),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .refine((q) => q.maxHourlyPrice === undefined || requested(q) !== undefined, {
    path: ["maxHourlyPrice"],
    message: "needs the resources to price: give minCpu, minMemoryMiB, minSsdGiB, minHddGiB or minGpus",
  });
export type NodesQuery = z.output<typeof nodesQuery>;

function requested(q: Wanted) {
  const r = { cpu: q.minCpu, memoryMiB: q.minMemoryMiB, ssdGiB: q.minSsdGiB, hddGiB: q.minHddGiB, gpus: q.minGpus };
  return Object.values(r).some((v) => v !== undefined) ? r : undefined;
}

/** What an hour of `r` costs on a node, in SQL, in whole FOLD wei (memory is priced per GiB). */
function hourlyPrice(r: NonNullable<ReturnType<typeof requested>>): SQL {
  return sql`floor(${r.cpu ?? 0n}::numeric * ${node.priceCpu} + ${r.memoryMiB ?? 0n}::numeric * ${node.priceMemoryGiB} / 1024
    + ${r.ssdGiB ?? 0n}::numeric * ${node.priceSsdGiB} + ${r.hddGiB ?? 0n}::numeric * ${node.priceHddGiB}
    + ${r.gpus ?? 0n}::numeric * ${node.priceGpu})`;
}

/** `q`'s nodes, at `now` (the chain's time) with nodes online when heard from within `offlineAfter` seconds. */
export async function findNodes(q: NodesQuery, now: bigint, offlineAfter: bigint) {
  const wanted = requested(q);
  const price = wanted === undefined ? undefined : hourlyPrice(wanted);
  const onlineSince = now - offlineAfter;
  const where: (SQL | undefined)[] = [
    sql`${node.status} <> 'Decommissioned'`,
    q.minCpu === undefined ? undefined : sql`${node.cpu} - ${node.reservedCpu} >= ${q.minCpu}`,
    q.minMemoryMiB === undefined ? undefined : sql`${node.memoryMiB} - ${node.reservedMemoryMiB} >= ${q.minMemoryMiB}`,
    q.minSsdGiB === undefined ? undefined : sql`${node.ssdGiB} - ${node.reservedSsdGiB} >= ${q.minSsdGiB}`,
    q.minHddGiB === undefined ? undefined : sql`${node.hddGiB} - ${node.reservedHddGiB} >= ${q.minHddGiB}`,
    q.minGpus === undefined ? undefined : sql`${node.gpus} - ${node.reservedGpus} >= ${q.minGpus}`,
    q.region === undefined ? undefined : eq(node.region, q.region),
    q.country === undefined ? undefined : eq(node.country, q.country),
    q.maxHourlyPrice === undefined || price === undefined ? undefined : sql`${price} <= ${q.maxHourlyPrice}`,
    q.online === "true" ? gte(node.lastHeartbeat, onlineSince) : undefined,
    q.online === "false" ? sql`(${node.lastHeartbeat} is null or ${node.lastHeartbeat} < ${onlineSince})` : undefined,
  ];
  const filter = and(...where.filter((w): w is SQL => w !== undefined));
  const column = {
    id: node.id,
    price: price ?? node.priceCpu,
    cpu: node.cpu,
    memory: node.memoryMiB,
    lastHeartbeat: node.lastHeartbeat,
    onlineSeconds: node.onlineSeconds,
  }[q.sort];
  const direction = q.order === "asc" ? asc : desc;
  const [rows, [total]] = await Promise.all([
    db
      .select({ node, hourlyPrice: price ?? sql<null>`null` })
      .from(node)
      .where(filter)
      .orderBy(direction(column), asc(node.id))
      .limit(q.limit)
      .offset(q.offset),
    db.select({ total: count() }).from(node).where(filter),
  ]);
  return {
    total: total?.total ?? 0,
    limit: q.limit,
    offset: q.offset,
    nodes: rows.map(({ node: n, hourlyPrice: p }) => ({
      ...n,
      online: n.lastHeartbeat !== null && n.lastHeartbeat >= onlineSince,
      free: {
        cpu: n.cpu - n.reservedCpu,
        memoryMiB: n.memoryMiB - n.reservedMemoryMiB,
        ssdGiB: n.ssdGiB - n.reservedSsdGiB,
        hddGiB: n.hddGiB - n.reservedHddGiB,
        gpus: n.gpus - n.reservedGpus,
      },
      hourlyPrice: p === null ? null : BigInt(String(p)),
    })),
  };
}
