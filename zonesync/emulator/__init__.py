"""A local Cloudflare API v4 emulator (zones + dns_records) for tests and benchmarks.

It models Cloudflare, not zonesync: nothing here imports zonesync code outside this package. The official
``cloudflare`` SDK talks to it unchanged (``base_url=Emulator.url``); octoDNS's ``octodns-cloudflare``
provider too (it reads ``/zones``, ``/zones/{id}/dns_records`` page by page and ``/zones/{id}/pagerules``).
Behaviour follows ``/work/shared/cloudflare-api-facts.md`` (real answers, row numbers ``#n`` below),
Cloudflare docs (``developers.cloudflare.com``) and the SDK (``cloudflare/types/dns/*.py``).

Modules: ``server`` (HTTP, routing, ``Emulator``), ``store`` (state, indexes, transactions, persistence),
``records`` (record shape, content <-> data), ``validation`` (Cloudflare's checks), ``ratelimit``,
``faults``, ``errors`` (codes), ``export`` (the BIND export); Workers: ``workers`` (scripts and custom domains; its docstring lists its
choices), ``edge`` (HTTPS for custom domains), ``jsworker`` + ``fetch_shim.js`` (the module run in V8),
``certs`` (the emulator's CA). Its click command is ``zonesync.cli.emulator``.

Decisions where no real answer was found (the facts file says "not found"):

* **Well-formed but unknown zone id** (#10b): ``404`` code ``1001 "Invalid zone identifier"`` (the code and
  text are quoted in terraform-provider-cloudflare#192, there with 400 for page rules; 404 because nothing
  exists at that URL). Malformed ids (not 32 lowercase hex) give ``404 7003 Could not route to <path>,
  perhaps your object identifier is invalid?`` (#10a) with the full request path, also for a malformed
  record id in ``/dns_records/<id>``; unknown well-formed record ids give ``404 81044`` (#9).
* **NS beside other records** (#2d): only below the apex (a delegation). Adding a record other than NS/DS
  where NS records exist: ``400 81056 "NS records with that host already exist."`` (the documented error
  title); adding NS where other records (other than DS) exist: ``400 81055``. Apex NS are unrestricted.
* **CNAME beside anything**: a CNAME where any record of that name exists -> ``81053`` (#2a/2b, also for
  non-A/AAAA/CNAME records: RFC 1034 forbids it); any record where a CNAME exists -> ``81054`` (#2c).
  The identical-record check (``81058``, #1) runs first; identity is type + name + content (case-folded
  except TXT) + priority.
* **Invalid content of other types** (parsed with dnspython; CNAME/NS/PTR/MX must be hostnames, not IPs):
  ``400 1004 "DNS Validation Error"`` with ``error_chain`` ``9007 "Content for <TYPE> record is invalid. ..."``.
  Invalid names use the same code; unknown ``type`` -> chain ``9000``; missing ``type``/``name``/``content``/
  ``priority``/``data.*`` -> chain ``9100 "<field> is a required field."`` (#5a's form); priority out of
  0..65535 -> chain ``9008`` (#5a older text). Malformed JSON / wrong field types -> ``400 9207 "Request body
  is invalid."``.
* **TXT length** (#6): more than 4,080 bytes of text in one record (its character strings, 255 bytes each
  with a length byte, over the documented 4,096-byte wire format), or more than 8,192 characters of
  content combined for the records of one name and type (any type, as the 2026 docs say) -> ``400 1004``
  chain ``9102``, the emulator's own code: the real one is unknown (message states the limit).
* **Comments and tags** (docs/cloudflare-limits.md): a comment over 100 characters on a Free zone, over
  500 on others -> ``400 1004`` chain ``9313`` "DNS record comment exceeds the maximum length of 100
  characters." (code and message observed; the wrapper inferred); a line break in a comment, a tag name
  outside letters, digits, ``-`` and ``_`` -> chain ``9314`` / ``9315``, the emulator's own codes. Content is kept as sent,
  except (#6c) that a quoted character-string longer than 255 bytes is split into 255-byte strings;
  bare (unquoted) content is stored as sent.
* **Read-only records**: records whose ``meta`` has ``read_only`` or ``managed_by_apps`` true refuse
  PUT/PATCH/DELETE (also in a batch) with ``400 81046 "This record is managed by Cloudflare or an app and is
  read-only."``. ``auto_added`` alone does not lock a record.
* **Batch over the limit** (#15): ``400 81070 "Too many operations in one batch: N; the maximum for this
  zone's plan is L."``, nothing applied. Limit 200 on Free, 3,500 on paid plans, ``batch_limit`` overrides.
* **Failing batch operation** (#16): all changes rolled back; the answer is the failing operation's own
  status and error with its message prefixed by the operation, e.g. ``posts[3]: An identical record
  already exists.`` (``error_chain`` unchanged). Operations run deletes -> patches -> puts -> posts, each
  seeing the effect of the earlier ones; ``deletes`` in the result are the records as they were.
* **Pagination out of range** (#18): ``per_page`` is clamped (dns_records 1..5,000,000, zones 5..50) and the
  effective value is reported in ``result_info.per_page``; ``page < 1`` is treated as 1; a page past the end
  is an empty list; non-integers -> ``400 1002``. ``total_pages`` is at least 1 (#19). Default record order
  is type, then name, then content.
* **Proxied records** get ``ttl`` 1 (automatic); only A/AAAA/CNAME are ``proxiable``.
* **Rate limit** (#14, #14b, ``ratelimit``): 1,200 requests per 5 minutes per *user*, counted over all the
  user's tokens (``token_owners``: token -> user; a token not listed, such as an account-owned token, has its
  own budget); the request that finds it spent starts a block of five minutes (``rate_limit_block``) during
  which every call of that user gets ``429 971``; and 200 requests a second per client address
  (``ip_rate_limit``, on whenever ``rate_limit`` is). On every answer ``Ratelimit: "default";r=<remaining>;
  t=<seconds to reset>`` and ``Ratelimit-Policy: "default";q=<quota>;w=<window>``, and ``Retry-After``
  (seconds, rounded up) on the 429: Cloudflare changelog 2025-09-03 and fundamentals/api/reference/limits.
  Authenticated answers carry the user's budget; answers to requests without a valid token (#11, #12a,
  #12b: there is no user to count them against) carry the per-address budget, named ``"ip"`` (chosen: no
  real answer quoted). No ``x-ratelimit-*`` headers: Cloudflare documents none.
* **Legacy key auth**: ``X-Auth-Email`` + ``X-Auth-Key`` (octoDNS's ``email``/``token`` form) is accepted when
  the key is one of the configured tokens, else ``403 9103 "Unknown X-Auth-Key or X-Auth-Email"``.
* **Order of checks** per request: stats, latency, injected fault, per-address limit, auth, per-user limit, routing.
* ``GET /zones/{id}/pagerules`` and ``/settings`` answer an empty list; ``POST /zones`` creates a zone
  (``400 1061 "<name> already exists"`` if present). Other methods on known routes: ``405 10405``.
* ``GET /zones/{id}/dns_records/export`` answers the zone as Cloudflare's BIND export writes it (``text/plain``,
  no envelope; the layout and its sources in ``export``).
* State: with ``state_path``, an existing file is loaded (and ``seed`` ignored), then ``zones`` are ensured;
  the whole state is written atomically after each successful mutation.
"""
