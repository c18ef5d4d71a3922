// The Explore page's filters: the form's text, checked before anything is sent, turned into GET /nodes's query.
import { parseUnits } from "viem";

export interface NodeRow {
  id: string;
  farmId: string;
  region: string;
  country: string;
  status: string;
  cpu: number;
  memoryMiB: string;
  ssdGiB: string;
  gpus: number;
  free: { cpu: number; memoryMiB: string; ssdGiB: string; hddGiB: string; gpus: number };
  priceCpu: string;
  priceMemoryGiB: string;
  priceSsdGiB: string;
  online: boolean;
  lastHeartbeat: string | null;
  hourlyPrice: string | null;
  /** Until when a certifier's attestation stands behind its declared capacity (null: never certified, or revoked). */
  certifiedUntil: string | null;
}

export interface NodesPage {
  now: string;
  total: number;
  limit: number;
  offset: number;
  nodes: NodeRow[];
}

/** Nodes to a page. */
export const PAGE = 50;

export const SORTS = {
  id: "Node number",
  price: "Price",
  cpu: "CPU cores",
  memory: "Memory",
  lastHeartbeat: "Last heartbeat",
  onlineSeconds: "Proven uptime",
} as const;

// The form is checked with plain patterns, not zod: this module is in Explore's first load, where every kB counts.
const WHOLE = /^\d{0,9}$/;
const FOLD_AMOUNT = /^(\d{1,12}(\.\d{1,18})?)?$/;
const ORDERS = ["asc", "desc"] as const;
const ONLINE = ["any", "true", "false"] as const;

export interface FilterForm {
  minCpu: string;
  minMemoryGiB: string;
  minSsdGiB: string;
  minGpus: string;
  region: string;
  country: string;
  maxHourlyFold: string;
  online: (typeof ONLINE)[number];
  sort: keyof typeof SORTS;
  order: (typeof ORDERS)[number];
}

/** The form's values trimmed (the country upper-cased), or its first problem in words. */
function checkFilters(form: FilterForm): { ok: true; value: FilterForm } | { ok: false; error: string } {
  const f = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, String(v).trim()])) as unknown as FilterForm;
  f.country = f.country.toUpperCase();
  const counts: [keyof FilterForm, string][] = [
    ["minCpu", "CPU cores"],
    ["minMemoryGiB", "Memory"],
    ["minSsdGiB", "SSD"],
    ["minGpus", "GPUs"],
  ];
  for (const [field, what] of counts) {
    if (!WHOLE.test(f[field])) return { ok: false, error: `${what}: a whole number, or empty` };
  }
  if (f.region.length > 64) return { ok: false, error: "Region: at most 64 characters" };
  if (!/^([A-Z]{2})?$/.test(f.country)) return { ok: false, error: "Country: two letters, like NL, or empty" };
  if (!FOLD_AMOUNT.test(f.maxHourlyFold)) {
    return { ok: false, error: "Max price: an amount of FOLD, like 0.5, or empty" };
  }
  if (f.maxHourlyFold !== "" && counts.every(([field]) => f[field] === "")) {
    return { ok: false, error: "Max price: say which resources to price (CPU, memory, SSD or GPUs)" };
  }
  if (!ONLINE.includes(f.online) || !(f.sort in SORTS) || !ORDERS.includes(f.order)) {
    return { ok: false, error: "the filters are not valid" };
  }
  return { ok: true, value: f };
}

export const NO_FILTERS: FilterForm = {
  minCpu: "",
  minMemoryGiB: "",
  minSsdGiB: "",
  minGpus: "",
  region: "",
  country: "",
  maxHourlyFold: "",
  online: "any",
  sort: "id",
  order: "asc",
};

/** The query string for GET /nodes, or the form's first problem. */
export function nodesQuery(
  form: FilterForm,
  page: { limit: number; offset: number },
): { query?: string; error?: string } {
  const checked = checkFilters(form);
  if (!checked.ok) return { error: checked.error };
  const f = checked.value;
  const q = new URLSearchParams();
  if (f.minCpu !== "") q.set("minCpu", f.minCpu);
  if (f.minMemoryGiB !== "") q.set("minMemoryMiB", String(BigInt(f.minMemoryGiB) * 1024n));
  if (f.minSsdGiB !== "") q.set("minSsdGiB", f.minSsdGiB);
  if (f.minGpus !== "") q.set("minGpus", f.minGpus);
  if (f.region !== "") q.set("region", f.region);
  if (f.country !== "") q.set("country", f.country);
  if (f.maxHourlyFold !== "") q.set("maxHourlyPrice", parseUnits(f.maxHourlyFold, 18).toString());
  if (f.online !== "any") q.set("online", f.online);
  q.set("sort", f.sort);
  q.set("order", f.order);
  q.set("limit", String(page.limit));
  q.set("offset", String(page.offset));
  return { query: q.toString() };
}
