"use client";
// Data: sell time-limited, revocable, metered access to a dataset, and buy it.
// - An owner's dataset is encrypted here, in the browser, under a fresh key; the ciphertext goes to the app's blob
//   store and its URI on-chain with the plaintext's sha256 and the terms. The key stays in this browser, which
//   delivers it, sealed to each grantee's X25519 key, when the owner approves a request.
// - A consumer needs an encryption key (its secret stays in this browser; its public half goes on-chain), requests
//   access for a purpose, a number of days and uses (the price is escrowed by permit), and once the key is delivered
//   decrypts the dataset here.
import { dataMarketAbi, foldTokenAbi, identityRegistryAbi } from "@fourfold/contracts";
import {
  contentHash,
  decryptDataset,
  encryptDataset,
  generateDatasetKey,
  openDatasetKey,
  sealDatasetKey,
} from "@fourfold/worker/dataset";
import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { type Address, hexToBytes, toHex } from "viem";
import { useBlock, useChainId, useConfig, useConnection, useReadContract } from "wagmi";
import { getBlock, readContract } from "wagmi/actions";
import { useContracts } from "@/lib/contracts";
import {
  type AccessFormInput,
  accessForm,
  allowedPurposes,
  type DatasetFormInput,
  datasetForm,
  datasetKey,
  identitySecret,
  keepDatasetKey,
  NEW_DATASET,
  PURPOSES,
  type PurposeName,
  purposeValue,
  secondsOf,
  termsOf,
} from "@/lib/data";
import { duration, fold } from "@/lib/format";
import { check } from "@/lib/forms";
import { graphql } from "@/lib/indexer";
import { signPermit } from "@/lib/permit";
import { useSend } from "@/lib/use-send";
import { Action } from "./action";
import { EncryptionKey } from "./encryption-key";
import { Field, FormFooter } from "./field";
import { WithIdentity } from "./identity";

interface Grant {
  id: string;
  datasetId: string;
  granteeId: string;
  state: "Requested" | "Active" | "Rejected" | "Withdrawn" | "Cancelled" | "Revoked" | "Expired";
  purpose: PurposeName;
  duration: string;
  maxUses: string;
  usesLeft: string;
  escrow: string;
  expiresAt: string | null;
  sealedKey: string | null;
  refund: string | null;
  endReason: string | null;
}

interface Dataset {
  id: string;
  ownerId: string;
  name: string;
  contentHash: string;
  encryptedUri: string;
  pricePerDay: string;
  pricePerUse: string;
  maxDuration: string;
  purposes: number;
  autoApprove: boolean;
  useCount: string;
  earned: string;
}

const GRANT_FIELDS =
  "id datasetId granteeId state purpose duration maxUses usesLeft escrow expiresAt sealedKey refund endReason";
const DATASET_FIELDS =
  "id ownerId name contentHash encryptedUri pricePerDay pricePerUse maxDuration purposes autoApprove useCount earned";

const DATA = `query Data($identity: BigInt!) {
  mine: datasets(where: { ownerId: $identity }, orderBy: "id", orderDirection: "desc", limit: 50) {
    items { ${DATASET_FIELDS} grants(orderBy: "id", orderDirection: "desc", limit: 50) { items { ${GRANT_FIELDS} } } }
  }
  market: datasets(where: { delisted: false, ownerId_not: $identity }, orderBy: "id", orderDirection: "desc", limit: 50) {
    items { ${DATASET_FIELDS} }
  }
  access: grants(where: { granteeId: $identity }, orderBy: "id", orderDirection: "desc", limit: 50) {
    items { ${GRANT_FIELDS} dataset { encryptedUri contentHash } }
  }
}`;

interface DataAnswer {
  mine: { items: (Dataset & { grants: { items: Grant[] } })[] };
  market: { items: Dataset[] };
  access: { items: (Grant & { dataset: { encryptedUri: string; contentHash: string } | null })[] };
}

/** ", ends in 1.9 d" (or ", ended") by the chain's clock, once a grant has an expiry. */
const endsIn = (expiresAt: string | null, now: number | undefined) =>
  expiresAt === null || now === undefined
    ? ""
    : `, ${Number(expiresAt) > now ? `ends in ${duration(Number(expiresAt) - now)}` : "ended"}`;

export function DataConsole() {
  const { address, status } = useConnection();
  if (status !== "connected" || address === undefined) {
    return <p>Connect a wallet (at the top of the page) to share datasets or request access to them.</p>;
  }
  return (
    <WithIdentity owner={address} why="Datasets and grants belong to an identity: a handle, owned by your address.">
      {(identity) => <Data identityId={identity.id} account={address} />}
    </WithIdentity>
  );
}

function Data({ identityId, account }: { identityId: string; account: Address }) {
  const data = useQuery({
    queryKey: ["data", identityId],
    queryFn: () => graphql<DataAnswer>(DATA, { identity: identityId }),
    refetchInterval: 3_000,
  });
  const block = useBlock({ watch: true });
  const now = block.data === undefined ? undefined : Number(block.data.timestamp);
  return (
    <>
      <EncryptionKey identityId={identityId} />
      <RegisterDataset identityId={identityId} />
      {data.isPending ? (
        <p aria-live="polite">Loading datasets and grants…</p>
      ) : data.isError ? (
        <p role="alert" className="error">
          Could not load datasets: {data.error.message}
        </p>
      ) : (
        <>
          <section aria-labelledby="mine-title">
            <h2 id="mine-title">Your datasets</h2>
            {data.data.mine.items.length === 0 ? (
              <p>None yet: register one above.</p>
            ) : (
              data.data.mine.items.map((d) => <OwnDataset key={d.id} dataset={d} now={now} />)
            )}
          </section>
          <section aria-labelledby="market-title">
            <h2 id="market-title">Datasets on the market</h2>
            {data.data.market.items.length === 0 ? (
              <p>No other dataset is listed yet.</p>
            ) : (
              data.data.market.items.map((d) => (
                <RequestAccess key={d.id} dataset={d} identityId={identityId} account={account} />
              ))
            )}
          </section>
          <section aria-labelledby="access-title">
            <h2 id="access-title">Your access</h2>
            {data.data.access.items.length === 0 ? (
              <p>No request yet.</p>
            ) : (
              data.data.access.items.map((g) => <MyGrant key={g.id} grant={g} identityId={identityId} now={now} />)
            )}
          </section>
        </>
      )}
    </>
  );
}

function RegisterDataset({ identityId }: { identityId: string }) {
  const chainId = useChainId();
  const market = useContracts().DataMarket;
  const [form, setForm] = useState<DatasetFormInput>(NEW_DATASET);
  const [file, setFile] = useState<{ name: string; bytes: Uint8Array }>();
  const [problem, setProblem] = useState<string>();
  const tx = useSend();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = check(datasetForm, form);
    const refusal = !checked.ok
      ? checked.error
      : file === undefined
        ? "File: choose the dataset's file"
        : file.bytes.length === 0
          ? `File: ${file.name} is empty: a dataset has something in it`
          : undefined;
    setProblem(refusal);
    if (refusal !== undefined || !checked.ok || file === undefined || !market) return;
    const key = generateDatasetKey();
    const encrypted = encryptDataset(key, file.bytes);
    const stored = await fetch("/api/blobs", { method: "POST", body: encrypted as BodyInit });
    const body = (await stored.json().catch(() => ({}))) as { uri?: string; error?: string };
    if (!stored.ok || body.uri === undefined) {
      tx.fail("Uploading the encrypted dataset", body.error ?? `the blob store answered ${stored.status}`);
      return;
    }
    keepDatasetKey(chainId, body.uri, key);
    const sent = await tx.send("Registering the dataset", {
      address: market,
      abi: dataMarketAbi,
      functionName: "registerDataset",
      args: [BigInt(identityId), checked.value.name, contentHash(file.bytes), body.uri, termsOf(checked.value), []],
    });
    if (sent) {
      setForm(NEW_DATASET);
      setFile(undefined);
    }
  };
  const toggle = (purpose: PurposeName) =>
    setForm({
      ...form,
      purposes: form.purposes.includes(purpose)
        ? form.purposes.filter((p) => p !== purpose)
        : [...form.purposes, purpose],
    });
  return (
    <section aria-labelledby="register-dataset-title">
      <h2 id="register-dataset-title">Register a dataset</h2>
      <form className="filters" onSubmit={submit} noValidate>
        <Field label="File">
          {(id) => (
            <input
              id={id}
              type="file"
              onChange={async (e) => {
                const chosen = e.target.files?.[0];
                setFile(chosen ? { name: chosen.name, bytes: new Uint8Array(await chosen.arrayBuffer()) } : undefined);
              }}
            />
          )}
        </Field>
        <Field label="Name">
          {(id) => (
            <input
              id={id}
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
              placeholder="e.g. EU city temperatures, spring 2025"
            />
          )}
        </Field>
        <Field label="Price per day (FOLD)">
          {(id) => (
            <input
              id={id}
              inputMode="decimal"
              value={form.pricePerDay}
              onChange={(e) => setForm({ ...form, pricePerDay: e.target.value })}
            />
          )}
        </Field>
        <Field label="Price per use (FOLD)">
          {(id) => (
            <input
              id={id}
              inputMode="decimal"
              value={form.pricePerUse}
              onChange={(e) => setForm({ ...form, pricePerUse: e.target.value })}
            />
          )}
        </Field>
        <Field label="Longest access (days)">
          {(id) => (
            <input
              id={id}
              inputMode="numeric"
              value={form.maxDays}
              onChange={(e) => setForm({ ...form, maxDays: e.target.value })}
            />
          )}
        </Field>
        <fieldset className="checks">
          <legend>Purposes allowed</legend>
          {PURPOSES.map((p) => (
            <label key={p}>
              <input type="checkbox" checked={form.purposes.includes(p)} onChange={() => toggle(p)} /> {p}
            </label>
          ))}
          <label>
            <input
              type="checkbox"
              checked={form.autoApprove}
              onChange={(e) => setForm({ ...form, autoApprove: e.target.checked })}
            />{" "}
            Approve requests automatically
          </label>
        </fieldset>
        <Field label="Licence">
          {(id) => (
            <textarea
              id={id}
              rows={2}
              value={form.licence}
              onChange={(e) => setForm({ ...form, licence: e.target.value })}
            />
          )}
        </Field>
        <p className="muted quote">
          The file is encrypted in this browser under a new key before it is uploaded; the key stays here, and this
          browser delivers it to each grantee you approve.
          {file ? ` ${file.name}: ${file.bytes.length.toLocaleString("en")} bytes.` : ""}
        </p>
        <FormFooter submit="Register dataset" busy={tx.busy} problem={problem} state={tx.state} />
      </form>
    </section>
  );
}

function OwnDataset({ dataset, now }: { dataset: Dataset & { grants: { items: Grant[] } }; now: number | undefined }) {
  const titleId = `dataset-${dataset.id}-title`;
  return (
    <section className="card" aria-labelledby={titleId} data-testid={`dataset-${dataset.id}`}>
      <h3 id={titleId}>
        {dataset.name} <span className="muted">(dataset #{dataset.id})</span>
      </h3>
      <p className="lead">
        {fold(dataset.pricePerDay)} FOLD a day · {fold(dataset.pricePerUse)} FOLD a use · up to{" "}
        {duration(dataset.maxDuration)} · {allowedPurposes(dataset.purposes).join(", ")} ·{" "}
        {dataset.autoApprove ? "approved automatically" : "you approve each request"} · {dataset.useCount} uses · earned{" "}
        {fold(dataset.earned)} FOLD
      </p>
      {dataset.grants.items.length === 0 ? (
        <p>No request yet.</p>
      ) : (
        dataset.grants.items.map((g) => (
          <OwnerGrant key={g.id} grant={g} encryptedUri={dataset.encryptedUri} now={now} />
        ))
      )}
    </section>
  );
}

/** A grant of one of your datasets, with what you may do about it. */
function OwnerGrant({ grant, encryptedUri, now }: { grant: Grant; encryptedUri: string; now: number | undefined }) {
  const config = useConfig();
  const chainId = useChainId();
  const { DataMarket: market, IdentityRegistry: registry } = useContracts();
  const tx = useSend();
  const id = BigInt(grant.id);
  const call = (functionName: string, args: readonly unknown[]) =>
    market && { address: market, abi: dataMarketAbi, functionName, args };
  /** Approves (unless it is already active) and delivers the dataset key, sealed to the grantee. */
  const approve = async (event: FormEvent) => {
    event.preventDefault();
    const key = datasetKey(chainId, encryptedUri);
    if (!market || !registry) return;
    if (key === undefined) {
      tx.fail(
        "Delivering the key",
        "this dataset's key is not in this browser: deliver it from the browser that registered it, or with the keys role",
      );
      return;
    }
    if (grant.state === "Requested" && !(await tx.send("Approving the request", call("approve", [id]) as never)))
      return;
    const granteeKey = await readContract(config, {
      address: registry,
      abi: identityRegistryAbi,
      functionName: "encryptionKeyOf",
      args: [BigInt(grant.granteeId)],
    });
    await tx.send(
      "Delivering the key",
      call("deliverKey", [id, toHex(sealDatasetKey(hexToBytes(granteeKey), key))]) as never,
    );
  };
  return (
    <div className="grant" data-testid={`grant-${grant.id}`}>
      <p>
        <strong>Grant #{grant.id}</strong> <span className={`pill ${grant.state.toLowerCase()}`}>{grant.state}</span> to
        identity {grant.granteeId} for {grant.purpose}: {duration(grant.duration)}, {grant.usesLeft} of {grant.maxUses}{" "}
        uses left
        {endsIn(grant.expiresAt, now)}
        {grant.state === "Active" && grant.sealedKey === null ? ", key not delivered yet" : ""}
        {grant.refund !== null ? ` · ${fold(grant.refund)} FOLD refunded` : ""}
      </p>
      {(grant.state === "Requested" || (grant.state === "Active" && grant.sealedKey === null)) && (
        <form className="inline" onSubmit={approve} aria-label={`Approve grant #${grant.id}`}>
          <FormFooter
            submit={grant.state === "Requested" ? "Approve and deliver the key" : "Deliver the key"}
            busy={tx.busy}
            problem={undefined}
            state={tx.state}
          />
        </form>
      )}
      {grant.state === "Requested" && (
        <Action label="Reject" what="Rejecting the request" call={call("reject", [id, "rejected by the owner"])} />
      )}
      {grant.state === "Active" && (
        <Action
          label="Revoke"
          what="Revoking the grant"
          note="Revoking pays for the time run so far and refunds the rest."
          call={call("revoke", [id])}
        />
      )}
    </div>
  );
}

function RequestAccess({ dataset, identityId, account }: { dataset: Dataset; identityId: string; account: Address }) {
  const config = useConfig();
  const { DataMarket: market, FoldToken: token } = useContracts();
  const purposes = allowedPurposes(dataset.purposes);
  const [form, setForm] = useState<AccessFormInput>({ purpose: purposes[0] ?? "", days: "1", uses: "1" });
  const [problem, setProblem] = useState<string>();
  const tx = useSend();
  const schema = accessForm(Number(dataset.maxDuration), purposes);
  const checked = check(schema, form);
  const quote = useReadContract({
    address: market,
    abi: dataMarketAbi,
    functionName: "quote",
    args: checked.ok
      ? [BigInt(dataset.id), BigInt(secondsOf(checked.value.days)), BigInt(checked.value.uses)]
      : undefined,
    query: { enabled: market !== undefined && checked.ok },
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(checked.ok ? undefined : checked.error);
    if (!checked.ok || !market || !token) return;
    const { purpose, days, uses } = checked.value;
    const args = [
      BigInt(dataset.id),
      BigInt(identityId),
      purposeValue(purpose),
      BigInt(secondsOf(days)),
      BigInt(uses),
    ] as const;
    const [price, allowance] = await Promise.all([
      readContract(config, {
        address: market,
        abi: dataMarketAbi,
        functionName: "quote",
        args: [args[0], args[3], args[4]],
      }),
      readContract(config, { address: token, abi: foldTokenAbi, functionName: "allowance", args: [account, market] }),
    ]);
    if (allowance >= price) {
      await tx.send("Requesting access", {
        address: market,
        abi: dataMarketAbi,
        functionName: "requestAccess",
        args: [...args, price],
      });
      return;
    }
    const deadline = (await getBlock(config)).timestamp + 3_600n;
    const permit = await tx.sign("Signing the payment's permit", () =>
      signPermit(config, token, account, market, price, deadline),
    );
    if (permit === undefined) return;
    await tx.send("Requesting access", {
      address: market,
      abi: dataMarketAbi,
      functionName: "requestAccessWithPermit",
      args: [...args, price, permit],
    });
  };
  const titleId = `market-${dataset.id}-title`;
  return (
    <section className="card" aria-labelledby={titleId} data-testid={`market-${dataset.id}`}>
      <h3 id={titleId}>
        {dataset.name} <span className="muted">(dataset #{dataset.id})</span>
      </h3>
      <p className="lead">
        identity {dataset.ownerId} · {fold(dataset.pricePerDay)} FOLD a day · {fold(dataset.pricePerUse)} FOLD a use ·
        up to {duration(dataset.maxDuration)} · {purposes.join(", ")} · sha256{" "}
        <code title={dataset.contentHash}>{dataset.contentHash.slice(0, 10)}…</code>
      </p>
      <form className="inline" onSubmit={submit} noValidate aria-label={`Request access to dataset #${dataset.id}`}>
        <Field label="Purpose">
          {(id) => (
            <select id={id} value={form.purpose} onChange={(e) => setForm({ ...form, purpose: e.target.value })}>
              {purposes.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Days">
          {(id) => (
            <input
              id={id}
              inputMode="decimal"
              value={form.days}
              onChange={(e) => setForm({ ...form, days: e.target.value })}
            />
          )}
        </Field>
        <Field label="Uses">
          {(id) => (
            <input
              id={id}
              inputMode="numeric"
              value={form.uses}
              onChange={(e) => setForm({ ...form, uses: e.target.value })}
            />
          )}
        </Field>
        <p aria-live="polite" data-testid="access-quote">
          {quote.data === undefined ? "" : `Price: ${fold(quote.data)} FOLD, escrowed until the owner answers`}
        </p>
        <FormFooter submit="Request access" busy={tx.busy} problem={problem} state={tx.state} />
      </form>
    </section>
  );
}

/** A grant you asked for: its state, expiry and uses, and the dataset decrypted once its key is delivered. */
function MyGrant({
  grant,
  identityId,
  now,
}: {
  grant: Grant & { dataset: { encryptedUri: string; contentHash: string } | null };
  identityId: string;
  now: number | undefined;
}) {
  const chainId = useChainId();
  const market = useContracts().DataMarket;
  const [opened, setOpened] = useState<{ text: string; url: string; bytes: number }>();
  const [problem, setProblem] = useState<string>();
  const decrypt = async () => {
    setProblem(undefined);
    try {
      const secret = identitySecret(chainId, identityId);
      if (secret === undefined) throw new Error("your encryption key's secret is not in this browser");
      if (grant.sealedKey === null || grant.dataset === null) throw new Error("the key is not delivered yet");
      const key = openDatasetKey(secret, hexToBytes(grant.sealedKey as `0x${string}`));
      const response = await fetch(grant.dataset.encryptedUri);
      if (!response.ok) throw new Error(`${grant.dataset.encryptedUri} answered ${response.status}`);
      const plaintext = decryptDataset(key, new Uint8Array(await response.arrayBuffer()));
      if (contentHash(plaintext) !== grant.dataset.contentHash)
        throw new Error("the decrypted data does not match the dataset's sha256");
      setOpened({
        text: new TextDecoder().decode(plaintext.subarray(0, 4_000)),
        url: URL.createObjectURL(new Blob([plaintext as BlobPart])),
        bytes: plaintext.length,
      });
    } catch (error) {
      setProblem(`Could not decrypt: ${(error as Error).message}`);
    }
  };
  return (
    <div className="card" data-testid={`access-${grant.id}`}>
      <p>
        <strong>Grant #{grant.id}</strong> <span className={`pill ${grant.state.toLowerCase()}`}>{grant.state}</span> on
        dataset #{grant.datasetId} for {grant.purpose}: {grant.usesLeft} of {grant.maxUses} uses left
        {endsIn(grant.expiresAt, now)}
        {grant.state === "Requested" ? ", waiting for the owner" : ""}
        {grant.state === "Active" && grant.sealedKey === null ? ", waiting for the key" : ""}
        {grant.refund !== null ? ` · ${fold(grant.refund)} FOLD refunded` : ""}
        {grant.endReason ? ` (${grant.endReason})` : ""}
      </p>
      {grant.state === "Active" && grant.sealedKey !== null && (
        <div className="actions">
          <button type="button" onClick={decrypt}>
            Decrypt the dataset
          </button>
        </div>
      )}
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {opened && (
        <>
          <pre data-testid="dataset-plaintext">{opened.text}</pre>
          <a className="button" href={opened.url} download={`dataset-${grant.datasetId}`}>
            Download ({opened.bytes.toLocaleString("en")} bytes)
          </a>
        </>
      )}
      {grant.state === "Requested" && (
        <Action
          label="Withdraw the request"
          what="Withdrawing the request"
          call={
            market && { address: market, abi: dataMarketAbi, functionName: "withdrawRequest", args: [BigInt(grant.id)] }
          }
        />
      )}
    </div>
  );
}
