/**
 * Istio's Bookinfo sample as its source code behaves (samples/bookinfo/src, release 1.31):
 * - productpage (Flask): /productpage (HTML), /api/v1/products[/0[/reviews|/ratings]] (JSON),
 *   POST /login (session cookie, redirect to the Referer; without one Flask fails with 500),
 *   /logout. Calls details and reviews with a 3 s timeout; reviews twice before it gives up with
 *   "Sorry, product reviews are currently unavailable for this book." and the last status (500
 *   when there was no response). Forwards x-request-id, traceparent, x-b3-*, cookie, user-agent, and
 *   end-user from its session (never from the incoming request).
 * - reviews v1 (no ratings), v2 (black stars, 10 s timeout to ratings), v3 (red, 2.5 s): the JSON of
 *   LibertyRestEndpoint.java; a failed ratings call gives "Ratings service is currently unavailable".
 * - ratings: Reviewer1 5, Reviewer2 4. details: the book's details.
 */
import type { KubeObject } from '../../../../../src/core/seams.js';
import { isResponse, type AppContext, type AppModel, type AppRequest, type AppResponse, type Misbehaviour, type Outcome } from '../mesh.js';
import { labelsOf } from '../view.js';

/**
 * The trace headers Bookinfo copies: productpage's getForwardHeaders() (productpage.py) and reviews'
 * headers_to_propagate (LibertyRestEndpoint.java), release-1.31: x-request-id, W3C traceparent and
 * tracestate, and B3 as the multi-header x-b3-* set (productpage re-creates it with OpenTelemetry's
 * B3MultiFormat propagator). Neither forwards the single `b3` header.
 */
const TRACE_HEADERS = ['x-request-id', 'traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'x-ot-span-context'];
const APP_HEADERS = ['user-agent', 'cookie', 'authorization', 'jwt'];

/** The headers an app copies from the request it serves onto the requests it makes. */
export function propagate(headers: Record<string, string>, misbehave: Misbehaviour, extra: string[] = []): Record<string, string> {
  const names = [...(misbehave.dropTraceHeaders ? [] : TRACE_HEADERS), ...APP_HEADERS, ...extra];
  return Object.fromEntries(names.filter((n) => headers[n] !== undefined).map((n) => [n, headers[n] as string]));
}

const json = (status: number, body: unknown, timeMs: number): AppResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body).replace(/":/g, '": ').replace(/,"/g, ', "'), timeMs });

const product = {
  id: 0,
  title: 'The Comedy of Errors',
  descriptionHtml:
    '<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: The Comedy of Errors is one of <b>William Shakespeare\'s</b> early plays. It is his shortest and one of his most farcical comedies, with a major part of the humour coming from slapstick and mistaken identity, in addition to puns and word play.',
};
const details = { id: 0, author: 'William Shakespeare', year: 1595, type: 'paperback', pages: 200, publisher: 'PublisherA', language: 'English', 'ISBN-10': '1234567890', 'ISBN-13': '123-1234567890' };

function cookies(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries((headers.cookie ?? '').split(/;\s*/).filter((c) => c.includes('=')).map((c) => [c.slice(0, c.indexOf('=')), c.slice(c.indexOf('=') + 1)]));
}

/** Flask's signed session cookie, in small: base64url(JSON) plus a signature part. */
function sessionUser(headers: Record<string, string>): string | undefined {
  const value = cookies(headers).session;
  if (!value) return undefined;
  try {
    const data = JSON.parse(Buffer.from(value.split('.')[0] ?? '', 'base64url').toString()) as { user?: string };
    return data.user;
  } catch {
    return undefined;
  }
}

const sessionCookie = (data: Record<string, string>) => `session=${Buffer.from(JSON.stringify(data)).toString('base64url')}.sim-signature; HttpOnly; Path=/`;

type Fetched = { status: number; body?: Record<string, unknown>; elapsed: number };

function fetchJson(ctx: AppContext, url: string, headers: Record<string, string>, timeoutMs: number): Fetched {
  const o: Outcome = ctx.call(url, { headers, timeoutMs });
  if (!isResponse(o)) return { status: 0, elapsed: o.timeMs };
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(o.body) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: o.status, ...(body ? { body } : {}), elapsed: o.timeMs };
}

function productpage(ctx: AppContext, req: AppRequest): AppResponse {
  const user = sessionUser(req.headers);
  const forward = { ...propagate(req.headers, ctx.mesh.misbehave), ...(user ? { 'end-user': user } : {}) };
  let elapsed = 4;

  const getDetails = (): { status: number; body: Record<string, unknown> } => {
    const r = fetchJson(ctx, 'http://details:9080/details/0', forward, 3000);
    elapsed += r.elapsed;
    if (r.status === 200 && r.body) return { status: 200, body: r.body };
    return { status: r.status || 500, body: { error: 'Sorry, product details are currently unavailable for this book.' } };
  };
  const getReviews = (): { status: number; body: Record<string, unknown> } => {
    let last: Fetched = { status: 0, elapsed: 0 };
    for (let i = 0; i < 2; i++) {
      last = fetchJson(ctx, 'http://reviews:9080/reviews/0', forward, 3000);
      elapsed += last.elapsed;
      if (last.status === 200 && last.body) return { status: 200, body: last.body };
    }
    return { status: last.status || 500, body: { error: 'Sorry, product reviews are currently unavailable for this book.' } };
  };

  if (req.method === 'POST' && req.path === '/login') {
    const form = new URLSearchParams(req.body);
    const referrer = req.headers.referer;
    if (!referrer) return { status: 500, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>', timeMs: 2 };
    return { status: 302, headers: { 'content-type': 'text/html; charset=utf-8', location: referrer, 'set-cookie': sessionCookie({ user: form.get('username') ?? '' }) }, body: `<!doctype html>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href="${referrer}">${referrer}</a>.`, timeMs: 2 };
  }
  if (req.path === '/logout') {
    return { status: 302, headers: { location: req.headers.referer ?? '/', 'set-cookie': 'session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/' }, body: '', timeMs: 2 };
  }
  if (req.path === '/health') return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: 'Product page is healthy', timeMs: 1 };
  if (req.path === '/api/v1/products') return json(200, [product], 2);
  let m = /^\/api\/v1\/products\/([^/]+)$/.exec(req.path);
  if (m) {
    const d = getDetails();
    return json(d.status, d.body, elapsed);
  }
  m = /^\/api\/v1\/products\/([^/]+)\/reviews$/.exec(req.path);
  if (m) {
    const r = getReviews();
    return json(r.status, r.body, elapsed);
  }
  m = /^\/api\/v1\/products\/([^/]+)\/ratings$/.exec(req.path);
  if (m) {
    const r = fetchJson(ctx, 'http://ratings:9080/ratings/0', forward, 3000);
    elapsed += r.elapsed;
    return r.status === 200 && r.body ? json(200, r.body, elapsed) : json(r.status || 500, { error: 'Sorry, product ratings are currently unavailable for this book.' }, elapsed);
  }
  if (req.path === '/productpage') {
    const d = getDetails();
    const r = getReviews();
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: productHtml(user, d, r), timeMs: elapsed + 3 };
  }
  if (req.path.startsWith('/static/')) return { status: 200, headers: { 'content-type': 'text/css; charset=utf-8' }, body: '/* tailwind */\n', timeMs: 1 };
  if (req.path === '/' || req.path === '/index.html') {
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!DOCTYPE html>\n<html><head><title>Simple Bookstore App</title></head><body><h3>Hello! This is a simple bookstore application consisting of three services as shown below</h3><a href="productpage?u=normal">Normal user</a> <a href="productpage?u=test">Test user</a></body></html>\n', timeMs: 2 };
  }
  return { status: 404, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server.</p>\n', timeMs: 1 };
}

function productHtml(user: string | undefined, d: { status: number; body: Record<string, unknown> }, r: { status: number; body: Record<string, unknown> }): string {
  const detailsHtml = d.status === 200
    ? `<h4 class="text-2xl">Book Details</h4>\n      <dl><dt>Type:</dt>${String(d.body.type)}<dt>Pages:</dt>${String(d.body.pages)}<dt>Publisher:</dt>${String(d.body.publisher)}<dt>Language:</dt>${String(d.body.language)}<dt>ISBN-10:</dt>${String(d.body['ISBN-10'])}<dt>ISBN-13:</dt>${String(d.body['ISBN-13'])}</dl>`
    : `<h4 class="text-2xl">Error fetching product details!</h4>\n      <p>${String(d.body.error)}</p>`;
  let reviewsHtml: string;
  if (r.status === 200) {
    const reviews = (r.body.reviews as Array<{ reviewer: string; text: string; rating?: { stars?: number; color?: string; error?: string } }>) ?? [];
    reviewsHtml =
      '<h4 class="text-2xl">Book Reviews</h4>\n' +
      reviews
        .map((rv) => {
          const stars = rv.rating?.stars !== undefined ? `<div class="text-${rv.rating.color}-500">${'★'.repeat(rv.rating.stars)}${'☆'.repeat(5 - rv.rating.stars)}</div>` : rv.rating?.error ? `<p class="text-red-500">${rv.rating.error}</p>` : '';
          return `      <blockquote><p>${rv.text}</p>\n        <small>${rv.reviewer}</small>${stars}</blockquote>`;
        })
        .join('\n') +
      `\n      <dl><dt>Reviews served by:</dt><dd><u>${String(r.body.podname)}</u></dd></dl>`;
  } else {
    reviewsHtml = `<h4 class="text-2xl">Error fetching product reviews!</h4>\n      <p>${String(r.body.error)}</p>`;
  }
  const nav = user ? `<span class="text-white">${user}</span> <a href="logout">sign out</a>` : '<button class="text-white">Sign in</button>';
  return `<!DOCTYPE html>
<html>
  <head>
    <title>Simple Bookstore App</title>
    <meta charset="utf-8">
    <script src="static/tailwind/tailwind.css"></script>
  </head>
  <body>
    <nav class="bg-gray-800"><a href="#" class="text-white">BookInfo Sample</a>
      ${nav}</nav>
    <div class="container">
      <h1 class="text-3xl">${product.title}</h1>
      <p>${product.descriptionHtml}</p>
      ${detailsHtml}
      ${reviewsHtml}
    </div>
  </body>
</html>
`;
}

function reviewsApp(ctx: AppContext, req: AppRequest): AppResponse {
  const m = /^\/reviews\/(\d+)$/.exec(req.path);
  if (req.path === '/health') return json(200, { status: 'Reviews is healthy' }, 1);
  if (!m) return { status: 404, body: '', timeMs: 1 };
  const version = labelsOf(ctx.pod).version ?? 'v1';
  const ratingsEnabled = version !== 'v1';
  const color = version === 'v3' ? 'red' : 'black';
  let elapsed = 3;
  let stars: { r1: number; r2: number } | undefined;
  if (ratingsEnabled) {
    const r = fetchJson(ctx, `http://ratings:9080/ratings/${m[1]}`, propagate(req.headers, ctx.mesh.misbehave, ['end-user']), color === 'black' ? 10_000 : 2500);
    elapsed += r.elapsed;
    const ratings = r.status === 200 ? (r.body?.ratings as Record<string, number> | undefined) : undefined;
    if (ratings) stars = { r1: ratings.Reviewer1 ?? -1, r2: ratings.Reviewer2 ?? -1 };
  }
  const rating = (s: number | undefined) => (!ratingsEnabled ? '' : s !== undefined && s !== -1 ? `, "rating": {"stars": ${s}, "color": "${color}"}` : ', "rating": {"error": "Ratings service is currently unavailable"}');
  const body =
    `{"id": "${m[1]}","podname": "${ctx.pod.metadata.name}","clustername": "null","reviews": [` +
    `{  "reviewer": "Reviewer1",  "text": "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!"${rating(stars?.r1)}},` +
    `{  "reviewer": "Reviewer2",  "text": "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare."${rating(stars?.r2)}}]}`;
  return { status: 200, headers: { 'content-type': 'application/json' }, body, timeMs: elapsed };
}

function ratingsApp(_ctx: AppContext, req: AppRequest): AppResponse {
  const m = /^\/ratings\/(\d+)$/.exec(req.path);
  if (req.path === '/health') return json(200, { status: 'Ratings is healthy' }, 1);
  if (!m) return json(400, { error: 'please provide numeric product ID' }, 1);
  return json(200, { id: Number(m[1]), ratings: { Reviewer1: 5, Reviewer2: 4 } }, 1);
}

function detailsApp(_ctx: AppContext, req: AppRequest): AppResponse {
  const m = /^\/details\/(\d+)$/.exec(req.path);
  if (req.path === '/health') return json(200, { status: 'Details is healthy' }, 1);
  if (!m) return json(400, { error: 'please provide numeric product id' }, 1);
  return json(200, { ...details, id: Number(m[1]) }, 1);
}

const bookinfoApp = (name: string, handle: AppModel['handle']): AppModel => ({
  name,
  serves: (pod: KubeObject, port: number) => labelsOf(pod).app === name && port === 9080,
  handle,
});

export const bookinfoApps: AppModel[] = [bookinfoApp('productpage', productpage), bookinfoApp('reviews', reviewsApp), bookinfoApp('ratings', ratingsApp), bookinfoApp('details', detailsApp)];
