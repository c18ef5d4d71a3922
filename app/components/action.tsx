"use client";
// One contract call behind one button, with its transaction's state beside it: close a lease, approve a request,
// revoke a grant…
import type { FormEvent } from "react";
import { type Call, useSend } from "@/lib/use-send";
import { FormFooter } from "./field";

export function Action({
  label,
  what,
  call,
  note,
}: {
  label: string;
  what: string;
  call: Call | undefined;
  note?: string;
}) {
  const tx = useSend();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (call !== undefined) await tx.send(what, call);
  };
  return (
    <form className="inline" onSubmit={submit} aria-label={label}>
      {note && <p className="muted">{note}</p>}
      <FormFooter submit={label} busy={tx.busy} problem={undefined} state={tx.state} />
    </form>
  );
}
