// The part of the Fetch API a small module Worker uses (Headers, URL, URLSearchParams, Request, Response),
// for the emulator's edge, which runs uploaded Workers in an embedded V8 without a browser or workerd.
// Follows the WHATWG Fetch and URL standards where a Worker can tell the difference; bodies are strings or
// byte arrays, never streams.
"use strict";

class Headers {
  constructor(init) {
    this._map = new Map();
    if (init instanceof Headers) {
      init.forEach((v, k) => this.append(k, v));
    } else if (Array.isArray(init)) {
      for (const [k, v] of init) this.append(k, v);
    } else if (init && typeof init === "object") {
      for (const k of Object.keys(init)) this.append(k, init[k]);
    }
  }
  _key(name) {
    const key = String(name).toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) throw new TypeError(`Invalid header name: ${name}`);
    return key;
  }
  append(name, value) {
    const key = this._key(name);
    const v = String(value).trim();
    this._map.set(key, this._map.has(key) ? `${this._map.get(key)}, ${v}` : v);
  }
  set(name, value) { this._map.set(this._key(name), String(value).trim()); }
  get(name) { const v = this._map.get(this._key(name)); return v === undefined ? null : v; }
  has(name) { return this._map.has(this._key(name)); }
  delete(name) { this._map.delete(this._key(name)); }
  forEach(fn, self) { for (const [k, v] of this.entries()) fn.call(self, v, k, this); }
  *entries() { for (const k of [...this._map.keys()].sort()) yield [k, this._map.get(k)]; }
  *keys() { for (const [k] of this.entries()) yield k; }
  *values() { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator]() { return this.entries(); }
}

class URLSearchParams {
  constructor(init) {
    this._list = [];
    const text = typeof init === "string" ? init.replace(/^\?/, "") : "";
    for (const pair of text.split("&")) {
      if (!pair) continue;
      const at = pair.indexOf("=");
      const dec = (s) => decodeURIComponent(s.replace(/\+/g, " "));
      this._list.push(at < 0 ? [dec(pair), ""] : [dec(pair.slice(0, at)), dec(pair.slice(at + 1))]);
    }
  }
  get(name) { const hit = this._list.find(([k]) => k === name); return hit ? hit[1] : null; }
  getAll(name) { return this._list.filter(([k]) => k === name).map(([, v]) => v); }
  has(name) { return this._list.some(([k]) => k === name); }
  toString() { return this._list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"); }
  *entries() { yield* this._list; }
  [Symbol.iterator]() { return this.entries(); }
}

class URL {
  constructor(url, base) {
    let text = String(url);
    if (base !== undefined && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(text)) {
      const b = new URL(base);
      text = text.startsWith("/") ? b.origin + text : b.origin + b.pathname.replace(/[^/]*$/, "") + text;
    }
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:)\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::(\d*))?([^?#]*)(\?[^#]*)?(#.*)?$/.exec(text);
    if (!m) throw new TypeError(`Invalid URL: ${url}`);
    this.protocol = m[1].toLowerCase();
    this.hostname = m[2].toLowerCase();
    const defaults = { "https:": "443", "http:": "80" };
    this.port = m[3] && m[3] !== defaults[this.protocol] ? m[3] : "";
    this.pathname = m[4] || "/";
    this.search = m[5] && m[5] !== "?" ? m[5] : "";
    this.hash = m[6] && m[6] !== "#" ? m[6] : "";
    this.username = "";
    this.password = "";
  }
  get host() { return this.port ? `${this.hostname}:${this.port}` : this.hostname; }
  get origin() { return `${this.protocol}//${this.host}`; }
  get href() { return `${this.origin}${this.pathname}${this.search}${this.hash}`; }
  get searchParams() { return new URLSearchParams(this.search); }
  toString() { return this.href; }
  toJSON() { return this.href; }
}

function bodyOf(body) {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return body.toString();
  return String(body);
}

function textOf(body) {
  if (body === null) return "";
  if (typeof body === "string") return body;
  return decodeURIComponent(Array.from(body, (b) => `%${b.toString(16).padStart(2, "0")}`).join(""));
}

class Body {
  async text() { return textOf(this._body); }
  async json() { return JSON.parse(textOf(this._body)); }
  async arrayBuffer() {
    const b = this._body;
    if (b === null) return new ArrayBuffer(0);
    if (typeof b !== "string") return b.slice().buffer;
    const bytes = unescape(encodeURIComponent(b));
    return Uint8Array.from(bytes, (c) => c.charCodeAt(0)).buffer;
  }
}

const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];

class Request extends Body {
  constructor(input, init = {}) {
    super();
    const from = input instanceof Request ? input : null;
    this.url = from ? from.url : new URL(input).href;
    const method = String(init.method || (from ? from.method : "GET"));
    this.method = METHODS.includes(method.toUpperCase()) ? method.toUpperCase() : method;
    this.headers = new Headers(init.headers || (from ? from.headers : undefined));
    this._body = bodyOf(init.body !== undefined ? init.body : from ? from._body : null);
    if (this._body !== null && (this.method === "GET" || this.method === "HEAD")) {
      throw new TypeError("Request with a GET or HEAD method cannot have a body.");
    }
    this.redirect = init.redirect || "follow";
    this.cf = {};
  }
  clone() { return new Request(this); }
}

const REASONS = { 200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found",
  303: "See Other", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
  403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error" };

class Response extends Body {
  constructor(body = null, init = {}) {
    super();
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Responses may only be constructed with status codes in the range 200 to 599, inclusive.`);
    }
    this.status = status;
    this.statusText = init.statusText !== undefined ? String(init.statusText) : REASONS[status] || "";
    this.headers = new Headers(init.headers);
    this._body = bodyOf(body);
    if (typeof this._body === "string" && !this.headers.has("content-type")) {
      this.headers.set("content-type", "text/plain;charset=UTF-8");
    }
  }
  get ok() { return this.status >= 200 && this.status < 300; }
  get redirected() { return false; }
  clone() { return new Response(this._body, this); }
  static json(data, init = {}) {
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(JSON.stringify(data), { ...init, headers });
  }
  static redirect(url, status = 302) {
    if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Invalid redirect status: ${status}`);
    return new Response(null, { status, headers: { location: new URL(url).href } });
  }
}

const noop = () => {};
globalThis.console = { log: noop, info: noop, warn: noop, error: noop, debug: noop };
Object.assign(globalThis, { Headers, URL, URLSearchParams, Request, Response });

// One request in, one answer out, both as JSON text: the only way the emulator talks to the Worker.
globalThis.__zonesync_dispatch = async function (requestJson) {
  const r = JSON.parse(requestJson);
  const request = new Request(r.url, { method: r.method, headers: r.headers, body: r.body });
  const handler = globalThis.__zonesync_module.default;
  const ctx = { waitUntil: noop, passThroughOnException: noop };
  const response = await handler.fetch(request, {}, ctx);
  if (!(response instanceof Response)) {
    throw new TypeError("Incorrect type for Promise: the Promise did not resolve to 'Response'.");
  }
  const body = response._body;
  return JSON.stringify({
    status: response.status,
    headers: [...response.headers.entries()],
    text: typeof body === "string" ? body : null,
    bytes: body !== null && typeof body !== "string" ? Array.from(body) : null,
  });
};

// The emulator starts a request, then collects its outcome once the promise has settled.
const results = new Map();
globalThis.__zonesync_start = function (id, requestJson) {
  globalThis.__zonesync_dispatch(requestJson).then(
    (ok) => results.set(id, { ok }),
    (err) => results.set(id, { error: err instanceof Error ? `${err.name}: ${err.message}` : `Uncaught ${err}` }),
  );
};
globalThis.__zonesync_take = function (id) {
  const out = results.get(id);
  if (out === undefined) return null;
  results.delete(id);
  return JSON.stringify(out);
};
