/**
 * A real registry (Debian's docker-registry, distribution 2.8) that demands bearer tokens the way
 * Docker Hub and ghcr.io do, and the token service it sends clients to. The registry verifies
 * every token itself: an ES256 JWT whose x5c header carries a certificate from its
 * `rootcertbundle`, with issuer, audience (the service), expiry and the granted `access`
 * (distribution docs/spec/auth/jwt.md). The token service grants anonymous pull for whatever scope
 * it is asked; pushes use tokens the test signs directly.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type FixtureServer } from '../../platform/tools/http-fixture.js';
import { startRegistry, type TestRegistry } from '../registry-helper.js';

const SERVICE = 'kindlab-test-registry';
const ISSUER = 'kindlab-test-token-service';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

interface Signer {
  key: KeyObject;
  certDer: string;
}

function token(s: Signer, access: Array<{ name: string; actions: string[] }>): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [s.certDer] }));
  const claims = b64url(
    JSON.stringify({ iss: ISSUER, sub: '', aud: SERVICE, exp: now + 600, nbf: now - 60, iat: now, jti: randomBytes(8).toString('hex'), access: access.map((a) => ({ type: 'repository', ...a })) }),
  );
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key: s.key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${claims}.${b64url(signature)}`;
}

export interface TokenRegistry {
  registry: TestRegistry;
  tokens: FixtureServer;
  /** The scopes the token service was asked for, in order. */
  scopes: string[];
  /** Headers that allow pushing to `repo`. */
  pushHeaders(repo: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startTokenRegistry(): Promise<TokenRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'kl-token-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=kindlab-test-tokens', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  const signer: Signer = {
    key: createPrivateKey(await readFile(keyFile)),
    certDer: new X509Certificate(await readFile(certFile)).raw.toString('base64'),
  };
  const scopes: string[] = [];
  const tokens = await startServer({
    '/token': (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const access = url.searchParams.getAll('scope').map((s) => {
        scopes.push(s);
        const [, name = '', actions = ''] = /^repository:(.+):([a-z,*]+)$/.exec(s) ?? [];
        // Anonymous clients get pull only, whatever they ask for.
        return { name, actions: actions.split(',').filter((a) => a === 'pull') };
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: token(signer, access) }));
    },
  });
  const registry = await startRegistry({
    config: ['auth:', '  token:', `    realm: ${tokens.url}/token`, `    service: ${SERVICE}`, `    issuer: ${ISSUER}`, `    rootcertbundle: ${certFile}`],
  });
  return {
    registry,
    tokens,
    scopes,
    pushHeaders: (repo) => ({ authorization: `Bearer ${token(signer, [{ name: repo, actions: ['pull', 'push'] }])}` }),
    async stop() {
      await registry.stop();
      await tokens.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
