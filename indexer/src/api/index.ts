// The indexer's HTTP API (one Hono app): GraphQL at /graphql (and /), SQL over HTTP for @ponder/client at /sql/*, and
// REST routes whose query parameters are checked with zod (a bad one is a 400 that names it): GET /nodes,
// GET /jobs/:id/provenance, GET /farms/:id/earnings, GET /stats. Amounts are decimal strings of FOLD wei; times are
// seconds since the epoch, by the chain's clock. Every request is held to limits.ts (body size, GraphQL depth and
// cost, a timeout) before it reaches Ponder.
import { db, publicClients } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { client, graphql, replaceBigInts } from "ponder";
import { z } from "zod";
import config from "../../ponder.config.ts";
import { farmEarnings } from "./earnings.ts";
import { guardGraphql, guardSql, LIMITS, limitBody, limitTime } from "./limits.ts";
import { findNodes, nodesQuery } from "./nodes.ts";
import { provenance } from "./provenance.ts";
import { BadRequest, id, parse, queryOf } from "./query.ts";
import { gridStats } from "./stats.ts";

const chain = publicClients.fourfold;
const nodeRegistry = config.contracts.NodeRegistry;
const jobMarket = config.contracts.JobMarket;

let offlineAfter: bigint | undefined;
let clock: { at: number; now: bigint } | undefined;
/** The chain's time (its latest block's), read at most once a second, and NodeRegistry's offlineAfter. */
async function chainTime(): Promise<{ now: bigint; offlineAfter: bigint }> {
  offlineAfter ??= await chain.readContract({
    abi: nodeRegistry.abi,
    address: nodeRegistry.address,
    functionName: "offlineAfter",
  });
  if (clock === undefined || Date.now() - clock.at > 1_000) {
    clock = { at: Date.now(), now: (await chain.getBlock()).timestamp };
  }
  return { now: clock.now, offlineAfter };
}

const json = (value: unknown) => replaceBigInts(value, (v) => String(v));
const noQuery = z.strictObject({});

const app = new Hono();

app.use(limitTime, limitBody);
app.use("/sql/*", guardSql, client({ db, schema }));
const graphqlOptions = { maxOperationTokens: LIMITS.tokens };
app.use("/", guardGraphql, graphql({ db, schema }, graphqlOptions));
app.use("/graphql", guardGraphql, graphql({ db, schema }, graphqlOptions));

app.get("/nodes", async (c) => {
  const query = parse(nodesQuery, queryOf(c));
  const { now, offlineAfter } = await chainTime();
  // `now` is the chain's time the answer was made at: what `online` and a heartbeat's age are measured from.
  return c.json(json({ now, ...(await findNodes(query, now, offlineAfter)) }));
});

app.get("/jobs/:id/provenance", async (c) => {
  parse(noQuery, queryOf(c));
  const jobId = parse(id, c.req.param("id"), "id");
  const found = await provenance(jobId, config.chains.fourfold.id, jobMarket.address);
  if (found === undefined) return c.json({ error: `job ${jobId} not found` }, 404);
  return c.json(json(found));
});

app.get("/farms/:id/earnings", async (c) => {
  parse(noQuery, queryOf(c));
  const farmId = parse(id, c.req.param("id"), "id");
  const found = await farmEarnings(farmId);
  if (found === undefined) return c.json({ error: `farm ${farmId} not found` }, 404);
  return c.json(json(found));
});

app.get("/stats", async (c) => {
  parse(noQuery, queryOf(c));
  const { now, offlineAfter } = await chainTime();
  return c.json(json(await gridStats(now, offlineAfter)));
});

app.onError((error, c) => {
  if (error instanceof BadRequest) return c.json({ error: error.message }, 400);
  if (error instanceof HTTPException) return error.getResponse(); // limits.ts: the timeout's 503
  console.error(error);
  return c.json({ error: "internal error" }, 500);
});

export default app;
