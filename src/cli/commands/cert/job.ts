/**
 * CI job certificates: a short-lived client certificate per pipeline job. The
 * job id travels in the certificate itself (subject OU `ci-job:<id>`), so the
 * inventory record, the audit trail and any peer that reads the certificate
 * agree on which job it belongs to, and `--job` can list and revoke them.
 */
import { InvalidArgumentError } from 'commander';
import type { CertRecord } from '../../../ca/index.js';

const JOB_OU_PREFIX = 'ci-job:';
const JOB_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** commander parser for --job: CI job ids are numbers or slugs ($CI_JOB_ID, $GITHUB_RUN_ID). */
export function parseJobOption(value: string): string {
  if (!JOB_ID_RE.test(value)) {
    throw new InvalidArgumentError(`--job ${JSON.stringify(value)}: use 1-128 letters, digits, ".", "_" or "-" (e.g. $CI_JOB_ID).`);
  }
  return value;
}

export function jobOu(jobId: string): string {
  return `${JOB_OU_PREFIX}${jobId}`;
}

/** The job a certificate was issued for, if it is a job certificate. */
export function jobOf(record: Pick<CertRecord, 'ou'>): string | undefined {
  return record.ou?.startsWith(JOB_OU_PREFIX) ? record.ou.slice(JOB_OU_PREFIX.length) : undefined;
}
