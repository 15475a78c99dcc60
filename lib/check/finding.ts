// One thing `runbook check` found, at a line of the runbook.

export interface CheckFinding {
  /** 1-based line of the runbook file. */
  line: number;
  step?: string;
  severity: 'error' | 'warning';
  message: string;
}
