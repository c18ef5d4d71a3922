"use client";
// Your identity: its handle, its encryption key, the signing keys bound to it (bind one made here, unbind any), its
// agents (register, pause, bind an Agent key, read the action log), and its reputation: what others said of it, and
// the receipts of what you paid for, against each of which you may give feedback once.
import { identityRegistryAbi, reputationRegistryAbi } from "@fourfold/contracts";
import { KEY_PURPOSES } from "@fourfold/indexer/enums";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { type Address, type Hex, type PublicClient, zeroHash } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { useChainId, useConnection, usePublicClient } from "wagmi";
import { useContracts } from "@/lib/contracts";
import { handle } from "@/lib/farm";
import { fold } from "@/lib/format";
import { check, whole } from "@/lib/forms";
import { graphql } from "@/lib/indexer";
import { bindKeyCall } from "@/lib/keys";
import { receiptSubject } from "@/lib/receipts";
import { useSend } from "@/lib/use-send";
import { Action } from "./action";
import { EncryptionKey } from "./encryption-key";
import { Field, FormFooter } from "./field";
import { WithIdentity } from "./identity";

type Purpose = (typeof KEY_PURPOSES)[number];

interface IdentityPage {
  identity: { id: string; handle: string; kind: string; createdAt: string } | null;
  identityKeys: { items: { key: Address; purpose: Purpose; active: boolean }[] };
  agents: {
    items: { id: string; handle: string; agentPaused: boolean; actionCount: number; actionHead: string | null }[];
  };
  receipts: {
    items: {
      id: string;
      toId: string;
      amount: string;
      timestamp: string;
      kind: Hex;
      ref: Hex;
      to: { handle: string } | null;
    }[];
  };
  given: { items: { id: string; receiptId: string; subjectId: string; score: number; revoked: boolean }[] };
  received: { totalCount: number; items: { score: number }[] };
  completed: { totalCount: number };
  refunded: { totalCount: number };
  slashed: { totalCount: number };
}

const PAGE = `query IdentityPage($id: BigInt!) {
  identity(id: $id) { id handle kind createdAt }
  identityKeys(where: { identityId: $id }, limit: 100) { items { key purpose active } }
  agents: identitys(where: { controllerId: $id, kind: Agent }, orderBy: "id", limit: 50) {
    items { id handle agentPaused actionCount actionHead }
  }
  receipts(where: { fromId: $id }, orderBy: "id", orderDirection: "desc", limit: 50) {
    items { id toId amount timestamp kind ref to { handle } }
  }
  given: feedbacks(where: { raterId: $id }, orderBy: "id", orderDirection: "desc", limit: 100) {
    items { id receiptId subjectId score revoked }
  }
  received: feedbacks(where: { subjectId: $id, revoked: false }, limit: 1000) { totalCount items { score } }
  completed: outcomes(where: { subjectId: $id, outcome: Completed }) { totalCount }
  refunded: outcomes(where: { subjectId: $id, outcome: Refunded }) { totalCount }
  slashed: outcomes(where: { subjectId: $id, outcome: Slashed }) { totalCount }
}`;

export function IdentityConsole() {
  const { address, status } = useConnection();
  if (status !== "connected" || address === undefined) {
    return <p>Connect a wallet (at the top of the page) to see and manage your identity.</p>;
  }
  return (
    <WithIdentity owner={address} why="An identity is a handle others see, owned by your address.">
      {(identity) => <Identity id={identity.id} />}
    </WithIdentity>
  );
}

function Identity({ id }: { id: string }) {
  const page = useQuery({
    queryKey: ["identity-page", id],
    queryFn: () => graphql<IdentityPage>(PAGE, { id }),
    refetchInterval: 3_000,
  });
  if (page.isPending) return <p aria-live="polite">Loading your identity…</p>;
  if (page.isError)
    return (
      <p role="alert" className="error">
        Could not load your identity: {page.error.message}
      </p>
    );
  const p = page.data;
  const scores = p.received.items.map((f) => f.score);
  return (
    <>
      <p>
        You are <strong>{p.identity?.handle}</strong> (identity {id}).
      </p>
      <EncryptionKey identityId={id} />
      <Keys identityId={id} keys={p.identityKeys.items} purposes={["Operator", "Worker"]} />
      <Agents controllerId={id} agents={p.agents.items} />
      <section aria-labelledby="reputation-title">
        <h2 id="reputation-title">Reputation</h2>
        <dl data-testid="reputation">
          <dt>Feedback received</dt>
          <dd>
            {scores.length === 0
              ? "none yet"
              : `${(scores.reduce((a, b) => a + b, 0) / scores.length).toFixed(1)} average of ${p.received.totalCount}`}
          </dd>
          <dt>Outcomes</dt>
          <dd>
            {p.completed.totalCount} completed, {p.refunded.totalCount} refunded, {p.slashed.totalCount} slashed
          </dd>
        </dl>
        <h3>What you paid for</h3>
        {p.receipts.items.length === 0 ? (
          <p>No receipt yet: one is written when you first pay for a lease, a dataset or a job.</p>
        ) : (
          p.receipts.items.map((r) => (
            <ReceiptRow key={r.id} receipt={r} given={p.given.items.find((f) => f.receiptId === r.id)} />
          ))
        )}
      </section>
    </>
  );
}

/** The keys bound to an identity, each with an unbind, and a form to bind a key made here. */
function Keys({
  identityId,
  keys,
  purposes,
}: {
  identityId: string;
  keys: { key: Address; purpose: Purpose; active: boolean }[];
  purposes: Purpose[];
}) {
  const registry = useContracts().IdentityRegistry;
  const active = keys.filter((k) => k.active);
  return (
    <section aria-labelledby={`keys-${identityId}-title`} data-testid={`keys-${identityId}`}>
      <h3 id={`keys-${identityId}-title`}>Keys of identity {identityId}</h3>
      {active.length === 0 ? (
        <p>No key bound.</p>
      ) : (
        <ul>
          {active.map((k) => (
            <li key={k.key}>
              <code>{k.key}</code> ({k.purpose})
              <Action
                label={`Unbind ${k.key.slice(0, 10)}…`}
                what="Unbinding the key"
                call={
                  registry && { address: registry, abi: identityRegistryAbi, functionName: "unbindKey", args: [k.key] }
                }
              />
            </li>
          ))}
        </ul>
      )}
      <BindKey identityId={identityId} purposes={purposes} />
    </section>
  );
}

function BindKey({ identityId, purposes }: { identityId: string; purposes: Purpose[] }) {
  const chainId = useChainId();
  const client = usePublicClient();
  const registry = useContracts().IdentityRegistry;
  const [purpose, setPurpose] = useState<Purpose>(purposes[0] ?? "Operator");
  const [bound, setBound] = useState<{ key: Hex; address: Address }>();
  const tx = useSend();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!client || !registry) return;
    const key = generatePrivateKey();
    try {
      const call = await bindKeyCall({
        client: client as PublicClient,
        chainId,
        registry,
        identityId: BigInt(identityId),
        purpose: KEY_PURPOSES.indexOf(purpose) + 1,
        key,
      });
      if (call !== undefined && (await tx.send(`Binding a new ${purpose} key`, call))) {
        setBound({ key, address: privateKeyToAccount(key).address });
      }
    } catch (error) {
      tx.fail(`Binding a new ${purpose} key`, (error as Error).message);
    }
  };
  return (
    <>
      <form className="inline" onSubmit={submit} aria-label={`Bind a key to identity ${identityId}`}>
        <Field label="Purpose">
          {(id) => (
            <select id={id} value={purpose} onChange={(e) => setPurpose(e.target.value as Purpose)}>
              {purposes.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          )}
        </Field>
        <FormFooter submit="Make and bind a key" busy={tx.busy} problem={undefined} state={tx.state} />
      </form>
      {bound && (
        <p className="card" data-testid="key-bound">
          Bound {bound.address}. Keep its private key secret:{" "}
          <a
            className="button"
            href={`data:text/plain;charset=utf-8,${bound.key}%0A`}
            download={`key-${bound.address}.key`}
          >
            Download the key
          </a>
        </p>
      )}
    </>
  );
}

interface AgentRow {
  id: string;
  handle: string;
  agentPaused: boolean;
  actionCount: number;
  actionHead: string | null;
}

function Agents({ controllerId, agents }: { controllerId: string; agents: AgentRow[] }) {
  const registry = useContracts().IdentityRegistry;
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string>();
  const tx = useSend();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = check(handle, value);
    setProblem(checked.ok ? undefined : checked.error);
    if (!checked.ok || !registry) return;
    const sent = await tx.send("Registering the agent", {
      address: registry,
      abi: identityRegistryAbi,
      functionName: "registerAgent",
      args: [BigInt(controllerId), checked.value, ""],
    });
    if (sent) setValue("");
  };
  return (
    <section aria-labelledby="agents-title">
      <h2 id="agents-title">Agents</h2>
      <p className="muted">
        An agent is an identity you control: its Agent keys act for it (lease, request jobs, log actions) and you can
        pause it at any time.
      </p>
      {agents.map((a) => (
        <Agent key={a.id} agent={a} />
      ))}
      <form className="inline" onSubmit={submit} noValidate aria-label="Register an agent">
        <Field label="Agent handle">
          {(id) => <input id={id} value={value} onChange={(e) => setValue(e.target.value)} />}
        </Field>
        <FormFooter submit="Register agent" busy={tx.busy} problem={problem} state={tx.state} />
      </form>
    </section>
  );
}

interface Actions {
  agentActions: {
    items: { sequence: string; actionType: string; key: string; dataHash: string; uri: string; timestamp: string }[];
  };
  identityKeys: { items: { key: Address; purpose: Purpose; active: boolean }[] };
}

const ACTIONS = `query AgentActions($id: BigInt!) {
  agentActions(where: { agentId: $id }, orderBy: "sequence", orderDirection: "desc", limit: 20) {
    items { sequence actionType key dataHash uri timestamp }
  }
  identityKeys(where: { identityId: $id }, limit: 100) { items { key purpose active } }
}`;

function Agent({ agent }: { agent: AgentRow }) {
  const registry = useContracts().IdentityRegistry;
  const details = useQuery({
    queryKey: ["agent", agent.id],
    queryFn: () => graphql<Actions>(ACTIONS, { id: agent.id }),
    refetchInterval: 3_000,
  });
  const titleId = `agent-${agent.id}-title`;
  return (
    <section className="card" aria-labelledby={titleId} data-testid={`agent-${agent.id}`}>
      <h3 id={titleId}>
        {agent.handle} <span className="muted">(identity {agent.id})</span>{" "}
        <span className={`pill ${agent.agentPaused ? "offline" : "online"}`}>
          {agent.agentPaused ? "Paused" : "Running"}
        </span>
      </h3>
      <Action
        label={agent.agentPaused ? "Unpause" : "Pause"}
        what={agent.agentPaused ? "Unpausing the agent" : "Pausing the agent"}
        call={
          registry && {
            address: registry,
            abi: identityRegistryAbi,
            functionName: "setAgentPaused",
            args: [BigInt(agent.id), !agent.agentPaused],
          }
        }
      />
      {details.data && <Keys identityId={agent.id} keys={details.data.identityKeys.items} purposes={["Agent"]} />}
      <h4>Action log ({agent.actionCount})</h4>
      {details.data === undefined ? (
        <p aria-live="polite">Loading…</p>
      ) : details.data.agentActions.items.length === 0 ? (
        <p>No action logged yet.</p>
      ) : (
        <div className="table-scroll">
          <table aria-label={`${agent.handle}'s actions`}>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Type</th>
                <th scope="col">By key</th>
                <th scope="col">Data</th>
                <th scope="col">When (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {details.data.agentActions.items.map((a) => (
                <tr key={a.sequence}>
                  <td>{a.sequence}</td>
                  <td>
                    <code title={a.actionType}>{a.actionType.slice(0, 10)}…</code>
                  </td>
                  <td>
                    <code title={a.key}>{a.key.slice(0, 10)}…</code>
                  </td>
                  <td>
                    {a.uri ? <a href={a.uri}>{a.uri}</a> : <code title={a.dataHash}>{a.dataHash.slice(0, 10)}…</code>}
                  </td>
                  <td>{new Date(Number(a.timestamp) * 1000).toISOString().slice(0, 19).replace("T", " ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {agent.actionHead && (
        <p className="muted">
          Log head <code>{agent.actionHead}</code>: each entry hashes the one before, so the log cannot be rewritten.
        </p>
      )}
    </section>
  );
}

const score = whole("Score", 100);

/** A receipt of something you paid for, and your feedback against it (given once, revocable). */
function ReceiptRow({
  receipt,
  given,
}: {
  receipt: { id: string; toId: string; amount: string; kind: Hex; ref: Hex; to: { handle: string } | null };
  given: { id: string; score: number; revoked: boolean } | undefined;
}) {
  const registry = useContracts().ReputationRegistry;
  const subject = receiptSubject(receipt.kind, receipt.ref);
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string>();
  const tx = useSend();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = check(score, value);
    setProblem(checked.ok ? undefined : checked.error);
    if (!checked.ok || !registry) return;
    await tx.send("Giving feedback", {
      address: registry,
      abi: reputationRegistryAbi,
      functionName: "giveFeedback",
      args: [BigInt(receipt.id), checked.value, zeroHash, "", zeroHash],
    });
  };
  return (
    <div className="grant" data-testid={`receipt-${receipt.id}`}>
      <p>
        Receipt #{receipt.id}: you paid{" "}
        {receipt.to ? `${receipt.to.handle} (identity ${receipt.toId})` : `identity ${receipt.toId}`}{" "}
        {fold(receipt.amount)} FOLD for{" "}
        {subject.href ? <Link href={subject.href}>{subject.label}</Link> : subject.label}.{" "}
        {given === undefined
          ? "No feedback from you yet."
          : `You gave ${given.score} / 100${given.revoked ? " (revoked)" : ""}.`}
      </p>
      {given === undefined ? (
        <form className="inline" onSubmit={submit} noValidate aria-label={`Feedback on receipt #${receipt.id}`}>
          <Field label="Score (0 to 100)">
            {(id) => <input id={id} inputMode="numeric" value={value} onChange={(e) => setValue(e.target.value)} />}
          </Field>
          <FormFooter submit="Give feedback" busy={tx.busy} problem={problem} state={tx.state} />
        </form>
      ) : (
        !given.revoked && (
          <Action
            label="Revoke the feedback"
            what="Revoking the feedback"
            call={
              registry && {
                address: registry,
                abi: reputationRegistryAbi,
                functionName: "revokeFeedback",
                args: [BigInt(given.id)],
              }
            }
          />
        )
      )}
    </div>
  );
}
