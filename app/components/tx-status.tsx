import type { TxState } from "@/lib/use-send";

/** A transaction's state in words, announced to screen readers as it changes. */
export function TxStatus({ state }: { state: TxState }) {
  if (state.status === "idle") return null;
  if (state.status === "failed") {
    return (
      <p role="alert" className="error" data-testid="tx-status">
        {state.what} failed: {state.message}
      </p>
    );
  }
  const text = {
    signing: `${state.what}: confirm in your wallet…`,
    pending: `${state.what}: sent, waiting for a block…`,
    confirmed: `${state.what}: confirmed.`,
  }[state.status];
  return (
    <p aria-live="polite" className={state.status === "confirmed" ? "ok" : "muted"} data-testid="tx-status">
      {text}
      {"hash" in state && <span className="hash"> {state.hash.slice(0, 10)}…</span>}
    </p>
  );
}
