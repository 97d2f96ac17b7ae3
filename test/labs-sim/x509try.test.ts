import { it, expect } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { issueCertificate, namesOf, caCertHash } from '/work/main/test/sim/behaviour/x509.js';
it('x509', () => {
  const nb = new Date(Date.now() - 60000), na = new Date(Date.now() + 365*86400000);
  const t = Date.now();
  const ca = issueCertificate({ subject: { CN: 'kubernetes' }, ca: true, notBefore: nb, notAfter: new Date(Date.now()+3650*86400000) });
  const leaf = issueCertificate({ subject: { CN: 'kube-apiserver', O: ['a','b'] }, dnsNames: ['kubernetes', 'localhost'], ips: ['10.96.0.1', '127.0.0.1'], issuer: ca, notBefore: nb, notAfter: na, usages: ['server'] });
  console.log('ms', Date.now() - t);
  const x = new X509Certificate(leaf.certPem);
  console.log(x.subject, x.issuer, x.subjectAltName, x.validFrom, x.validTo, x.keyUsage);
  expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  console.log(namesOf(leaf.certPem), caCertHash(ca.certPem));
  require('fs').writeFileSync('/tmp/leaf.pem', leaf.certPem); require('fs').writeFileSync('/tmp/ca.pem', ca.certPem);
});
