// JobMarket's EIP-712 JobResult: what a worker's key signs over a result, and the commitment a worker claims a job
// with before revealing it, in one place for every side that signs, seals or checks them (the worker, the indexer's
// provenance, the contract tests and the gas bench).
import { type Account, type Address, encodeAbiParameters, type Hex, keccak256, recoverTypedDataAddress } from "viem";

export const JOB_RESULT_TYPES = {
  JobResult: [
    { name: "jobId", type: "uint256" },
    { name: "modelHash", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "worker", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** The domain of JobMarket at `jobMarket` on `chainId`: it binds a signature to that chain and contract. */
export const jobResultDomain = (chainId: number, jobMarket: Address) =>
  ({ name: "Fourfold JobMarket", version: "1", chainId, verifyingContract: jobMarket }) as const;

export interface JobResult {
  jobId: bigint;
  modelHash: Hex;
  inputHash: Hex;
  outputHash: Hex;
  workerId: bigint;
  deadline: bigint;
}

const message = (result: JobResult) => ({
  jobId: result.jobId,
  modelHash: result.modelHash,
  inputHash: result.inputHash,
  outputHash: result.outputHash,
  worker: result.workerId,
  deadline: result.deadline,
});

/** The worker key's EIP-712 signature over `JobResult`, as `JobMarket.revealResult` checks it. */
export async function signJobResult(
  options: JobResult & { key: Account & { address: Address }; chainId: number; jobMarket: Address },
): Promise<Hex> {
  const { key, chainId, jobMarket } = options;
  if (key.signTypedData === undefined) throw new Error(`the key ${key.address} cannot sign typed data`);
  return key.signTypedData({
    domain: jobResultDomain(chainId, jobMarket),
    types: JOB_RESULT_TYPES,
    primaryType: "JobResult",
    message: message(options),
  });
}

/** The address whose key made `signature` over `result` for JobMarket at `jobMarket` on `chainId`. */
export function jobResultSigner(
  result: JobResult,
  signature: Hex,
  chainId: number,
  jobMarket: Address,
): Promise<Address> {
  return recoverTypedDataAddress({
    domain: jobResultDomain(chainId, jobMarket),
    types: JOB_RESULT_TYPES,
    primaryType: "JobResult",
    message: message(result),
    signature,
  });
}

/** JobMarket's `commitmentOf`: keccak256(abi.encode(jobId, workerId, outputHash, salt)). */
export const resultCommitment = (jobId: bigint, workerId: bigint, outputHash: Hex, salt: Hex): Hex =>
  keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "uint256" }, { type: "bytes32" }, { type: "bytes32" }],
      [jobId, workerId, outputHash, salt],
    ),
  );

/**
 * A result signed and sealed: the signature, the salt that opens the commitment (the signature's keccak256: secret
 * until the reveal publishes the signature, and the same every time, since the key's signatures are deterministic, so
 * a restarted worker recomputes the commitment it claimed with) and the commitment itself.
 */
export async function sealJobResult(
  options: JobResult & { key: Account & { address: Address }; chainId: number; jobMarket: Address },
): Promise<{ signature: Hex; salt: Hex; commitment: Hex }> {
  const signature = await signJobResult(options);
  const salt = keccak256(signature);
  return { signature, salt, commitment: resultCommitment(options.jobId, options.workerId, options.outputHash, salt) };
}
