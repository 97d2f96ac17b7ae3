/**
 * Simulated time for whole-lab runs. A lab waits for a real cluster with `sleep` (poll loops, "give
 * the proxies 10 s"); the runners put a short `sleep` on PATH so the runs stay fast, and that
 * `sleep` credits the time it did not sleep to a file. The lab clock is the wall clock plus those
 * credits: when a lab sleeps 2 s, 2 s pass for the models that care about time (the node lifecycle
 * controller's grace period, a dashboard's time window), however briefly the process slept.
 * Everything that does not sleep (kubectl wait polling, a process starting) costs its real time.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Clock = () => number;

/** The clock of a lab run whose `sleep` credits `file` (absent file: no credit yet). */
export function labClock(file: string): Clock {
  let size = -1;
  let creditMs = 0;
  return () => {
    let now = -1;
    try {
      now = statSync(file).size;
    } catch {
      // nothing slept yet
    }
    if (now !== size) {
      size = now;
      creditMs = now <= 0 ? 0 : readFileSync(file, 'utf8').split('\n').reduce((sum, line) => sum + (Number(line) || 0), 0) * 1000;
    }
    return Date.now() + creditMs;
  };
}

/**
 * Writes `<binDir>/sleep`: it sleeps what `realSeconds` (an awk expression of `t`, the requested
 * seconds) says and appends the rest to `clockFile`. GNU sleep's arguments (several, with s/m/h).
 */
export async function installCreditingSleep(binDir: string, clockFile: string, realSeconds: string, why: string): Promise<void> {
  const path = join(binDir, 'sleep');
  await writeFile(
    path,
    [
      '#!/bin/sh',
      `# ${why}`,
      '# The time not slept is credited to the lab clock (test/sim/behaviour/lab-clock.ts).',
      `set -- $(awk 'BEGIN { t = 0; for (i = 1; i < ARGC; i++) { v = ARGV[i]; m = 1; if (v ~ /m$/) m = 60; else if (v ~ /h$/) m = 3600; else if (v ~ /d$/) m = 86400; sub(/[smhd]$/, "", v); t += v * m } r = ${realSeconds}; if (r > t) r = t; printf "%.3f %.3f", r, t - r }' "$@")`,
      `echo "$2" >>'${clockFile}'`,
      'exec /bin/sleep "$1"',
      '',
    ].join('\n'),
  );
  await chmod(path, 0o755);
}
