import Link from "next/link";
import { JobDetail } from "@/components/job-detail";
import { isId } from "@/lib/ids";

export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!isId(id)) {
    return (
      <>
        <h1>No such job</h1>
        <p role="alert" className="error">
          “{id}” is not a job number: job numbers are whole numbers from 1.
        </p>
        <Link href="/jobs">Back to AI jobs</Link>
      </>
    );
  }
  return <JobDetail id={id} />;
}
