import { DataConsole } from "@/components/data";

export default function DataPage() {
  return (
    <>
      <h1>Data</h1>
      <p className="lead">
        Sell time-limited, revocable, metered access to encrypted datasets, and buy it: payment is escrowed and paid as
        access runs.
      </p>
      <DataConsole />
    </>
  );
}
