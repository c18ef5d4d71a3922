import { type ReactNode, useId } from "react";
import type { TxState } from "@/lib/use-send";
import { TxStatus } from "./tx-status";

/** A labelled form control: `children` gets the id its label points at. */
export function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

/** A form's submit button, its problem (from the form's own checks) and its transaction's state. */
export function FormFooter({
  submit,
  busy,
  problem,
  state,
}: {
  submit: string;
  busy: boolean;
  problem: string | undefined;
  state: TxState;
}) {
  return (
    <>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {submit}
        </button>
      </div>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {/* A problem is the latest submit's: a transaction that failed before it is old news, and goes. */}
      <div className="error-row">
        <TxStatus state={problem && state.status === "failed" ? { status: "idle" } : state} />
      </div>
    </>
  );
}
