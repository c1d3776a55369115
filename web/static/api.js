// @ts-check
// The dashboard API client (docs/dashboard-api.md). api() never throws: every outcome is an
// ApiResult, and every failure has the same shape. Superseded requests are cancelled with an
// AbortSignal (see Superseding), not ignored after they finish.
//
// No DOM: fetch is looked up when called, so node --test can pass its own (test/web/api_test.mjs).

/** @typedef {{ok: true, data: any}} ApiOk */
/**
 * message: the full text for the first place a page shows the failure; short: for the second
 * and later places (e.g. every chart of a page). aborted: the request was cancelled because a
 * newer one superseded it; show nothing.
 * @typedef {{ok: false, status: number, message: string, short: string, aborted: boolean}} ApiError
 */
/** @typedef {ApiOk | ApiError} ApiResult */
/** @typedef {Record<string, string | null | undefined>} ApiParams */

/**
 * A relative request URL: path plus the parameters that are neither null nor "".
 * @param {string} path
 * @param {ApiParams} [params]
 * @returns {string}
 */
export function apiUrl(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v != null && v !== '') q.set(k, v);
  }
  const qs = q.toString();
  return qs ? path + '?' + qs : path;
}

/**
 * @param {number} status
 * @param {string} message
 * @param {string} [short]
 * @returns {ApiError}
 */
function failure(status, message, short) {
  return { ok: false, status, message, short: short || message, aborted: false };
}

/** @type {ApiError} */
const ABORTED = Object.freeze({ ok: false, status: 0, message: 'Request cancelled', short: 'Request cancelled', aborted: true });

/**
 * The failure for an HTTP error answer. body is the parsed JSON body or null; the server's
 * error bodies are {"error": text, "parameter"?: name}.
 * @param {number} status
 * @param {any} body
 * @returns {ApiError}
 */
export function httpFailure(status, body) {
  const err = body && typeof body.error === 'string' ? body.error : 'HTTP ' + status;
  if (status === 503) {
    return failure(status, 'Replica unavailable: ' + err + ' — this data cannot be shown right now.',
      'Replica unavailable — this data cannot be shown right now.');
  }
  if (status === 400) {
    const param = body && typeof body.parameter === 'string' ? ' (parameter "' + body.parameter + '")' : '';
    return failure(status, 'Bad request' + param + ': ' + err);
  }
  if (status === 404) return failure(status, 'Not found: ' + err);
  return failure(status, 'Request failed (HTTP ' + status + '): ' + err);
}

/**
 * GETs a JSON API path. Never throws.
 * @param {string} path e.g. "/api/overview"
 * @param {ApiParams} [params] query parameters; null and "" are left out
 * @param {AbortSignal} [signal] cancels the request; the result is then ABORTED-shaped
 *   (aborted: true) however far the request had got
 * @returns {Promise<ApiResult>}
 */
export async function api(path, params, signal) {
  let resp;
  try {
    resp = await fetch(apiUrl(path, params),
      { headers: { Accept: 'application/json' }, cache: 'no-store', signal });
  } catch (e) {
    if (signal && signal.aborted) return ABORTED;
    return failure(0, 'Dashboard server unreachable (' + (e instanceof Error ? e.message : String(e)) + ')');
  }
  let body = null;
  try {
    body = await resp.json();
  } catch (_) {
    body = null; // not JSON (or cut off): judged below by status and signal
  }
  if (signal && signal.aborted) return ABORTED;
  if (!resp.ok) return httpFailure(resp.status, body);
  if (body == null || typeof body !== 'object') {
    return failure(resp.status, 'The server answered with something that is not JSON.');
  }
  return { ok: true, data: body };
}

/**
 * One request (or group of requests) at a time: next() cancels the previous signal and
 * hands out a new one. Replaces generation counters: a superseded request is aborted on the
 * network, and its caller sees signal.aborted (and an aborted ApiResult).
 */
export class Superseding {
  /** @type {AbortController | null} */
  #controller = null;

  /**
   * Aborts the current signal (if any) and returns a new one.
   * @returns {AbortSignal}
   */
  next() {
    if (this.#controller) this.#controller.abort();
    this.#controller = new AbortController();
    return this.#controller.signal;
  }

  /**
   * The current signal, without cancelling it (a new one if there was none).
   * @returns {AbortSignal}
   */
  current() {
    return this.#controller ? this.#controller.signal : this.next();
  }

  /** Aborts the current signal, if any; the next current() or next() starts afresh. */
  cancel() {
    if (this.#controller) this.#controller.abort();
    this.#controller = null;
  }
}
