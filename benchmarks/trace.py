"""Time chain reconstruction: against store size, against chain depth, and against a client that
has only the standard query interface.

For each store size, a copy of the cached store (benchmarks/stores.py: synthetic chains of 25
events, every kind of lineage edge) receives the robusta chain of the evidence study
(tests/trace/robusta.py) through the capture service, and these are timed (p50 / p95 of `runs`):

- trace back from lot RC-2701 to its seven plots: the engine alone (`run_trace`), and the whole
  HTTP answer (`GET /traces/back`, in-process ASGI client, JSON included);
- the same trace done the way a client of a repository without tracing must: one standard query
  per lot (`GET /events?MATCH_outputEPCClass=...` for the transformation that made it, then
  `MATCH_epcClass` with `EQ_action=ADD` for its origin), following inputs and allocating
  quantities itself, timed taking turns with ours; the ratio of the two, and how many queries it
  took;
- trace back from a retailer pallet and forward from plot Q3 (whole answers).

Against depth: linear chains of 1 to 64 transformations, each lot made from the previous one,
traced back from the last lot (engine alone) in the smallest store.

With EPCIS_TEST_MONGODB_URI set, the in-process figures are taken on MongoDB too, in the database of
each size that benchmarks/stores.py fills with the same generated events, the robusta chain captured
into it the first time (through the API).

Usage: python benchmarks/trace.py [--sizes 10000,100000,1000000] [--runs 30] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the robusta chain lives with the tests

from stores import copy_store, mongodb_database, mongodb_uri, sqlite_store

from capture import Server
from epcis_repo.api.app import create_app
from epcis_repo.capture.schema import SchemaValidator
from epcis_repo.capture.service import CaptureService
from epcis_repo.capture.validation import check_document
from epcis_repo.epcis.identifiers import canonical_key
from epcis_repo.epcis.rendering import CompanyPrefixes
from epcis_repo.settings import Settings
from epcis_repo.storage.port import Behaviour, EventStore
from epcis_repo.storage.sqlite import SqliteEventStore
from epcis_repo.trace.engine import run_trace
from epcis_repo.trace.result import Direction, TraceRequest
from tests.conftest import EpcisClient
from tests.trace import robusta

DEPTHS = (1, 2, 4, 8, 16, 32, 64)
Json = dict[str, Any]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 3),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
    }


async def timed_async(runs: int, work: Callable[[], Awaitable[object]]) -> dict[str, float]:
    await work()  # warm up
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - began) * 1000)
    return percentiles(samples)


def timed(runs: int, work: Callable[[], object]) -> dict[str, float]:
    return interleaved(runs, {"": work})[""]


async def capture(store: EventStore, documents: list[Json]) -> None:
    service = CaptureService(store, CompanyPrefixes())
    schema = SchemaValidator.load()
    for document in documents:
        job = await service.capture(check_document(document, schema), Behaviour.ROLLBACK)
        assert job.success, job.errors


# --- the client-side way --------------------------------------------------------------------------------


Get = Callable[[str, dict[str, str]], Json]  # a GET of a path with query parameters -> the JSON answer


def in_process_get(client: EpcisClient) -> Get:
    def get(path: str, params: dict[str, str]) -> Json:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        found: Json = response.json()
        return found

    return get


def http_get(server: Server) -> Get:
    def get(path: str, params: dict[str, str]) -> Json:
        status, _, body = server.request("GET", f"{path}?{urlencode(params)}")
        assert status == 200, body[:500]
        found: Json = orjson.loads(body)
        return found

    return get


class ClientSideTrace:
    """Trace back with standard queries only, as a client of a repository without tracing must."""

    def __init__(self, get: Get) -> None:
        self.get = get
        self.queries = 0

    def events(self, **params: str) -> list[Json]:
        self.queries += 1
        answer = self.get("/events", {**params, "perPage": "1000"})
        found: list[Json] = answer["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        return found

    def back(self, lot: str, quantity: float, origins: dict[str, float]) -> None:
        made = self.events(MATCH_outputEPCClass=lot, eventType="TransformationEvent")
        if made:
            for event in made:
                outputs = sum(q.get("quantity", 0) for q in event.get("outputQuantityList", ()))
                for used in event.get("inputQuantityList", ()):
                    self.back(used["epcClass"], quantity * used["quantity"] / outputs, origins)
            return
        created = self.events(MATCH_epcClass=lot, EQ_action="ADD", eventType="ObjectEvent")
        if created:
            origins[lot] = origins.get(lot, 0.0) + quantity


# --- measurements -----------------------------------------------------------------------------------------


def compared(runs: int, get: Get) -> tuple[dict[str, Any], int]:
    """Our GET /traces/back against the client-side way, through one way of sending requests."""
    client_side = ClientSideTrace(get)

    def ours() -> list[Json]:
        origins: list[Json] = get("/traces/back", {"id": robusta.RC_2701})["origins"]
        assert len(origins) == 7, origins
        return origins

    def theirs() -> dict[str, float]:
        origins: dict[str, float] = {}
        client_side.back(robusta.RC_2701, 16150.0, origins)
        assert len(origins) == 7, origins
        return origins

    # Once, outside the timed runs: both ways find the same origins.
    found = {canonical_key(origin["id"]) for origin in ours()}
    by_queries = {canonical_key(lot) for lot in theirs()}
    assert found == by_queries, f"the two ways found other origins: {found ^ by_queries}"
    queries = client_side.queries  # of one client-side trace
    figures = interleaved(runs, {"ours": ours, "client-side": theirs})
    return figures, queries


def ratio(figures: dict[str, Any]) -> float:
    """The client-side way's p50 over ours, of figures `compared` took."""
    return round(figures["client-side"]["p50"] / figures["ours"]["p50"], 2)


def interleaved(runs: int, ways: dict[str, Callable[[], object]]) -> dict[str, dict[str, float]]:
    """Each way timed `runs` times, taking turns, so that a machine slowing down or speeding up in
    the meantime weighs on every way alike (the ratio of the two is the figure that matters)."""
    for work in ways.values():
        work()  # warm up
    samples: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(runs):
        for name, work in ways.items():
            began = time.perf_counter()
            work()
            samples[name].append((time.perf_counter() - began) * 1000)
    return {name: percentiles(times) for name, times in samples.items()}


def measure_size(size: int, runs: int) -> Json:
    with tempfile.TemporaryDirectory() as directory:
        path = copy_store(sqlite_store(size), Path(directory))

        async def prepare() -> None:
            store = SqliteEventStore(path)
            await store.open()
            try:
                await capture(store, robusta.DOCUMENTS)
            finally:
                await store.close()

        asyncio.run(prepare())
        with EpcisClient(create_app(Settings(data_dir=path.parent))) as client:
            figures, queries, in_process_ratio = in_process(client, runs)
        with Server(path.parent) as server:  # a real server and client: HTTP over a local socket
            over_http, _ = compared(runs, http_get(server))
        figures["back from RC-2701, GET /traces/back over HTTP"] = over_http["ours"]
        figures["back from RC-2701, client-side over HTTP"] = over_http["client-side"]
    return {
        "size": size,
        "figures": figures,
        "client_side_queries": queries,
        "client_side_ratio": in_process_ratio,
        "client_side_ratio_http": ratio(over_http),
    }


def measure_mongodb(size: int, runs: int) -> Json:
    """The in-process figures of `measure_size` on the MongoDB database at EPCIS_TEST_MONGODB_URI holding
    the same generated events, and the robusta chain (captured into it the first time)."""
    settings = Settings(mongodb_uri=mongodb_uri(), mongodb_database=mongodb_database(size))
    with EpcisClient(create_app(settings)) as client:
        if not ClientSideTrace(in_process_get(client)).events(MATCH_anyEPCClass=robusta.RC_2701):
            for document in robusta.DOCUMENTS:
                job = client.capture(document)
                assert job["success"], job
        figures, queries, in_process_ratio = in_process(client, runs)
    return {
        "size": size,
        "figures": figures,
        "client_side_queries": queries,
        "client_side_ratio": in_process_ratio,
    }


def in_process(client: EpcisClient, runs: int) -> tuple[Json, int, float]:
    """The figures taken through the in-process client, how many queries the client-side way took, and
    its time over ours."""
    store = client.app.state.repository.store  # type: ignore[attr-defined]
    back = TraceRequest(robusta.RC_2701, Direction.BACK)

    async def engine() -> None:
        found = await run_trace(store, back)
        assert found is not None and len(found.origins) == 7

    get = in_process_get(client)

    def answer(direction: str, target: str) -> Callable[[], object]:
        return lambda: get(f"/traces/{direction}", {"id": target})

    taking_turns, queries = compared(runs, get)
    figures = {
        "back from RC-2701, engine": client.portal.call(timed_async, runs, engine),
        "back from RC-2701, GET /traces/back": taking_turns["ours"],
        "back from RC-2701, client-side with standard queries": taking_turns["client-side"],
        "back from a retailer pallet, GET /traces/back": timed(
            runs, answer("back", robusta.RETAILER_PALLETS[0])
        ),
        "forward from plot Q3, GET /traces/forward": timed(runs, answer("forward", robusta.PLOTS["Q3"])),
    }
    return figures, queries, ratio(taking_turns)


def linear_chain(depth: int) -> list[Json]:
    """A lot created on a plot, then `depth` transformations, each making the next lot from the last."""
    prefix = "9599999"

    def lot(n: int) -> str:
        return f"urn:epc:class:lgtin:{prefix}.000010.D{depth}-{n}"

    def at(n: int) -> dict[str, str]:
        return {"eventTime": f"2027-06-01T00:{n // 60:02d}:{n % 60:02d}Z", "eventTimeZoneOffset": "+00:00"}

    events: list[Json] = [
        {"type": "ObjectEvent", **at(0), "action": "ADD", "bizStep": "creating_class_instance",
         "bizLocation": {"id": f"urn:epc:id:sgln:{prefix}.00001.0"},
         "quantityList": [{"epcClass": lot(0), "quantity": 1000, "uom": "KGM"}]},
    ]  # fmt: skip
    for n in range(1, depth + 1):
        events.append(
            {
                "type": "TransformationEvent",
                **at(n),
                "bizStep": "commissioning",
                "inputQuantityList": [{"epcClass": lot(n - 1), "quantity": 1000, "uom": "KGM"}],
                "outputQuantityList": [{"epcClass": lot(n), "quantity": 1000, "uom": "KGM"}],
            }
        )
    return [
        {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2027-06-01T00:00:00Z",
            "epcisBody": {"eventList": events},
        }
    ]


def measure_depth(size: int, runs: int) -> list[Json]:
    from epcis_repo.epcis.identifiers import canonical_key

    cached = sqlite_store(size)

    async def work() -> list[Json]:
        with tempfile.TemporaryDirectory() as directory:
            store = SqliteEventStore(copy_store(cached, Path(directory)))
            await store.open()
            try:
                rows = []
                for depth in DEPTHS:
                    await capture(store, linear_chain(depth))
                    target = canonical_key(f"urn:epc:class:lgtin:9599999.000010.D{depth}-{depth}")

                    request = TraceRequest(target, Direction.BACK, depth=2 * depth + 2)

                    async def trace(request: TraceRequest = request) -> None:
                        found = await run_trace(store, request)
                        assert found is not None and len(found.origins) == 1

                    rows.append({"depth": depth, **await timed_async(runs, trace)})
                return rows
            finally:
                await store.close()

    return asyncio.run(work())


def run(sizes: list[int], runs: int = 30) -> Json:
    return {
        "name": "trace",
        "sizes": [measure_size(size, runs) for size in sizes],
        "mongodb": [measure_mongodb(size, runs) for size in sizes] if mongodb_uri() else [],
        "depth": {"store_size": min(sizes), "rows": measure_depth(min(sizes), runs)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = run([int(s) for s in args.sizes.split(",")], args.runs)
    for store, rows in (("SQLite", results["sizes"]), ("MongoDB", results["mongodb"])):
        for row in rows:
            print(f"{store}, {row['size']:,} stored events (p50 / p95 ms)")
            for name, figure in row["figures"].items():
                print(f"  {name:<56} {figure['p50']:8.2f} / {figure['p95']:8.2f}")
            over_http = (
                f", x{row['client_side_ratio_http']} (over HTTP)" if "client_side_ratio_http" in row else ""
            )
            print(
                f"  client-side: {row['client_side_queries']} queries, x{row['client_side_ratio']} our time "
                f"(in process){over_http}"
            )
    print(f"against depth ({results['depth']['store_size']:,} stored events, engine, p50 / p95 ms)")
    for row in results["depth"]["rows"]:
        print(f"  {row['depth']:>3} transformations  {row['p50']:8.2f} / {row['p95']:8.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
