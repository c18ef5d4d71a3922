// A failed call or transaction in words: the contract's custom error decoded, whichever contract raised it (for the
// ones people meet most, in this page's words, with what to do; for the rest, its NatSpec), a rejection in the
// wallet, or a lack of ETH for gas.

import { GRANT_STATES, JOB_STATES, LEASE_STATES } from "@fourfold/indexer/enums";
import { decodeRevert, revertCall, revertWords } from "@fourfold/worker/revert";
import { BaseError, ContractFunctionRevertedError, InsufficientFundsError, UserRejectedRequestError } from "viem";
import { fold } from "./format.ts";

const WORDS: Record<string, (args: readonly unknown[]) => string> = {
  IdentityHandleTaken: (a) => `The handle “${a[0]}” is taken (identity ${a[1]}): choose another.`,
  IdentityInvalidHandle: (a) =>
    `“${a[0]}” is not a handle: 3 to 32 lower-case letters, digits and hyphens, not starting or ending with one.`,
  IdentityNotOwner: (a) => `Only identity ${a[0]}'s owner may do that.`,
  IdentityKeyAlreadyBound: (a) => `The key ${a[0]} is already bound to identity ${a[1]}.`,
  IdentitySignatureExpired: () => "The key's signature expired: sign again.",
  IdentityInvalidSignature: (a) => `The signature is not the key ${a[0]}'s.`,
  IdentityInvalidController: (a) => `Identity ${a[0]} cannot control agents: it must be a standard identity you own.`,
  IdentityNotController: (a) => `Only the controller of agent ${a[0]} may do that.`,
  IdentityInvalidPurpose: (a) => `That purpose is not for identity ${a[0]}: Agent keys are for agents only.`,
  IdentityKeyNotBound: (a) => `The key ${a[0]} is not bound.`,
  ReputationNotParty: (a) => `Only the two sides of receipt ${a[0]} may rate it.`,
  ReputationSelfFeedback: (a) => `Receipt ${a[0]} is between your own identities.`,
  ReputationAlreadyRated: (a) => `Identity ${a[1]} has rated receipt ${a[0]} already: once per side.`,
  ReputationInvalidScore: (a) => `A score is 0 to 100, not ${a[0]}.`,
  ReputationFeedbackRevoked: (a) => `Feedback ${a[0]} is revoked already.`,
  FarmNotIdentityOwner: (a) => `Only identity ${a[0]}'s owner may create its farms.`,
  FarmInvalidName: () => "A farm's name is 1 to 64 bytes.",
  FarmZeroPayout: () => "The payout address cannot be zero.",
  FarmNotOwner: (a) => `Only farm ${a[0]}'s owner may do that.`,
  NodeKeyInUse: (a) => `The key ${a[0]} is already node ${a[1]}'s.`,
  NodeKeyNotBound: (a) => `The key ${a[0]} is not a Node key of identity ${a[1]}.`,
  NodeInvalidResources: () => "A node needs some capacity: at least one CPU core and some memory.",
  NodeInvalidCountry: () => "The country must be two capital letters, like NL.",
  NodeInvalidRegion: () => "A region is at most 64 bytes.",
  NodeOffline: (a) => `Node ${a[0]} is offline: it has not sent a heartbeat recently.`,
  NodeInsufficientCapacity: (a) => `Node ${a[0]} does not have that much free capacity.`,
  ERC20InsufficientBalance: (a) =>
    `Not enough FOLD: you have ${fold(a[1] as bigint)} and need ${fold(a[2] as bigint)}.`,
  ERC20InsufficientAllowance: (a) =>
    `The contract may take only ${fold(a[1] as bigint)} of your FOLD; it needs ${fold(a[2] as bigint)}.`,
  LeaseNotTenantIdentity: (a) => `You neither own identity ${a[0]} nor hold one of its Operator or Agent keys.`,
  LeaseTooSmall: (a) =>
    `A lease holds at least 1 CPU core and 64 MiB of memory, not ${a[0]} cores and ${a[1]} MiB: nothing runs on less.`,
  LeasePriceAboveMax: (a) => `Node ${a[0]}'s prices went up since you looked: check the new cost and try again.`,
  LeaseDepositTooLow: (a) =>
    `The deposit, ${fold(a[0] as bigint)} FOLD, does not cover the grace period: the least is ${fold(a[1] as bigint)} FOLD.`,
  LeaseUnknown: (a) => `There is no lease ${a[0]}.`,
  LeaseWrongState: (a) => `Lease ${a[0]} is ${LEASE_STATES[Number(a[1]) - 1] ?? "in another state"}: not now.`,
  JobNotIdentityController: (a) => `You neither own identity ${a[0]} nor hold one of its Operator or Agent keys.`,
  JobUnknownModel: (a) => `There is no model ${a[0]}.`,
  JobModelInactive: (a) => `Model ${a[0]} takes no new jobs.`,
  JobInvalidInput: () => "A job's input is inline (at most 4,096 bytes) or at a URI, with its sha256.",
  JobInvalidRedundancy: (a) => `A job is run by 1 to 5 workers, not ${a[0]}.`,
  JobInvalidTerms: () => "The fee must be more than zero and the deadline within 30 days from now.",
  DataNotIdentityController: (a) => `You neither own identity ${a[0]} nor hold one of its Operator keys.`,
  DataUnknownDataset: (a) => `There is no dataset ${a[0]}.`,
  DataDatasetDelisted: (a) => `Dataset ${a[0]} is off the market.`,
  DataInvalidTerms: () => "Terms: a longest access of at least a second, and at least one purpose allowed.",
  DataWrongState: (a) => `Grant ${a[0]} is ${GRANT_STATES[Number(a[1]) - 1] ?? "in another state"}: not now.`,
  DataPurposeNotAllowed: (a) => `Dataset ${a[0]} does not allow that purpose.`,
  DataInvalidDuration: (a) => `Access is at most ${Number(a[1]) / 86_400} days for this dataset.`,
  DataPriceAboveMax: (a) =>
    `The price rose to ${fold(a[0] as bigint)} FOLD, above your ${fold(a[1] as bigint)}: try again.`,
  DataResponsePending: (a) =>
    `The owner has until ${new Date(Number(a[1]) * 1000).toISOString().slice(11, 16)} UTC to answer grant ${a[0]}.`,
  DataDeliveryPending: (a) =>
    `The owner has until ${new Date(Number(a[1]) * 1000).toISOString().slice(11, 16)} UTC to deliver grant ${a[0]}'s key.`,
  DataKeyAlreadyDelivered: (a) => `Grant ${a[0]}'s key was delivered already.`,
  DataNoEncryptionKey: (a) =>
    `Identity ${a[0]} has no encryption key, so no dataset key could be delivered to it: create one first.`,
  JobUnknownJob: (a) => `There is no job ${a[0]}.`,
  JobWrongState: (a) => `Job ${a[0]} is ${JOB_STATES[Number(a[1]) - 1] ?? "in another state"}: not now.`,
  JobWindow: (a) =>
    `Job ${a[0]}'s current phase is not open for that${Number(a[1]) === 0 ? "" : ` (it changes at ${new Date(Number(a[1]) * 1000).toISOString().slice(11, 16)} UTC)`}.`,
  JobAlreadyChallenged: (a) => `Job ${a[0]} has had its re-execution round already.`,
  JobCommitteeUnavailable: (a) =>
    `Too few workers serve this model for a committee (${a[1]}; at least ${a[2]}): job ${a[0]} cannot be challenged.`,
  LeaseNotTenant: (a) => `Only lease ${a[0]}'s tenant may do that.`,
  LeaseAwaitingAck: (a) =>
    `The node has until ${new Date(Number(a[1]) * 1000).toISOString().slice(11, 16)} UTC to acknowledge lease ${a[0]}: you may cancel it from then, with a full refund.`,
  LeaseZeroTopUp: () => "A top-up must be more than zero.",
  LeaseInvalidManifest: (a) => `A sealed manifest this size (${a[0]} bytes) is not accepted.`,
};

/** What went wrong, for a person. */
export function explain(error: unknown): string {
  if (!(error instanceof BaseError)) return error instanceof Error ? error.message : String(error);
  if (error.walk((e) => e instanceof UserRejectedRequestError)) return "You rejected the request in your wallet.";
  if (error.walk((e) => e instanceof InsufficientFundsError)) return "Not enough ETH to pay for gas.";
  // Decoded against every Fourfold error, so one raised beneath the contract called (NodeRegistry's under
  // LeaseMarket's) is told too; in this page's words where it has some, else in the error's NatSpec.
  const revert = decodeRevert(error);
  if (revert !== undefined) {
    const words = WORDS[revert.name]?.(revert.args);
    return words ? `${words} (${revertCall(revert)})` : `The contract refused: ${revertWords(revert)}`;
  }
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError && reverted.reason) {
    return `The contract refused: ${reverted.reason}.`;
  }
  return error.shortMessage;
}
