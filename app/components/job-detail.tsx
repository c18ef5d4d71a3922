"use client";
// A job as it moves: requested, claimed by its workers with sealed commitments, results revealed, the challenge
// window (and any re-execution round, with its committee and verdict), then final (or unresolved, or refunded), with
// its output once final; and its provenance: the model (by its weights' hash), the input's hash, each worker's
// commitment and result with its EIP-712 signature and whether the key that made it is one of that worker's Worker
// keys (the indexer recovers the signer), and where the money went. While the window is open, anyone with a wallet
// can challenge the proposed result with the bond.
import { foldTokenAbi, jobMarketAbi } from "@fourfold/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { FormEvent } from "react";
import { useBlock, useConfig, useConnection, useReadContract } from "wagmi";
import { readContract } from "wagmi/actions";
import { useContracts } from "@/lib/contracts";
import { duration, fold } from "@/lib/format";
import { graphql, rest } from "@/lib/indexer";
import { readOutput } from "@/lib/jobs";
import { useSend } from "@/lib/use-send";
import { FormFooter } from "./field";

interface Person {
  id: string;
  handle: string | null;
}

interface Provenance {
  job: {
    id: string;
    state: "Open" | "Revealing" | "Proposed" | "Disputed" | "Final" | "Unresolved" | "Refunded";
    requester: Person & { address: string };
    redundancy: number;
    maxFeePerWorker: string;
    deadline: string;
    requestedAt: string;
    endedAt: string | null;
    txHash: string;
  };
  model: { id: string; name: string; modelHash: string; uri: string; owner: Person; ownerFeeBps: number } | null;
  input: { hash: string; uri: string; inline: string | null };
  output: { proposedHash: string | null; votes: number | null; windowEnds: string | null; finalHash: string | null };
  workers: Seat[];
  committee: Seat[];
  payments: {
    toWorkers: string;
    toModelOwner: string;
    paid: string | null;
    refund: string | null;
    slashed: string;
    potShares: { account: string; amount: string }[];
  };
  round: {
    challenger: string | null;
    bond: string | null;
    commitEnds: string | null;
    committeeSize: number | null;
    verdictHash: string | null;
    verdictVotes: number | null;
    upheld: boolean | null;
    failure: string | null;
  } | null;
}

interface Seat {
  worker: Person;
  entry: number;
  member: boolean;
  state: "Drawn" | "Committed" | "Revealed" | "Silent" | "Slashed";
  price: string;
  commitment: string | null;
  outputHash: string | null;
  outputUri: string | null;
  inlineOutput: string | null;
  signature: string | null;
  signer: string | null;
  signerIsWorkerKey: boolean;
  agreesWithFinal: boolean;
  paid: string;
  ownerCut: string;
  slashed: { amount: string; silent: boolean } | null;
}

const short = (hex: string | null) => (hex === null ? "—" : `${hex.slice(0, 10)}…${hex.slice(-6)}`);
const name = (p: Person) => p.handle ?? `identity ${p.id}`;
const ended = (state: string) => state === "Final" || state === "Unresolved" || state === "Refunded";

export function JobDetail({ id }: { id: string }) {
  // The indexer may not have the job yet right after it was requested: ask whether it exists before its provenance.
  const exists = useQuery({
    queryKey: ["job-exists", id],
    queryFn: async () =>
      (await graphql<{ job: { id: string } | null }>(`query J($id: BigInt!) { job(id: $id) { id } }`, { id })).job !==
      null,
    refetchInterval: (query) => (query.state.data ? false : 1_000),
  });
  const found = useQuery({
    queryKey: ["provenance", id],
    queryFn: () => rest<Provenance>(`jobs/${id}/provenance`),
    enabled: exists.data === true,
    refetchInterval: (query) => (query.state.data && ended(query.state.data.job.state) ? false : 2_000),
  });
  const block = useBlock({ watch: true });
  if (exists.isError || found.isError)
    return (
      <p role="alert" className="error">
        Could not load job #{id}: {(exists.error ?? found.error)?.message}
      </p>
    );
  if (exists.data === false)
    return <p aria-live="polite">Job #{id} is not indexed yet (or does not exist): waiting…</p>;
  if (found.data === undefined) return <p aria-live="polite">Loading job #{id}…</p>;
  const { job, model, input, output, workers, committee, payments, round } = found.data;
  const now = block.data === undefined ? undefined : Number(block.data.timestamp);
  const committed = workers.length;
  const revealed = workers.filter((w) => w.outputHash !== null).length;
  const final = workers.find((w) => w.agreesWithFinal && w.inlineOutput !== null);
  const result = final?.inlineOutput ? readOutput(final.inlineOutput) : undefined;
  const windowEnds = output.windowEnds === null ? undefined : Number(output.windowEnds);
  const steps: { label: string; done: boolean; detail: string }[] = [
    {
      label: "Requested",
      done: true,
      detail: `by ${name(job.requester)}, up to ${fold(job.maxFeePerWorker)} FOLD per worker`,
    },
    {
      label: "Committed",
      done: job.state !== "Open",
      detail: `${committed} of ${job.redundancy} workers, results sealed until all are in (or the deadline${
        job.state === "Open" && now !== undefined
          ? Number(job.deadline) > now
            ? `, in ${duration(Number(job.deadline) - now)}`
            : `, passed ${duration(now - Number(job.deadline))} ago`
          : ""
      })`,
    },
    {
      label: "Revealed",
      done: job.state !== "Open" && job.state !== "Revealing",
      detail: `${revealed} of ${committed} results`,
    },
    {
      label: "Challenge window",
      done: job.state === "Final",
      detail:
        windowEnds === undefined
          ? "opens when the results agree"
          : now !== undefined && windowEnds > now
            ? `open: ends in ${duration(windowEnds - now)}`
            : "over",
    },
    {
      label: job.state === "Refunded" || job.state === "Unresolved" ? job.state : "Final",
      done: ended(job.state),
      detail:
        job.state === "Refunded"
          ? `${fold(payments.refund ?? "0")} FOLD back to the requester`
          : `${fold(payments.paid ?? "0")} FOLD paid, ${fold(payments.refund ?? "0")} FOLD refunded`,
    },
  ];
  return (
    <article aria-labelledby="job-title">
      <h1 id="job-title">
        Job #{job.id} <span className={`pill ${job.state.toLowerCase()}`}>{job.state}</span>
      </h1>
      <p className="lead">
        {model ? `${model.name} (model ${model.id})` : "an unknown model"} · {job.redundancy} worker
        {job.redundancy === 1 ? "" : "s"} must agree
      </p>
      <ol className="steps" aria-label="Progress">
        {steps.map((s) => (
          <li key={s.label} className={s.done ? "done" : ""}>
            <strong>{s.label}</strong> {s.done ? "✓" : "…"} <span className="muted">{s.detail}</span>
          </li>
        ))}
      </ol>
      {job.state === "Open" && now !== undefined && (
        <Deadline jobId={BigInt(job.id)} deadline={Number(job.deadline)} now={now} committed={committed} />
      )}
      {job.state === "Proposed" &&
        round === null &&
        windowEnds !== undefined &&
        now !== undefined &&
        now < windowEnds && <Challenge jobId={BigInt(job.id)} />}
      {round !== null && (
        <section aria-labelledby="round-title">
          <h2 id="round-title">Re-execution round</h2>
          <p role="status">
            {round.challenger === null
              ? "The results had no majority: a committee of workers re-runs the job, and its majority decides."
              : `Challenged by ${short(round.challenger)} with a bond of ${fold(round.bond ?? "0")} FOLD: a committee of workers re-runs the job, and its majority decides.`}{" "}
            {round.committeeSize === null
              ? round.failure === null
                ? "The committee is drawn from the next block's hash."
                : ""
              : `${committee.filter((m) => m.state !== "Drawn").length} of ${round.committeeSize} members committed, ${committee.filter((m) => m.outputHash !== null).length} revealed.`}{" "}
            {round.verdictHash !== null
              ? `Verdict: ${short(round.verdictHash)} (${round.verdictVotes} of ${round.committeeSize})${round.upheld ? ", overturning the proposal" : ""}.`
              : round.failure === "NoCommittee"
                ? "No committee could be drawn: a challenged proposal stands."
                : round.failure === "NoMajority"
                  ? "The committee had no majority: a challenged proposal stands; without one the job is unresolved."
                  : ""}
          </p>
        </section>
      )}
      <section aria-labelledby="output-title">
        <h2 id="output-title">Output</h2>
        {job.state !== "Final" ? (
          <p>
            {job.state === "Refunded"
              ? "None: the job was refunded."
              : job.state === "Unresolved"
                ? "None: no output could be decided; the workers who revealed were paid."
                : "Not final yet."}
          </p>
        ) : result === undefined ? (
          <p>
            The output is off-chain: <a href={final?.outputUri ?? workers[0]?.outputUri ?? "#"}>{output.finalHash}</a>
          </p>
        ) : typeof result === "string" ? (
          <pre data-testid="job-output">{result}</pre>
        ) : (
          <dl data-testid="job-output">
            {Object.entries(result).map(([key, value]) => (
              <div key={key} className="contents">
                <dt>{key}</dt>
                <dd>{typeof value === "string" ? <pre>{value}</pre> : JSON.stringify(value)}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>
      <section aria-labelledby="provenance-title">
        <h2 id="provenance-title">Provenance</h2>
        <dl>
          <dt>Model</dt>
          <dd>
            {model ? (
              <>
                {model.name}, weights sha256 <code title={model.modelHash}>{short(model.modelHash)}</code>, owner{" "}
                {name(model.owner)} ({model.ownerFeeBps / 100}% of fees)
              </>
            ) : (
              "unknown"
            )}
          </dd>
          <dt>Input</dt>
          <dd>
            sha256 <code title={input.hash}>{short(input.hash)}</code>,{" "}
            {input.inline ? `on-chain (${(input.inline.length - 2) / 2} bytes)` : <a href={input.uri}>{input.uri}</a>}
          </dd>
          <dt>Final output</dt>
          <dd>
            {output.finalHash ? <code title={output.finalHash}>{short(output.finalHash)}</code> : "—"}
            {output.votes !== null ? ` (${output.votes} agreeing)` : ""}
          </dd>
          <dt>Requested in</dt>
          <dd>
            <code title={job.txHash}>{short(job.txHash)}</code>
          </dd>
        </dl>
        {workers.length === 0 ? (
          <p>No worker has claimed it yet.</p>
        ) : (
          <div className="table-scroll">
            <table data-testid="job-workers">
              <thead>
                <tr>
                  <th scope="col">Worker</th>
                  <th scope="col">State</th>
                  <th scope="col">Output sha256</th>
                  <th scope="col">Signature</th>
                  <th scope="col">Paid</th>
                </tr>
              </thead>
              <tbody>
                {[...workers, ...committee].map((w) => (
                  <tr key={w.entry}>
                    <td>
                      {name(w.worker)}
                      {w.member ? " (committee)" : ""}
                    </td>
                    <td>
                      {w.state}
                      {w.slashed ? ` (lost ${fold(w.slashed.amount)} FOLD${w.slashed.silent ? ", silent" : ""})` : ""}
                    </td>
                    <td>
                      {w.outputHash === null && w.commitment !== null ? (
                        <span title={w.commitment}>sealed</span>
                      ) : (
                        <code title={w.outputHash ?? ""}>{short(w.outputHash)}</code>
                      )}
                      {w.agreesWithFinal ? " = final" : ""}
                    </td>
                    <td>
                      {w.signature === null
                        ? "—"
                        : w.signerIsWorkerKey
                          ? `verified: ${short(w.signer)}, a Worker key of ${name(w.worker)}`
                          : `NOT a Worker key of ${name(w.worker)}: ${short(w.signer)}`}
                    </td>
                    <td>{fold(w.paid)} FOLD</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p className="muted">
          Paid to workers {fold(payments.toWorkers)} FOLD, to the model's owner {fold(payments.toModelOwner)} FOLD;
          slashed {fold(payments.slashed)} FOLD
          {payments.potShares.length === 0
            ? ""
            : `, shared among ${payments.potShares.length} account${payments.potShares.length === 1 ? "" : "s"} that did the work`}
          . <Link href="/jobs">All your jobs</Link>
        </p>
      </section>
    </article>
  );
}

/** Challenges the proposed result from the connected wallet, posting JobMarket's bond (approved first: `challenge`
 * takes no permit). The bond comes back with a share of the liars' collateral when the committee overturns the
 * result, and is lost when it upholds it. */
/** An Open job's deadline: a warning while nobody has claimed it, and once it has passed, the call that closes it
 * (JobMarket.closeCommits: a job nobody claimed is refunded in full; otherwise the committed workers reveal). */
function Deadline({
  jobId,
  deadline,
  now,
  committed,
}: {
  jobId: bigint;
  deadline: number;
  now: number;
  committed: number;
}) {
  const { JobMarket: market } = useContracts();
  const tx = useSend();
  if (market === undefined) return null;
  if (now <= deadline) {
    return committed > 0 ? null : (
      <p role="status" className="card">
        No worker has claimed this job yet. If none does within {duration(deadline - now)} (its deadline), it can be
        closed here for a full refund.
      </p>
    );
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await tx.send(committed === 0 ? "Closing the job for a refund" : "Closing the commit phase", {
      address: market,
      abi: jobMarketAbi,
      functionName: "closeCommits",
      args: [jobId],
    });
  };
  return (
    <section aria-labelledby="deadline-title">
      <h2 id="deadline-title">Deadline passed</h2>
      <form className="inline" onSubmit={submit} aria-label={`Close job #${jobId}`}>
        <p>
          {committed === 0
            ? "No worker claimed this job before its deadline. Close it, and the whole escrow goes back to the requester."
            : `${committed} worker${committed === 1 ? "" : "s"} committed before the deadline: close the commit phase, and they reveal.`}{" "}
          Anyone may do it.
        </p>
        <FormFooter
          submit={committed === 0 ? "Close and refund" : "Close the commit phase"}
          busy={tx.busy}
          problem={undefined}
          state={tx.state}
        />
      </form>
    </section>
  );
}

function Challenge({ jobId }: { jobId: bigint }) {
  const config = useConfig();
  const { JobMarket: market, FoldToken: token } = useContracts();
  const { address, status } = useConnection();
  const bond = useReadContract({
    address: market,
    abi: jobMarketAbi,
    functionName: "challengeBond",
    query: { enabled: market !== undefined },
  });
  const tx = useSend();
  if (market === undefined || token === undefined || bond.data === undefined) return null;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (status !== "connected" || address === undefined) {
      tx.fail("Challenging", "Connect a wallet (at the top of the page) to challenge.");
      return;
    }
    const balance = await readContract(config, {
      address: token,
      abi: foldTokenAbi,
      functionName: "balanceOf",
      args: [address],
    });
    if (balance < bond.data) {
      tx.fail("Challenging", `The bond is ${fold(bond.data)} FOLD; this wallet holds ${fold(balance)} FOLD.`);
      return;
    }
    if (!(await tx.allow("Allowing the market to take the bond", token, address, market, bond.data))) return;
    await tx.send("Challenging", { address: market, abi: jobMarketAbi, functionName: "challenge", args: [jobId] });
  };
  return (
    <section aria-labelledby="challenge-title">
      <h2 id="challenge-title">Challenge</h2>
      <form className="inline" onSubmit={submit} aria-label={`Challenge job #${jobId}`}>
        <p className="muted">
          Think this result is wrong? Challenge it with a bond of {fold(bond.data)} FOLD: a committee of workers drawn
          at random re-runs the job, and its majority decides. If it overturns the result you get the bond back and a
          share of the wrong workers' collateral; if it upholds it, the bond goes to those who were right.
        </p>
        <FormFooter submit="Challenge" busy={tx.busy} problem={undefined} state={tx.state} />
      </form>
    </section>
  );
}
