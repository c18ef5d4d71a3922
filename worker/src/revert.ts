// A refused call in words, whichever contract refused it: the revert data is decoded against every Fourfold error
// (@fourfold/contracts' errorsAbi, so an error raised beneath the contract called, NodeRegistry's under LeaseMarket's,
// decodes too) and told with its NatSpec notice and its arguments by name. The CLI and the dApp both tell reverts so.
import { type ErrorDoc, errorDocs, errorsAbi } from "@fourfold/contracts";
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex } from "viem";

export interface Revert {
  /** The error's name, like NodeInsufficientCapacity. */
  readonly name: string;
  readonly args: readonly unknown[];
  /** The arguments by the error's parameter names, in order. */
  readonly params: readonly { readonly name: string; readonly value: unknown }[];
  /** What the error's NatSpec says it means. */
  readonly notice?: string;
}

/** The revert data somewhere in `error`'s causes: what the contract returned when it refused. */
function revertData(error: BaseError): Hex | undefined {
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.raw !== undefined && reverted.raw !== "0x") {
    return reverted.raw;
  }
  const carrier = error.walk((e) => {
    const data = (e as { data?: unknown }).data;
    return typeof data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(data);
  }) as { data?: Hex } | null;
  return carrier?.data;
}

/** The Fourfold error `error` carries, decoded; undefined when it is not a revert, or none of ours. */
export function decodeRevert(error: unknown): Revert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const data = revertData(error);
  if (data === undefined) return undefined;
  try {
    const decoded = decodeErrorResult({ abi: errorsAbi, data });
    const args = (decoded.args ?? []) as readonly unknown[];
    const inputs = (decoded.abiItem as { inputs?: readonly { name?: string }[] }).inputs ?? [];
    const doc: ErrorDoc | undefined = errorDocs[decoded.errorName];
    return {
      name: decoded.errorName,
      args,
      params: args.map((value, i) => ({ name: inputs[i]?.name || `arg${i}`, value })),
      notice: doc?.notice,
    };
  } catch {
    return undefined; // not one of ours (or not a custom error at all)
  }
}

/** `NodeInsufficientCapacity(nodeId: 5)`: the error as a call, its arguments by name. */
export function revertCall(revert: Revert): string {
  return `${revert.name}(${revert.params.map((p) => `${p.name}: ${String(p.value)}`).join(", ")})`;
}

/** The error in words: its NatSpec notice, then the error as a call. */
export function revertWords(revert: Revert): string {
  return revert.notice === undefined ? revertCall(revert) : `${revert.notice} (${revertCall(revert)})`;
}
