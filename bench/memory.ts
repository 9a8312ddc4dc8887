// The memory goals of issue #14 item 5, measured by the bench: idle RSS of
// `latchkey start` (started, answering /healthz, then left alone for a few
// seconds, before any load), and the highest peak RSS over the scenarios.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const IDLE_RSS_GOAL_MB = 80;
export const PEAK_RSS_GOAL_MB = 200;
/** How long the started server is left alone before its RSS is read (it compacts its heap a second after startup). */
export const SETTLE_SECONDS = 5;

function statusMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (!pid) return 0;
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** The highest RSS the process has had (VmHWM). */
export const peakRssMb = (pid: number | undefined): number => statusMb(pid, 'VmHWM');

export interface MemoryGoal {
  mb: number;
  goalMb: number;
  /** The figure as a percentage of its goal: under 100 meets it. */
  percentOfGoal: number;
}

export function goal(mb: number, goalMb: number): MemoryGoal {
  return { mb, goalMb, percentOfGoal: Math.round((mb / goalMb) * 1000) / 10 };
}

/** RSS of a server that has answered /healthz, after SETTLE_SECONDS without requests. */
export async function idleRss(pid: number | undefined): Promise<MemoryGoal> {
  await sleep(SETTLE_SECONDS * 1000);
  return goal(statusMb(pid, 'VmRSS'), IDLE_RSS_GOAL_MB);
}

export function describeGoal(label: string, figure: MemoryGoal): string {
  return `${label}: ${figure.mb} MB, ${figure.percentOfGoal}% of the ${figure.goalMb} MB goal (issue #14)${figure.percentOfGoal < 100 ? '' : ' — over the goal'}`;
}
