"""Time the query interface on filled SQLite stores: one page of 100 events for each class of query.

Each store is a cached one of benchmarks/stores.py (whole synthetic supply chains of
benchmarks/generator.py, seed 2027, captured through the capture service). The repository runs
in-process (`create_app` on the store's folder, driven by `fastapi.testclient.TestClient`); the
benchmark only reads, except that it creates its named queries through POST /queries and deletes
them again at the end. Every run asks with a fresh random value drawn from the chains the store holds
(so every class returns events; a run that returned none would show in the report):

1. `any_epc`: `MATCH_anyEPC` for one pallet or container (all its events: 3 to 4);
2. `shipping_week`: `GE_eventTime`/`LT_eventTime` one week (placed to hold one chain's shipment)
   with `EQ_bizStep=shipping`;
3. `moisture`: the ILMD extension field `GE_ILMD_ex:moisture` at the moisture of one farm lot;
4. `moisture_harvest`: the same with `EQ_ILMD_ex:harvestStart` (every lot shares the date: the
   second condition on an extension field costs, it does not narrow);
5. `sensor_kelvin`: `EQ_type=Temperature` and `GE_value_KEL` just below one shipment's reading,
   which was captured in CEL (the query converts units);
6. `named_first`: the first page of a named query stored once per company
   (`EQ_bizLocation` = the company's four sites), GET /queries/{name}/events;
7. `named_next`: the page after it, with the nextPageToken the first page gave;
8. `org_any_epc`, `org_shipping_week`, `org_sensor_kelvin`: classes 1, 2 and 5 asked with the key of
   an organisation that captured every other chain (a copy of the store, `attribute`), for values
   of its own chains: the visibility conditions of docs/security.md apply to every read.

Three figures per class, each the p50 and p95 in milliseconds over `runs` runs (after 3 untimed
warm-up runs), with perPage=100. The in-process runs go first, then the HTTP runs ask the same values
again (and must return as many events):

- `query`: `query.service.run_query` on the application's store, as GET /events calls it (with the
  caller's visibility, for an organisation): parsing the
  parameters (and, for a named query, reading its definition), resolving them, and the store's read
  of the page (a hop to a reader thread; events come back as their stored JSON bytes). No rendering.
- `document`: `query` plus rendering the EPCISQueryDocument (`api.documents.query_document`, identifiers
  as Digital Links, the request's GS1-Extensions applied) — everything GET /events does but HTTP.
  It renders on the event loop, where the API moves pages of 100 or more to a thread.
- `http`: the whole request through the ASGI application: routing, middleware, headers, page token,
  the same work as `document`, and the response, through TestClient's in-process transport (no
  socket; a request that does no work, OPTIONS /events, takes about a millisecond through it).

Also reported: the median number of events a run returned (a class must return events), and the
growth of each p50 from the smallest store to the largest.

Usage: python benchmarks/queries.py [--sizes 10000,100000] [--runs 50] [--json FILE]
"""

from __future__ import annotations

import argparse
import functools
import gc
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the suite's client

from generator import CHAIN_EVENTS, Chain, SupplyChains
from stores import SEED, copy_store, mongodb_database, mongodb_uri, sqlite_store

from epcis_repo.api.app import create_app
from epcis_repo.api.deps import Repository
from epcis_repo.api.documents import query_document
from epcis_repo.api.security import Caller, reader
from epcis_repo.auth.model import Principal, Role
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.rendering import EpcFormat, ExtensionPrefixes, OutputControl
from epcis_repo.query.named import definition_params
from epcis_repo.query.service import run_query
from epcis_repo.query.tokens import PageToken
from epcis_repo.settings import Settings
from tests.conftest import EpcisClient

PER_PAGE = 100
WARMUP = 3
FIGURES = ("query", "document", "http")
EXTENSIONS = {"ex": "https://ns.example.org/bench/"}
HEADERS = {"GS1-Extensions": ", ".join(f"{p}={ns}" for p, ns in EXTENSIONS.items())}
# What the API makes of those headers (api.headers.output_control).
OUTPUT = OutputControl(EpcFormat.ALWAYS_GS1_DIGITAL_LINK, ExtensionPrefixes(EXTENSIONS))
COMPANIES = 50  # generator.COMPANIES: chain k belongs to company k % 50
NAMED_PREFIX = "bench-sites-"
WEEK = timedelta(days=7)
# Each company's named query matches 19 events of each of its chains: 6 chains give a second page.
MIN_EVENTS = 6 * COMPANIES * CHAIN_EVENTS

Params = dict[str, list[str]]


# --- the random values --------------------------------------------------------------------------------


class Draws:
    """Query values drawn at random from the chains a store of `events` events holds."""

    def __init__(self, events: int, rng: random.Random) -> None:
        self.chains = events // CHAIN_EVENTS
        self.rng = rng

    def chain(self) -> Chain:
        return _chain(self.rng.randrange(self.chains))

    def any_epc(self) -> Params:
        chain = self.chain()
        return {"MATCH_anyEPC": [self.rng.choice([*chain.pallets, chain.container])]}

    def shipping_week(self) -> Params:
        shipped = next(e for e in self.chain().events if e.get("bizStep") == "shipping")
        start = _instant(shipped["eventTime"]) - timedelta(hours=self.rng.randrange(7 * 24))
        return {
            "GE_eventTime": [_text(start)],
            "LT_eventTime": [_text(start + WEEK)],
            "EQ_bizStep": ["shipping"],
        }

    def moisture(self) -> Params:
        lot = self.rng.choice([e for e in self.chain().events if "ilmd" in e])
        return {"GE_ILMD_ex:moisture": [str(lot["ilmd"]["ex:moisture"])]}

    def moisture_harvest(self) -> Params:
        lot = self.rng.choice([e for e in self.chain().events if "ilmd" in e])
        return {
            "GE_ILMD_ex:moisture": [str(lot["ilmd"]["ex:moisture"])],
            "EQ_ILMD_ex:harvestStart": [lot["ilmd"]["ex:harvestStart"]],
        }

    def sensor_kelvin(self) -> Params:
        shipped = next(e for e in self.chain().events if "sensorElementList" in e)
        reports = shipped["sensorElementList"][0]["sensorReport"]
        (reading,) = (report for report in reports if report["type"] == "Temperature")
        assert reading["uom"] == "CEL"
        kelvin = reading["value"] - 0.05 + 273.15  # just below the reading, so it matches
        return {"EQ_type": ["Temperature"], "GE_value_KEL": [f"{kelvin:.2f}"]}

    def company(self) -> int:
        return self.rng.randrange(min(self.chains, COMPANIES))


class OrganisationDraws(Draws):
    """Values from the chains the organisation captured: every other one (`attribute`)."""

    def chain(self) -> Chain:
        return _chain(2 * self.rng.randrange((self.chains + 1) // 2))


ORGANISATION = "bench-org"


def attribute(path: Path) -> None:
    """Make every other chain of the SQLite store at `path` the organisation's (its rows are numbered in
    capture order, a chain's 25 events one after the other)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(
                f"UPDATE events SET captured_by = ? WHERE ((id - 1) / {CHAIN_EVENTS}) % 2 = 0",
                (ORGANISATION,),
            )
    finally:
        conn.close()


@functools.lru_cache(maxsize=4096)
def _chain(k: int) -> Chain:
    return SupplyChains(SEED).chain(k)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def company_sites(company: int) -> list[str]:
    """The four sites (collector, processor, importer, retailer) of a company, as its chains write them."""
    chain = _chain(company)
    located = (e["bizLocation"]["id"] for e in chain.events if "bizLocation" in e)
    return [site for site in dict.fromkeys(located) if site not in chain.plots]


# GET /events classes: name -> how one run's parameters are drawn.
EVENT_CLASSES: dict[str, Callable[[Draws], Params]] = {
    "any_epc": Draws.any_epc,
    "shipping_week": Draws.shipping_week,
    "moisture": Draws.moisture,
    "moisture_harvest": Draws.moisture_harvest,
    "sensor_kelvin": Draws.sensor_kelvin,
}
# Classes asked again by an organisation (`org_` + the name).
ORGANISATION_CLASSES = ("any_epc", "shipping_week", "sensor_kelvin")


# --- timing -----------------------------------------------------------------------------------------


@dataclass
class Samples:
    """Milliseconds of each figure, and the events each run returned (warm-up runs left out)."""

    ms: dict[str, list[float]]
    events: list[int]

    @classmethod
    def empty(cls) -> Samples:
        return cls({figure: [] for figure in FIGURES}, [])

    def add(self, run: int, events: int | None = None, **ms: float) -> None:
        if run < WARMUP:
            return
        for figure, value in ms.items():
            self.ms[figure].append(value)
        if events is not None:
            self.events.append(events)

    def check(self, returned: list[int], what: str) -> None:
        """The HTTP runs (the same values) must have returned what the in-process runs did."""
        if returned[WARMUP:] != self.events:
            raise RuntimeError(f"{what} returned {returned[WARMUP:]}, in-process {self.events}")


async def in_process(
    repository: Repository,
    params: Params,
    prefixes: dict[str, str],
    token: PageToken | None = None,
    caller: Caller | None = None,
) -> tuple[float, float, int, PageToken | None]:
    """One page as GET /events computes it: milliseconds to query, and to query and render."""
    declared = {**namespaces(None), **OUTPUT.extensions.by_prefix, **prefixes}
    visible, sources = (caller.visible, caller.master_data) if caller else (None, None)
    began = time.perf_counter()
    page = await run_query(repository.store, params, declared, PER_PAGE, token, visible, sources)
    queried = time.perf_counter()
    query_document(page.events, OUTPUT, repository.prefixes)
    rendered = time.perf_counter()
    return (queried - began) * 1000, (rendered - began) * 1000, len(page.events), page.next_token


async def named_in_process(
    repository: Repository, name: str, token: PageToken | None = None
) -> tuple[float, float, int, PageToken | None]:
    """One page of a named query as GET /queries/{name}/events computes it (its definition read too)."""
    began = time.perf_counter()
    stored = await repository.store.get_named_query(name)
    assert stored is not None
    params, prefixes = definition_params(orjson.loads(stored.definition))
    read_ms = (time.perf_counter() - began) * 1000
    query_ms, document_ms, count, following = await in_process(repository, params, prefixes, token)
    return read_ms + query_ms, read_ms + document_ms, count, following


def http_get(
    client: TestClient, url: str, params: Params | None = None, key: str | None = None
) -> tuple[float, int, str | None]:
    """GET a page (with `key`, else the client's): milliseconds, events returned, and the URL of the
    next page (Link header)."""
    # No params at all for a next-page URL: an empty list would replace its query string.
    query = [(name, value) for name, values in params.items() for value in values] if params else None
    headers = HEADERS if key is None else {**HEADERS, "Authorization": f"Bearer {key}"}
    began = time.perf_counter()
    response = client.get(url, params=query, headers=headers)
    ms = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} {query}: {response.status_code} {response.text[:500]}")
    events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    link = response.headers.get("Link")
    return ms, len(events), link[1 : link.index(">")] if link else None


def measure_events(
    client: TestClient, values: list[Params], key: str | None = None, caller: Caller | None = None
) -> Samples:
    """GET /events with each of `values`: in-process first, then over HTTP (as `caller`, with its
    `key`, or as the client's administrator)."""
    repository: Repository = client.app.state.repository  # type: ignore[attr-defined]
    samples = Samples.empty()
    gc.collect()  # not the garbage of earlier classes

    async def in_process_runs() -> None:
        for run, params in enumerate(values):
            query_ms, document_ms, count, _ = await in_process(repository, params, {}, caller=caller)
            samples.add(run, count, query=query_ms, document=document_ms)

    client.portal.call(in_process_runs)  # type: ignore[union-attr]  # on the application's event loop
    returned = []
    for run, params in enumerate(values):
        ms, count, _ = http_get(client, "/events", {**params, "perPage": [str(PER_PAGE)]}, key)
        samples.add(run, http=ms)
        returned.append(count)
    samples.check(returned, "GET /events")
    return samples


def measure_named(client: TestClient, companies: list[int]) -> tuple[Samples, Samples]:
    """The first page of each company's named query, then the page after it."""
    repository: Repository = client.app.state.repository  # type: ignore[attr-defined]
    first, following = Samples.empty(), Samples.empty()
    gc.collect()

    async def in_process_runs() -> None:
        for run, company in enumerate(companies):
            name = f"{NAMED_PREFIX}{company}"
            query_ms, document_ms, count, token = await named_in_process(repository, name)
            assert token is not None, f"{name} has a single page"
            first.add(run, count, query=query_ms, document=document_ms)
            query_ms, document_ms, count, _ = await named_in_process(repository, name, token)
            following.add(run, count, query=query_ms, document=document_ms)

    client.portal.call(in_process_runs)  # type: ignore[union-attr]
    returned: tuple[list[int], list[int]] = ([], [])
    for run, company in enumerate(companies):
        url = f"/queries/{NAMED_PREFIX}{company}/events"
        ms, count, next_url = http_get(client, url, {"perPage": [str(PER_PAGE)]})
        assert next_url is not None, f"{url} has a single page"
        first.add(run, http=ms)
        returned[0].append(count)
        ms, count, _ = http_get(client, next_url)
        following.add(run, http=ms)
        returned[1].append(count)
    first.check(returned[0], "GET /queries/{name}/events")
    following.check(returned[1], "GET /queries/{name}/events?nextPageToken")
    return first, following


def save_named_queries(client: TestClient, companies: int) -> None:
    for company in range(companies):
        name = f"{NAMED_PREFIX}{company}"
        client.delete(f"/queries/{name}")  # left by an interrupted run
        definition = {"name": name, "query": {"EQ_bizLocation": company_sites(company)}}
        response = client.post("/queries", json=definition)
        if response.status_code != 201:
            raise RuntimeError(f"POST /queries {name}: {response.status_code} {response.text[:500]}")


def delete_named_queries(client: TestClient, companies: int) -> None:
    for company in range(companies):
        client.delete(f"/queries/{NAMED_PREFIX}{company}")


# --- the report -------------------------------------------------------------------------------------


def summary(samples: Samples) -> dict[str, Any]:
    figures = {
        figure: {"p50": round(statistics.median(ms), 3), "p95": round(_p95(ms), 3)}
        for figure, ms in samples.ms.items()
    }
    return {**figures, "events": statistics.median(samples.events), "empty_runs": samples.events.count(0)}


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def measure_store(events: int, runs: int, mongodb: bool = False) -> dict[str, Samples]:
    """The samples of every class on the SQLite store of `events` events (or the MongoDB database at
    EPCIS_TEST_MONGODB_URI filled with the same events)."""
    if mongodb:
        settings = Settings(mongodb_uri=mongodb_uri(), mongodb_database=mongodb_database(events))
    else:
        settings = Settings(data_dir=sqlite_store(events).parent)
    draws = Draws(events, random.Random(events))
    companies = min(draws.chains, COMPANIES)
    measured: dict[str, Samples] = {}
    with EpcisClient(create_app(settings)) as client:  # sends an admin key
        save_named_queries(client, companies)
        try:
            for name, draw in EVENT_CLASSES.items():
                values = [draw(draws) for _ in range(WARMUP + runs)]
                measured[name] = measure_events(client, values)
            chosen = [draws.company() for _ in range(WARMUP + runs)]
            measured["named_first"], measured["named_next"] = measure_named(client, chosen)
        finally:
            delete_named_queries(client, companies)
    if not mongodb:
        measured |= measure_organisation(events, runs)
    return measured


def measure_organisation(events: int, runs: int) -> dict[str, Samples]:
    """The organisation's classes, on a copy of the SQLite store of `events` events it captured half of."""
    draws = OrganisationDraws(events, random.Random(events + 1))
    measured: dict[str, Samples] = {}
    with tempfile.TemporaryDirectory(prefix="epcis-queries-bench-") as folder:
        path = copy_store(sqlite_store(events), Path(folder))
        attribute(path)
        with EpcisClient(create_app(Settings(data_dir=path.parent))) as client:
            key = client.new_key(ORGANISATION, Role.QUERY)
            repository: Repository = client.app.state.repository  # type: ignore[attr-defined]
            principal = Principal("bench", ORGANISATION, frozenset({Role.QUERY}))
            caller = client.portal.call(reader, repository.access, principal)  # type: ignore[union-attr]
            for name in ORGANISATION_CLASSES:
                values = [EVENT_CLASSES[name](draws) for _ in range(WARMUP + runs)]
                measured[f"org_{name}"] = measure_events(client, values, key, caller)
    return measured


def run(sizes: list[int], runs: int = 50) -> dict[str, Any]:
    """p50/p95 milliseconds of each query class (and events returned) on a store of each size."""
    sizes = sorted(sizes)
    by_size = {size: measure_store(size, runs) for size in sizes}
    on_mongodb = {size: measure_store(size, runs, mongodb=True) for size in sizes} if mongodb_uri() else {}
    classes: dict[str, Any] = {}
    for name in by_size[sizes[0]]:
        results = {str(size): summary(by_size[size][name]) for size in sizes}
        smallest, largest = results[str(sizes[0])], results[str(sizes[-1])]
        growth = {figure: round(largest[figure]["p50"] / smallest[figure]["p50"], 2) for figure in FIGURES}
        classes[name] = {"sizes": results, "growth_p50": growth}
        if on_mongodb and name in on_mongodb[sizes[0]]:
            classes[name]["mongodb"] = {str(size): summary(on_mongodb[size][name]) for size in sizes}
    return {"per_page": PER_PAGE, "runs": runs, "warmup": WARMUP, "sizes": sizes, "classes": classes}


def print_report(report: dict[str, Any]) -> None:
    sizes = report["sizes"]
    print(f"page of {report['per_page']}; p50 / p95 ms over {report['runs']} runs; events: median returned")
    header = f"{'class':<17} {'events':>8} " + " ".join(f"{figure + ' p50/p95':>17}" for figure in FIGURES)
    print(header)
    for name, result in report["classes"].items():
        for size in sizes:
            row = result["sizes"][str(size)]
            figures = " ".join(f"{row[f]['p50']:8.2f}/{row[f]['p95']:<8.2f}" for f in FIGURES)
            flag = f"  ({row['empty_runs']} empty)" if row["empty_runs"] else ""
            print(f"{name:<17} {row['events']:>8g} {figures}  @{size:,}{flag}")
        if len(sizes) > 1:
            growth = " ".join(f"{result['growth_p50'][f]:>17.2f}" for f in FIGURES)
            print(f"{'  growth p50':<17} {'':>8} {growth}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="store sizes in events, comma-separated")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if min(sizes) < MIN_EVENTS:
        parser.error(f"a store needs at least {MIN_EVENTS} events (a second page for every named query)")
    report = run(sizes, args.runs)
    print_report(report)
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        print(f"written to {args.json}")
    for name, result in report["classes"].items():
        for size, row in result["sizes"].items():
            if row["events"] == 0:
                sys.exit(f"{name} returned no events on the store of {size}: the benchmark is broken")


if __name__ == "__main__":
    main()
