"use client";
// A job as it moves: requested, claimed by its workers, results submitted, the challenge window, then final (or
// refunded), with its output once final; and its provenance: the model (by its weights' hash), the input's hash,
// each worker's result with its EIP-712 signature and whether the key that made it is one of that worker's Worker
// keys (the indexer recovers the signer), and where the money went.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useBlock } from "wagmi";
import { duration, fold } from "@/lib/format";
import { graphql, rest } from "@/lib/indexer";
import { readOutput } from "@/lib/jobs";

interface Person {
  id: string;
  handle: string | null;
}

interface Provenance {
  job: {
    id: string;
    state: "Open" | "Proposed" | "Disputed" | "Final" | "Refunded";
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
  workers: {
    worker: Person;
    entry: number;
    state: "Claimed" | "Submitted" | "Rejected" | "Slashed";
    price: string;
    rejectReason: string | null;
    outputHash: string | null;
    outputUri: string | null;
    inlineOutput: string | null;
    signature: string | null;
    signer: string | null;
    signerIsWorkerKey: boolean;
    agreesWithFinal: boolean;
    paid: string;
    ownerCut: string;
  }[];
  payments: { toWorkers: string; toModelOwner: string; paid: string | null; refund: string | null; slashed: string };
}

const short = (hex: string | null) => (hex === null ? "—" : `${hex.slice(0, 10)}…${hex.slice(-6)}`);
const name = (p: Person) => p.handle ?? `identity ${p.id}`;
const ended = (state: string) => state === "Final" || state === "Refunded";

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
  const { job, model, input, output, workers, payments } = found.data;
  const now = block.data === undefined ? undefined : Number(block.data.timestamp);
  const live = workers.filter((w) => w.state !== "Rejected");
  const submitted = workers.filter((w) => w.state === "Submitted" || w.state === "Slashed").length;
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
      label: "Claimed",
      done: live.length >= job.redundancy || submitted >= job.redundancy,
      detail: `${live.length} of ${job.redundancy} workers`,
    },
    { label: "Submitted", done: submitted >= job.redundancy, detail: `${submitted} of ${job.redundancy} results` },
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
      label: job.state === "Refunded" ? "Refunded" : "Final",
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
      {job.state === "Disputed" && <p role="status">Challenged: an arbiter decides which output is correct.</p>}
      <section aria-labelledby="output-title">
        <h2 id="output-title">Output</h2>
        {job.state !== "Final" ? (
          <p>{job.state === "Refunded" ? "None: the job was refunded." : "Not final yet."}</p>
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
                {workers.map((w) => (
                  <tr key={w.entry}>
                    <td>{name(w.worker)}</td>
                    <td>
                      {w.state}
                      {w.rejectReason ? ` (${w.rejectReason})` : ""}
                    </td>
                    <td>
                      <code title={w.outputHash ?? ""}>{short(w.outputHash)}</code>
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
          slashed {fold(payments.slashed)} FOLD. <Link href="/jobs">All your jobs</Link>
        </p>
      </section>
    </article>
  );
}
