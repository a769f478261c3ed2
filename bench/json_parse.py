"""`python -m bench.json_parse`: how fast a record listing is parsed as it streams in (64 KB chunks, as
httpx hands them over), for a listing holding one huge string and for a 100,000-record listing.

zonesync's reader (`zonesync.cloudflare.jsonstream`) against json.loads of the whole body (the floor) and,
when ijson is installed, the two ijson C parsers zonesync used before (records + result_info): ijson
re-scans a token cut by a chunk boundary on every chunk, so one huge string costs quadratic time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from zonesync.cloudflare.jsonstream import parse_object

CHUNK = 65536


def chunks(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), CHUNK):
        yield data[i : i + CHUNK]


def zonesync_reader(data: bytes) -> None:
    parse_object(chunks(data), "result", lambda item: None)


def ijson_two_parsers(data: bytes) -> None:
    import ijson

    items: list = ijson.sendable_list()
    infos: list = ijson.sendable_list()
    parsers = (ijson.items_coro(items, "result.item", use_float=True), ijson.items_coro(infos, "result_info"))
    for chunk in chunks(data):
        for parser in parsers:
            parser.send(chunk)
        del items[:]
    for parser in parsers:
        parser.close()


def whole(data: bytes) -> None:
    json.loads(data)


def listing(records: list[dict]) -> bytes:
    info = {
        "page": 1,
        "per_page": 5_000_000,
        "count": len(records),
        "total_count": len(records),
        "total_pages": 1,
    }
    body = {"result": records, "success": True, "errors": [], "messages": [], "result_info": info}
    return json.dumps(body).encode()


def huge(mb: int) -> bytes:
    return listing(
        [{"id": "a", "type": "TXT", "name": "t.example.com", "content": "x" * (mb << 20), "ttl": 1}]
    )


def many(n: int) -> bytes:
    return listing(
        [
            {"id": f"{i:032x}", "type": "A", "name": f"h{i}.example.com", "content": f"10.0.{i >> 8}.{i & 255}",
             "proxiable": True, "proxied": False, "ttl": 300, "settings": {}, "meta": {}, "comment": None,
             "tags": [], "created_on": "2026-01-01T00:00:00.000000Z", "modified_on": "2026-01-01T00:00:00.000000Z"}
            for i in range(n)
        ]
    )  # fmt: skip


def seconds(parse: Callable[[bytes], None], data: bytes) -> float:
    start = time.perf_counter()
    parse(data)
    return time.perf_counter() - start


def main() -> None:
    parsers: dict[str, Callable[[bytes], None]] = {"zonesync": zonesync_reader, "json.loads": whole}
    try:
        import ijson  # noqa: F401

        parsers["ijson (before)"] = ijson_two_parsers
    except ImportError:
        pass
    cases = [(f"one {mb} MB string", lambda mb=mb: huge(mb)) for mb in (20, 40, 80)]
    cases.append(("100,000 records", lambda: many(100_000)))
    print(f"{'listing':<20}" + "".join(f"{name:>16}" for name in parsers))
    for label, make in cases:
        data = make()
        print(f"{label:<20}" + "".join(f"{seconds(p, data):>15.2f}s" for p in parsers.values()), flush=True)


if __name__ == "__main__":
    main()
