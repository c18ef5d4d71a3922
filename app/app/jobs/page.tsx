import { Jobs } from "@/components/jobs";

export default function JobsPage() {
  return (
    <>
      <h1>AI jobs</h1>
      <p className="lead">
        Run a model on staked workers: their signed results are checked against each other and open to challenge before
        they are paid.
      </p>
      <Jobs />
    </>
  );
}
