/** On-chain ids (nodes, leases, jobs, datasets) are whole numbers from 1. */
export const isId = (id: string) => /^[1-9]\d{0,15}$/.test(id);
