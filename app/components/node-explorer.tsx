"use client";
// Explore: the indexer's GET /nodes with filters, sorted and paginated. The form is checked before a query is sent;
// loading, empty and failed states each say what is happening.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { ago, disk, fold, memory } from "@/lib/format";
import { rest } from "@/lib/indexer";
import { type FilterForm, NO_FILTERS, type NodesPage, nodesQuery, PAGE, SORTS } from "@/lib/nodes";
import { Field } from "./field";

/** Marks the list's first row for the browser's Element Timing API: bench:app reads when it was painted. */
const FIRST_ROW_TIMING: Record<string, string> = { elementtiming: "first-node" };

/** `initial`: the first page as the server fetched it, for the unfiltered query; the browser refreshes it. */
export function NodeExplorer({ initial }: { initial?: { query: string; page: NodesPage } }) {
  const [form, setForm] = useState<FilterForm>(NO_FILTERS);
  const [applied, setApplied] = useState<FilterForm>(NO_FILTERS);
  const [offset, setOffset] = useState(0);
  const [formError, setFormError] = useState<string>();
  const { query } = nodesQuery(applied, { limit: PAGE, offset });
  const nodes = useQuery({
    queryKey: ["nodes", query],
    queryFn: () => rest<NodesPage>(`nodes?${query}`),
    enabled: query !== undefined,
    placeholderData: keepPreviousData,
    initialData: initial !== undefined && initial.query === query ? initial.page : undefined,
    initialDataUpdatedAt: initial === undefined ? undefined : Date.now(),
    refetchInterval: 15_000,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = nodesQuery(form, { limit: PAGE, offset: 0 });
    setFormError(checked.error);
    if (checked.error === undefined) {
      setApplied(form);
      setOffset(0);
    }
  };
  const field = (name: keyof FilterForm) => ({
    name,
    value: form[name],
    onChange: (event: { target: { value: string } }) => setForm({ ...form, [name]: event.target.value }),
  });

  return (
    <section aria-label="Nodes">
      <form className="filters" onSubmit={submit} noValidate>
        <Field label="CPU cores (at least)">
          {(id) => <input id={id} inputMode="numeric" placeholder="any" {...field("minCpu")} />}
        </Field>
        <Field label="Memory GiB (at least)">
          {(id) => <input id={id} inputMode="numeric" placeholder="any" {...field("minMemoryGiB")} />}
        </Field>
        <Field label="SSD GiB (at least)">
          {(id) => <input id={id} inputMode="numeric" placeholder="any" {...field("minSsdGiB")} />}
        </Field>
        <Field label="GPUs (at least)">
          {(id) => <input id={id} inputMode="numeric" placeholder="any" {...field("minGpus")} />}
        </Field>
        <Field label="Region">{(id) => <input id={id} placeholder="e.g. eu-west" {...field("region")} />}</Field>
        <Field label="Country">
          {(id) => <input id={id} placeholder="e.g. NL" maxLength={2} {...field("country")} />}
        </Field>
        <Field label="Max FOLD an hour">
          {(id) => <input id={id} inputMode="decimal" placeholder="any" {...field("maxHourlyFold")} />}
        </Field>
        <Field label="Online">
          {(id) => (
            <select id={id} {...field("online")}>
              <option value="any">Any</option>
              <option value="true">Online</option>
              <option value="false">Offline</option>
            </select>
          )}
        </Field>
        <Field label="Sort by">
          {(id) => (
            <select id={id} {...field("sort")}>
              {Object.entries(SORTS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Order">
          {(id) => (
            <select id={id} {...field("order")}>
              <option value="asc">Ascending</option>
              <option value="desc">Descending</option>
            </select>
          )}
        </Field>
        <div className="actions">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setForm(NO_FILTERS);
              setApplied(NO_FILTERS);
              setOffset(0);
              setFormError(undefined);
            }}
          >
            Clear
          </button>
        </div>
        {formError && (
          <p role="alert" className="error">
            {formError}
          </p>
        )}
      </form>
      <Results state={nodes} offset={offset} onPage={setOffset} />
    </section>
  );
}

function Results({
  state,
  offset,
  onPage,
}: {
  state: ReturnType<typeof useQuery<NodesPage>>;
  offset: number;
  onPage: (offset: number) => void;
}) {
  if (state.isPending) return <p aria-live="polite">Loading nodes…</p>;
  if (state.isError)
    return (
      <p role="alert" className="error">
        Could not load nodes: {state.error.message}
      </p>
    );
  const page = state.data;
  if (page.total === 0) return <p aria-live="polite">No node matches these filters.</p>;
  const now = Number(page.now);
  const priced = page.nodes.some((n) => n.hourlyPrice !== null);
  return (
    <>
      <p aria-live="polite" className="count">
        {page.total.toLocaleString("en")} node{page.total === 1 ? "" : "s"}
        {page.total > page.nodes.length && `, showing ${offset + 1}–${offset + page.nodes.length}`}
      </p>
      <div className="table-scroll">
        <table data-testid="node-list">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Where</th>
              <th scope="col">Free CPU</th>
              <th scope="col">Free memory</th>
              <th scope="col">Free SSD</th>
              <th scope="col">GPUs</th>
              <th scope="col">{priced ? "Your hour costs" : "Per core-hour"}</th>
              <th scope="col">State</th>
              <th scope="col">Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {page.nodes.map((n, i) => (
              <tr key={n.id}>
                <th scope="row">
                  <Link href={`/nodes/${n.id}`}>#{n.id}</Link> <span className="muted">farm {n.farmId}</span>
                </th>
                <td {...(i === 0 ? FIRST_ROW_TIMING : {})}>
                  {n.region} <span className="muted">{n.country}</span>
                </td>
                <td>
                  {n.free.cpu} / {n.cpu}
                </td>
                <td>
                  {memory(n.free.memoryMiB)} / {memory(n.memoryMiB)}
                </td>
                <td>{disk(n.free.ssdGiB)}</td>
                <td>{n.free.gpus}</td>
                <td>{fold(n.hourlyPrice ?? n.priceCpu)} FOLD</td>
                <td>
                  <span className={n.online ? "pill online" : "pill offline"}>{n.online ? "Online" : "Offline"}</span>
                  {n.status !== "Active" && <span className="muted"> {n.status}</span>}
                  {n.certifiedUntil !== null && BigInt(n.certifiedUntil) > BigInt(now) && (
                    <span className="muted" title="A certifier audited its declared capacity">
                      {" "}
                      certified
                    </span>
                  )}
                </td>
                <td>{ago(n.lastHeartbeat, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.total > PAGE && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <button type="button" disabled={offset + PAGE >= page.total} onClick={() => onPage(offset + PAGE)}>
            Next
          </button>
        </nav>
      )}
    </>
  );
}
