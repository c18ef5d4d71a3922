"use client";
// AI jobs: request one (a model, how many workers must agree, the most each is paid, the input as an image file or
// text) and see your jobs. Staked workers serving the model whose price is at most the fee may claim it; `k` of them
// run it, sign their results (EIP-712) and submit them; a strict majority's output is proposed, and after the
// challenge window the job is final and paid. Small inputs go on-chain; larger ones go to the app's blob store, and
// the job names them by URI and sha256 (workers check it before running the model).
import { foldTokenAbi, jobMarketAbi } from "@fourfold/contracts";
import { mayClaim } from "@fourfold/worker/eligibility";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { type Address, formatUnits, zeroAddress } from "viem";
import { useBlock, useConfig, useConnection } from "wagmi";
import { getBlock, readContract } from "wagmi/actions";
import { useContracts } from "@/lib/contracts";
import { ago, fold } from "@/lib/format";
import { check } from "@/lib/forms";
import { graphql } from "@/lib/indexer";
import { type JobFormInput, jobForm, jobInput, MAX_INLINE_INPUT, NEW_JOB, placeInput } from "@/lib/jobs";
import { signPermit } from "@/lib/permit";
import { useSend } from "@/lib/use-send";
import { Field, FormFooter } from "./field";
import { WithIdentity } from "./identity";

interface Models {
  models: {
    items: {
      id: string;
      name: string;
      uri: string;
      ownerFeeBps: number;
      workers: {
        items: {
          serving: boolean;
          workerId: string;
          worker: { pricePerJob: string; stake: string; paused: boolean };
        }[];
      };
    }[];
  };
}

const MODELS = `query Models {
  models(where: { active: true }, orderBy: "id", limit: 100) {
    items { id name uri ownerFeeBps workers { items { serving workerId worker { pricePerJob stake paused } } } }
  }
}`;

interface MyJobs {
  jobs: {
    items: {
      id: string;
      state: string;
      redundancy: number;
      revealed: number;
      requestedAt: string;
      model: { name: string } | null;
    }[];
  };
}

const MY_JOBS = `query MyJobs($requester: String!) {
  jobs(where: { requester: $requester }, orderBy: "id", orderDirection: "desc", limit: 50) {
    items { id state redundancy revealed requestedAt model { name } }
  }
}`;

export function Jobs() {
  const { address, status } = useConnection();
  if (status !== "connected" || address === undefined) {
    return <p>Connect a wallet (at the top of the page) to request AI jobs and see yours.</p>;
  }
  return (
    <WithIdentity owner={address} why="Jobs are requested by an identity: a handle, owned by your address.">
      {(identity) => (
        <>
          <RequestJob requester={address} requesterId={BigInt(identity.id)} />
          <MyJobsList requester={address} />
        </>
      )}
    </WithIdentity>
  );
}

function RequestJob({ requester, requesterId }: { requester: Address; requesterId: bigint }) {
  const config = useConfig();
  const router = useRouter();
  const { JobMarket: market, FoldToken: token } = useContracts();
  const models = useQuery({ queryKey: ["models"], queryFn: () => graphql<Models>(MODELS), refetchInterval: 15_000 });
  const [form, setForm] = useState<JobFormInput>(NEW_JOB);
  const [file, setFile] = useState<{ name: string; bytes: Uint8Array }>();
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string>();
  const tx = useSend();

  if (models.isPending) return <p aria-live="polite">Loading models…</p>;
  if (models.isError)
    return (
      <p role="alert" className="error">
        Could not load the models: {models.error.message}
      </p>
    );
  const list = models.data.models.items;
  if (list.length === 0) return <p>No model takes jobs on this chain yet.</p>;
  // Until the form says otherwise: the first model, and a fee every serving worker accepts.
  const chosen = list.find((m) => m.id === form.modelId) ?? list[0];
  const serving = (chosen?.workers.items ?? []).filter((w) => w.serving && !w.worker.paused);
  const highest = serving.reduce(
    (most, w) => (BigInt(w.worker.pricePerJob) > most ? BigInt(w.worker.pricePerJob) : most),
    0n,
  );
  const values = {
    ...form,
    modelId: chosen?.id ?? "",
    maxFeePerWorker: form.maxFeePerWorker === "" && highest > 0n ? formatUnits(highest, 18) : form.maxFeePerWorker,
  };
  const checked = check(jobForm, values);
  const eligible = (price: string) => checked.ok && BigInt(price) <= checked.value.maxFeePerWorker;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = jobInput(file?.bytes, text);
    const refusal = !checked.ok ? checked.error : !input.ok ? input.error : undefined;
    setProblem(refusal);
    if (!checked.ok || !input.ok || !market || !token) return;
    const { modelId, redundancy, maxFeePerWorker, hours } = checked.value;
    const escrow = BigInt(redundancy) * maxFeePerWorker;
    const [balance, allowance, minStake, workerIds] = await Promise.all([
      readContract(config, { address: token, abi: foldTokenAbi, functionName: "balanceOf", args: [requester] }),
      readContract(config, { address: token, abi: foldTokenAbi, functionName: "allowance", args: [requester, market] }),
      readContract(config, { address: market, abi: jobMarketAbi, functionName: "minStake" }),
      readContract(config, {
        address: market,
        abi: jobMarketAbi,
        functionName: "modelWorkers",
        args: [BigInt(modelId)],
      }),
    ]);
    // The chain's claim rule, now: a job too few workers could take would sit until its deadline.
    const workers = await Promise.all(
      workerIds.map((id) =>
        readContract(config, { address: market, abi: jobMarketAbi, functionName: "worker", args: [id] }),
      ),
    );
    const able = workers.filter((w) => mayClaim(w, maxFeePerWorker, minStake)).length;
    const short =
      able >= redundancy
        ? undefined
        : able === 0
          ? `Most per worker: no worker of this model takes ${fold(maxFeePerWorker)} FOLD or less with stake free to claim now: raise it, or wait`
          : `Workers that must agree: only ${able} of this model's workers can claim at ${fold(maxFeePerWorker)} FOLD now: ask for ${able} or fewer, or raise the fee`;
    if (short !== undefined || escrow > balance) {
      setProblem(short ?? `Escrow: ${fold(escrow)} FOLD is more than your ${fold(balance)} FOLD`);
      return;
    }
    const placed = placeInput(input.bytes);
    let inputURI = "";
    if (!placed.inline) {
      const stored = await fetch("/api/blobs", { method: "POST", body: input.bytes as BodyInit });
      const body = (await stored.json().catch(() => ({}))) as { uri?: string; hash?: string; error?: string };
      if (!stored.ok || body.uri === undefined || body.hash !== placed.hash) {
        tx.fail("Uploading the input", body.error ?? `the blob store answered ${stored.status}`);
        return;
      }
      inputURI = body.uri;
    }
    const now = (await getBlock(config)).timestamp;
    const request = {
      requesterId,
      modelId: BigInt(modelId),
      input: placed.input,
      inputHash: placed.hash,
      inputURI,
      grantIds: [],
      redundancy,
      maxFeePerWorker,
      deadline: Number(now + BigInt(hours) * 3_600n),
      callback: zeroAddress,
      callbackGasLimit: 0,
    };
    let sent: { result: bigint } | undefined;
    if (allowance >= escrow) {
      sent = await tx.send<bigint>("Requesting the job", {
        address: market,
        abi: jobMarketAbi,
        functionName: "requestJob",
        args: [request],
      });
    } else {
      const permit = await tx.sign("Signing the escrow's permit", () =>
        signPermit(config, token, requester, market, escrow, now + 3_600n),
      );
      if (permit === undefined) return;
      sent = await tx.send<bigint>("Requesting the job", {
        address: market,
        abi: jobMarketAbi,
        functionName: "requestJobWithPermit",
        args: [request, permit],
      });
    }
    if (sent) router.push(`/jobs/${sent.result}`);
  };

  const onFile = async (chosenFile: File | undefined) => {
    setFile(chosenFile ? { name: chosenFile.name, bytes: new Uint8Array(await chosenFile.arrayBuffer()) } : undefined);
  };

  return (
    <section aria-labelledby="request-job-title">
      <h2 id="request-job-title">Request a job</h2>
      <form className="filters" onSubmit={submit} noValidate>
        <Field label="Model">
          {(id) => (
            <select
              id={id}
              value={values.modelId}
              onChange={(e) => setForm({ ...form, modelId: e.target.value, maxFeePerWorker: "" })}
            >
              {list.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} (model {m.id})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Workers that must agree">
          {(id) => (
            <input
              id={id}
              inputMode="numeric"
              value={values.redundancy}
              onChange={(e) => setForm({ ...form, redundancy: e.target.value })}
            />
          )}
        </Field>
        <Field label="Most per worker (FOLD)">
          {(id) => (
            <input
              id={id}
              inputMode="decimal"
              value={values.maxFeePerWorker}
              onChange={(e) => setForm({ ...form, maxFeePerWorker: e.target.value })}
            />
          )}
        </Field>
        <Field label="Deadline (hours)">
          {(id) => (
            <input
              id={id}
              inputMode="numeric"
              value={values.hours}
              onChange={(e) => setForm({ ...form, hours: e.target.value })}
            />
          )}
        </Field>
        <Field label="Image (for OCR)">
          {(id) => <input id={id} type="file" accept="image/*" onChange={(e) => onFile(e.target.files?.[0])} />}
        </Field>
        <Field label="Or text (for language ID)">
          {(id) => <textarea id={id} rows={3} value={text} onChange={(e) => setText(e.target.value)} />}
        </Field>
        <div className="card quote" aria-live="polite">
          {checked.ok ? (
            <p>
              Escrowed now: {fold(BigInt(checked.value.redundancy) * checked.value.maxFeePerWorker)} FOLD (
              {checked.value.redundancy} × {fold(checked.value.maxFeePerWorker)}); what the workers do not charge comes
              back when the job ends. Inputs up to {MAX_INLINE_INPUT.toLocaleString("en")} bytes go on-chain; larger
              ones to this app's blob store.
              {file ? ` File: ${file.name}, ${file.bytes.length.toLocaleString("en")} bytes.` : ""}
            </p>
          ) : (
            <p className="muted">{checked.error}</p>
          )}
        </div>
        <FormFooter submit="Request job" busy={tx.busy} problem={problem} state={tx.state} />
      </form>
      <h3>Workers serving {chosen?.name}</h3>
      {serving.length === 0 ? (
        <p>No worker serves this model now: a job would wait for one until its deadline, then be refunded.</p>
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Price per job</th>
                <th scope="col">Stake</th>
                <th scope="col">May claim at your fee</th>
              </tr>
            </thead>
            <tbody>
              {serving.map((w) => (
                <tr key={w.workerId}>
                  <td>#{w.workerId}</td>
                  <td>{fold(w.worker.pricePerJob)} FOLD</td>
                  <td>{fold(w.worker.stake)} FOLD</td>
                  <td>{eligible(w.worker.pricePerJob) ? "yes" : "no: price above your fee"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted">
        The model's owner takes {(chosen?.ownerFeeBps ?? 0) / 100}% of each worker's fee. Any eligible worker may claim
        the job; the first {values.redundancy} run it.
      </p>
    </section>
  );
}

function MyJobsList({ requester }: { requester: Address }) {
  const jobs = useQuery({
    queryKey: ["my-jobs", requester],
    queryFn: () => graphql<MyJobs>(MY_JOBS, { requester: requester.toLowerCase() }),
    refetchInterval: 5_000,
  });
  // Ages by the chain's clock, which a local chain's tests move ahead of the wall clock.
  const block = useBlock();
  const now = Number(block.data?.timestamp ?? BigInt(Math.floor(Date.now() / 1000)));
  return (
    <section aria-labelledby="my-jobs-title">
      <h2 id="my-jobs-title">Your jobs</h2>
      {jobs.isPending ? (
        <p aria-live="polite">Loading your jobs…</p>
      ) : jobs.isError ? (
        <p role="alert" className="error">
          Could not load your jobs: {jobs.error.message}
        </p>
      ) : jobs.data.jobs.items.length === 0 ? (
        <p>No job yet.</p>
      ) : (
        <ul>
          {jobs.data.jobs.items.map((j) => (
            <li key={j.id}>
              <Link href={`/jobs/${j.id}`}>Job #{j.id}</Link> · {j.model?.name ?? "unknown model"} · {j.state} ·{" "}
              {j.revealed}/{j.redundancy} results · requested {ago(j.requestedAt, now)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
