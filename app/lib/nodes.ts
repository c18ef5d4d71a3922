// The Explore page's filters: the form's text, checked before anything is sent, turned into GET /nodes's query.
import { parseUnits } from "viem";
import { z } from "zod";

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
}

export interface NodesPage {
  now: string;
  total: number;
  limit: number;
  offset: number;
  nodes: NodeRow[];
}

export const SORTS = {
  id: "Node number",
  price: "Price",
  cpu: "CPU cores",
  memory: "Memory",
  lastHeartbeat: "Last heartbeat",
  onlineSeconds: "Proven uptime",
} as const;

const count = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{0,9}$/, `${what}: a whole number, or empty`);

export const filterForm = z
  .object({
    minCpu: count("CPU cores"),
    minMemoryGiB: count("Memory"),
    minSsdGiB: count("SSD"),
    minGpus: count("GPUs"),
    region: z.string().trim().max(64, "Region: at most 64 characters"),
    country: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^([A-Z]{2})?$/, "Country: two letters, like NL, or empty"),
    maxHourlyFold: z
      .string()
      .trim()
      .regex(/^(\d{1,12}(\.\d{1,18})?)?$/, "Max price: an amount of FOLD, like 0.5, or empty"),
    online: z.enum(["any", "true", "false"]),
    sort: z.enum(Object.keys(SORTS) as [keyof typeof SORTS]),
    order: z.enum(["asc", "desc"]),
  })
  .refine((f) => f.maxHourlyFold === "" || [f.minCpu, f.minMemoryGiB, f.minSsdGiB, f.minGpus].some((v) => v !== ""), {
    path: ["maxHourlyFold"],
    message: "Max price: say which resources to price (CPU, memory, SSD or GPUs)",
  });
export type FilterForm = z.input<typeof filterForm>;

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
  const parsed = filterForm.safeParse(form);
  if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? "the filters are not valid" };
  const f = parsed.data;
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
