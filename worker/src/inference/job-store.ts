// The inference worker's durable state, in an embedded PGlite database under its data directory: the deployment it
// belongs to, the cursor over confirmed blocks, every job it took an interest in with where that job stands, and the
// outputs it computed (served by hash). Every change is a committed transaction, so a kill at any moment leaves each
// job in a state the worker resumes from.
import { PGlite } from "@electric-sql/pglite";
import type { Hex } from "viem";

/**
 * Where a job stands for this worker (results are sealed: the model runs before the claim, which carries a
 * commitment to the output). Our part is an original claim, or (`member`) a seat on the committee of the job's
 * re-execution round, which follows the same steps with commitResult for claimJob:
 * - seen: requested for a model we serve (or a seat drawn for us); its model has not run yet;
 * - computed: the output is stored; claimJob (a seat: commitResult) with our commitment to it is next;
 * - claiming: that transaction sent (or about to be): whether it landed is read from the chain on restart;
 * - committed: our commitment is on-chain; we reveal once the reveals open;
 * - revealed: our result is on-chain; we finalize (or close a phase whose time is up, or challenge a proposal that
 *   contradicts our output) as the job goes on;
 * - watching: we computed the output but the job was not ours to claim (others took its places): we follow it to
 *   challenge a proposal that contradicts our output;
 * - done: nothing more to do (`outcome` says why).
 * The salt that opens a commitment is not stored: it is derived from the worker key's (deterministic) signature over
 * the result, so a restarted worker recomputes exactly the commitment it sent.
 */
export type JobState = "seen" | "computed" | "claiming" | "committed" | "revealed" | "watching" | "done";

/** States in which the job holds one of the worker's concurrency slots (as does a job whose model is running). */
export const IN_FLIGHT: readonly JobState[] = ["computed", "claiming", "committed"];

export interface StoredJob {
  readonly jobId: bigint;
  readonly modelId: bigint;
  readonly state: JobState;
  readonly inputHash: Hex;
  readonly inputURI: string;
  /** The inline input, or null when the input is at `inputURI`. */
  readonly input: Hex | null;
  readonly deadline: bigint;
  readonly outputHash: Hex | null;
  readonly outcome: string | null;
  /** Failed attempts at the current step. */
  readonly attempts: number;
  /** Whether our part is a committee seat (at `entry`, to commit before `commitEnds`) rather than a claim. */
  readonly member: boolean;
  readonly entry: bigint | null;
  readonly commitEnds: bigint | null;
}

export interface StoredOutput {
  readonly body: Uint8Array;
  readonly metadata: Record<string, unknown>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deployment (
  id integer PRIMARY KEY CHECK (id = 1),
  chain_id bigint NOT NULL,
  job_market text NOT NULL,
  cursor bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
  job_id numeric(78) PRIMARY KEY,
  model_id numeric(78) NOT NULL,
  state text NOT NULL,
  input_hash text NOT NULL,
  input_uri text NOT NULL,
  input text,
  deadline bigint NOT NULL,
  output_hash text,
  outcome text,
  attempts integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS member boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS entry integer;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS commit_ends bigint;
CREATE INDEX IF NOT EXISTS jobs_open ON jobs (state) WHERE state <> 'done';
CREATE TABLE IF NOT EXISTS outputs (
  output_hash text PRIMARY KEY,
  body bytea NOT NULL,
  metadata jsonb NOT NULL
);
`;

interface JobRow {
  job_id: string;
  model_id: string;
  state: JobState;
  input_hash: Hex;
  input_uri: string;
  input: Hex | null;
  deadline: string;
  output_hash: Hex | null;
  outcome: string | null;
  attempts: number;
  member: boolean;
  entry: number | null;
  commit_ends: string | null;
}

function toJob(row: JobRow): StoredJob {
  return {
    jobId: BigInt(row.job_id),
    modelId: BigInt(row.model_id),
    state: row.state,
    inputHash: row.input_hash,
    inputURI: row.input_uri,
    input: row.input,
    deadline: BigInt(row.deadline),
    outputHash: row.output_hash,
    outcome: row.outcome,
    attempts: row.attempts,
    member: row.member,
    entry: row.entry === null ? null : BigInt(row.entry),
    commitEnds: row.commit_ends === null ? null : BigInt(row.commit_ends),
  };
}

export class JobStore {
  private readonly db: PGlite;

  private constructor(db: PGlite) {
    this.db = db;
  }

  /** Opens (or creates) the store in `dir`, for the deployment given. A store kept for another deployment (a
   * restarted local chain) is emptied: its jobs do not exist here. Returns whether that happened. */
  static async open(
    dir: string,
    deployment: { chainId: number; jobMarket: string; startBlock: number },
  ): Promise<{ store: JobStore; reset: boolean }> {
    const db = new PGlite(dir);
    await db.waitReady;
    await db.exec(SCHEMA);
    const store = new JobStore(db);
    const reset = (await db.transaction(async (tx) => {
      const saved = await tx.query<{ chain_id: string; job_market: string }>(
        "SELECT chain_id, job_market FROM deployment WHERE id = 1",
      );
      const row = saved.rows[0];
      if (
        row !== undefined &&
        Number(row.chain_id) === deployment.chainId &&
        row.job_market.toLowerCase() === deployment.jobMarket.toLowerCase()
      ) {
        return false;
      }
      await tx.exec("DELETE FROM jobs; DELETE FROM outputs; DELETE FROM deployment;");
      await tx.query("INSERT INTO deployment (id, chain_id, job_market, cursor) VALUES (1, $1, $2, $3)", [
        deployment.chainId,
        deployment.jobMarket,
        deployment.startBlock - 1,
      ]);
      return row !== undefined;
    })) as boolean;
    return { store, reset };
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async cursor(): Promise<bigint> {
    const { rows } = await this.db.query<{ cursor: string }>("SELECT cursor FROM deployment WHERE id = 1");
    return BigInt(rows[0]?.cursor ?? 0);
  }

  async setCursor(block: bigint): Promise<void> {
    await this.db.query("UPDATE deployment SET cursor = $1 WHERE id = 1", [block.toString()]);
  }

  /** Records a requested job (once: a job seen again keeps its state). */
  async addJob(job: {
    jobId: bigint;
    modelId: bigint;
    inputHash: Hex;
    inputURI: string;
    input: Hex | null;
    deadline: bigint;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO jobs (job_id, model_id, state, input_hash, input_uri, input, deadline)
       VALUES ($1, $2, 'seen', $3, $4, $5, $6) ON CONFLICT (job_id) DO NOTHING`,
      [job.jobId.toString(), job.modelId.toString(), job.inputHash, job.inputURI, job.input, job.deadline.toString()],
    );
  }

  async job(jobId: bigint): Promise<StoredJob | undefined> {
    const { rows } = await this.db.query<JobRow>("SELECT * FROM jobs WHERE job_id = $1", [jobId.toString()]);
    return rows[0] === undefined ? undefined : toJob(rows[0]);
  }

  /** Every job not done, oldest first. */
  async openJobs(): Promise<StoredJob[]> {
    const { rows } = await this.db.query<JobRow>("SELECT * FROM jobs WHERE state <> 'done' ORDER BY job_id");
    return rows.map(toJob);
  }

  async counts(): Promise<Record<JobState, number>> {
    const { rows } = await this.db.query<{ state: JobState; n: number }>(
      "SELECT state, count(*)::int AS n FROM jobs GROUP BY state",
    );
    const counts = { seen: 0, computed: 0, claiming: 0, committed: 0, revealed: 0, watching: 0, done: 0 };
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  /** Moves a job to `state` (resetting its attempts), with the fields that state needs. */
  async setState(jobId: bigint, state: JobState, fields: { outputHash?: Hex; outcome?: string } = {}): Promise<void> {
    await this.db.query(
      `UPDATE jobs SET state = $2, attempts = 0, updated_at = now(),
         output_hash = COALESCE($3, output_hash), outcome = $4
       WHERE job_id = $1`,
      [jobId.toString(), state, fields.outputHash ?? null, fields.outcome ?? null],
    );
  }

  /** Records the committee seat drawn for us at `entry` of a job we know (once: a seat recorded before keeps its
   * progress). Its output, when we computed one already, serves; otherwise the model runs. Returns whether the job is
   * known (a job of a model we do not serve is not). */
  async seat(jobId: bigint, entry: bigint, commitEnds: bigint): Promise<boolean> {
    const { rows } = await this.db.query<{ member: boolean }>(
      `UPDATE jobs SET member = true, entry = $2, commit_ends = $3, updated_at = now(),
         state = CASE WHEN member THEN state WHEN output_hash IS NULL THEN 'seen' ELSE 'computed' END,
         attempts = CASE WHEN member THEN attempts ELSE 0 END,
         outcome = CASE WHEN member THEN outcome ELSE NULL END
       WHERE job_id = $1 RETURNING member`,
      [jobId.toString(), Number(entry), commitEnds.toString()],
    );
    return rows.length > 0;
  }

  /** Counts a failed attempt at the job's current step; returns the new count. */
  async failedAttempt(jobId: bigint): Promise<number> {
    const { rows } = await this.db.query<{ attempts: number }>(
      "UPDATE jobs SET attempts = attempts + 1, updated_at = now() WHERE job_id = $1 RETURNING attempts",
      [jobId.toString()],
    );
    return rows[0]?.attempts ?? 0;
  }

  /** Stores a computed output and moves the job to `computed`, in one transaction. */
  async saveOutput(jobId: bigint, outputHash: Hex, output: StoredOutput): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        "INSERT INTO outputs (output_hash, body, metadata) VALUES ($1, $2, $3) ON CONFLICT (output_hash) DO NOTHING",
        [outputHash.toLowerCase(), output.body, JSON.stringify(output.metadata)],
      );
      await tx.query(
        "UPDATE jobs SET state = 'computed', output_hash = $2, attempts = 0, updated_at = now() WHERE job_id = $1",
        [jobId.toString(), outputHash.toLowerCase()],
      );
    });
  }

  async output(outputHash: string): Promise<StoredOutput | undefined> {
    const { rows } = await this.db.query<{ body: Uint8Array; metadata: Record<string, unknown> }>(
      "SELECT body, metadata FROM outputs WHERE output_hash = $1",
      [outputHash.toLowerCase()],
    );
    return rows[0];
  }
}
