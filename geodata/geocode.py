"""Addresses to RD points with PDOK Locatieserver (free, no key), asked only when the user says so, remembered in a JSON cache.

The service: ``GET https://api.pdok.nl/bzk/locatieserver/search/v3_1/free?q=…&fq=type:adres&rows=…&fl=…``
answers ``{"response": {"numFound", "start", "maxScore", "numFoundExact", "docs": [...]}}``; an address document
has ``type`` (``adres``), ``weergavenaam`` (``Bolognalaan 101, 3584CJ Utrecht``), ``score``, ``centroide_rd``
(``POINT(x y)``, EPSG:28992: the BAG address point), ``centroide_ll`` (the same in WGS84), ``postcode``,
``huisnummer``, ``huis_nlt``, ``straatnaam``, ``woonplaatsnaam``, ``gemeentecode`` and ``gemeentenaam``.
A document is only taken when it is the address asked for (house number, postcode or street and place agree);
PDOK's best guess for an address that does not exist is another address, never ours.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from geodata.codes import name_key
from geodata.crs import LONLAT_TO_RD
from geodata.errors import InputError
from geodata.postcodes import HouseNumber, Postcode, parse_huisnummer, parse_postcode, split_street_number

PDOK_FREE_URL = "https://api.pdok.nl/bzk/locatieserver/search/v3_1/free"
SERVICE = "PDOK Locatieserver v3.1 (free)"
FIELDS = (
    "id",
    "type",
    "weergavenaam",
    "score",
    "centroide_rd",
    "centroide_ll",
    "postcode",
    "huisnummer",
    "huis_nlt",
    "straatnaam",
    "woonplaatsnaam",
    "gemeentecode",
    "gemeentenaam",
)
ROWS = 5  # enough to find the asked-for number among a few additions (12, 12a, 12-1 …)
CACHE_VERSION = 1
USER_AGENT = "buurtdekking (team locations) python-urllib"
_POINT = re.compile(r"^\s*POINT\s*\(\s*([-\d.eE+]+)\s+([-\d.eE+]+)\s*\)\s*$")

# url, timeout in seconds → the response body; raises OSError (urllib.error.URLError is one) when the
# network or the server fails.
Fetch = Callable[[str, float], bytes]


@dataclass(frozen=True)
class AddressQuery:
    """One row's address, normalised; ``key`` names it in the cache, ``q`` is what PDOK is asked."""

    huisnummer: HouseNumber
    postcode: Postcode | None = None
    straat: str = ""
    plaats: str = ""

    @property
    def q(self) -> str:
        if self.postcode is not None and self.postcode.pc6:
            return f"{self.postcode.pc6} {self.huisnummer.text}"
        parts = [self.straat, self.huisnummer.text, self.postcode.pc4 if self.postcode else "", self.plaats]
        return " ".join(p for p in parts if p)

    @property
    def key(self) -> str:
        return re.sub(r"\s+", " ", self.q).strip().casefold()

    @property
    def text(self) -> str:
        """As a person reads it, for messages."""
        where = " ".join(p for p in (self.postcode.text if self.postcode else "", self.plaats) if p)
        if not self.straat:
            return f"{where} {self.huisnummer.text}"  # '3584 CJ 101': a PC6 and number name one address
        street = f"{self.straat} {self.huisnummer.text}"
        return f"{street}, {where}" if where else street


def address_query(
    *, postcode: str = "", huisnummer: str = "", straat: str = "", plaats: str = ""
) -> AddressQuery | None:
    """The geocodable address of one row, or None: a house number and a full postcode (PC6), or a street with a PC4
    or place. A street with its number in one cell (``Bolognalaan 101``) is split when no house number is given."""
    if straat and not huisnummer:
        straat, huisnummer = split_street_number(straat)
    number = parse_huisnummer(huisnummer) if huisnummer else None
    pc = parse_postcode(postcode) if postcode else None
    if number is None or (postcode and pc is None):
        return None
    straat, plaats = straat.strip(), plaats.strip()
    if pc is not None and pc.pc6:
        return AddressQuery(number, pc, straat, plaats)
    if straat and (pc is not None or plaats):
        return AddressQuery(number, pc, straat, plaats)
    return None


@dataclass(frozen=True)
class Answer:
    """What PDOK said about one address: ``found`` (with the RD point), ``not_found`` or ``failed`` (and why)."""

    status: Literal["found", "not_found", "failed"]
    x: float | None = None
    y: float | None = None
    label: str = ""
    score: float | None = None
    gemeentecode: str = ""
    reason_nl: str = ""
    reason_en: str = ""
    from_cache: bool = False

    @property
    def found(self) -> bool:
        return self.status == "found"


class Geocoder(Protocol):
    """Looks addresses up in bulk; answers keyed by ``AddressQuery.key``."""

    name: str

    def lookup(self, queries: Iterable[AddressQuery]) -> dict[str, Answer]: ...


def parse_point(wkt: object) -> tuple[float, float] | None:
    """``'POINT(140547.812 454887.397)'`` → (140547.812, 454887.397); None for anything else."""
    match = _POINT.match(str(wkt)) if isinstance(wkt, str) else None
    return (float(match.group(1)), float(match.group(2))) if match else None


def response_docs(body: bytes) -> list[dict[str, Any]]:
    """The documents of a free-service response; ValueError when the body is not that response."""
    payload = json.loads(body.decode("utf-8"))
    docs = payload.get("response", {}).get("docs") if isinstance(payload, dict) else None
    if not isinstance(docs, list):
        raise ValueError("no response.docs in the answer")
    return [{k: d[k] for k in FIELDS if k in d} for d in docs if isinstance(d, dict)]


def _same_number(doc: Mapping[str, Any], query: AddressQuery) -> bool:
    try:
        return int(doc.get("huisnummer", -1)) == query.huisnummer.number
    except (TypeError, ValueError):
        return False


def _same_street(doc: Mapping[str, Any], straat: str) -> bool:
    asked, got = name_key(straat), name_key(doc.get("straatnaam", ""))
    return bool(asked) and bool(got) and (asked == got or asked in got or got in asked)


def _same_place(doc: Mapping[str, Any], plaats: str) -> bool:
    asked = name_key(plaats)
    return asked in {name_key(doc.get("woonplaatsnaam", "")), name_key(doc.get("gemeentenaam", ""))}


def _matches(doc: Mapping[str, Any], query: AddressQuery) -> bool:
    if doc.get("type") != "adres" or not _same_number(doc, query):
        return False
    postcode = str(doc.get("postcode", "")).replace(" ", "").upper()
    if query.postcode is not None and query.postcode.pc6:
        return postcode == query.postcode.pc6
    if not _same_street(doc, query.straat):
        return False
    if query.postcode is not None:
        return postcode[:4] == query.postcode.pc4
    return _same_place(doc, query.plaats)


def _addition_key(text: object) -> str:
    return re.sub(r"[^0-9A-Z]", "", str(text).upper())


def answer_from_docs(docs: list[dict[str, Any]], query: AddressQuery) -> Answer:
    """The document that is the asked address (the exact addition preferred), as an Answer; else not_found."""
    fitting = [d for d in docs if _matches(d, query)]
    exact = [d for d in fitting if _addition_key(d.get("huis_nlt", "")) == _addition_key(query.huisnummer.text)]
    chosen = next(iter(exact or fitting), None)
    if chosen is None:
        best = docs[0].get("weergavenaam") if docs else None
        hint_nl = f"; beste treffer van PDOK: '{best}'" if best else ""
        hint_en = f"; PDOK's best match: '{best}'" if best else ""
        return Answer(
            "not_found",
            reason_nl=f"PDOK kent dit adres niet{hint_nl}",
            reason_en=f"PDOK does not know this address{hint_en}",
        )
    point = parse_point(chosen.get("centroide_rd"))
    if point is None:
        ll = parse_point(chosen.get("centroide_ll"))
        if ll is None:
            return Answer(
                "not_found",
                reason_nl="PDOK gaf het adres zonder coördinaten",
                reason_en="PDOK gave the address without coordinates",
            )
        x, y = LONLAT_TO_RD.transform(*ll)
        point = (float(x), float(y))
    score = chosen.get("score")
    return Answer(
        "found",
        x=point[0],
        y=point[1],
        label=str(chosen.get("weergavenaam", "")),
        score=float(score) if isinstance(score, int | float) else None,
        gemeentecode=str(chosen.get("gemeentecode", "")),
    )


def request_url(query: AddressQuery, *, base_url: str = PDOK_FREE_URL) -> str:
    params = {"q": query.q, "fq": "type:adres", "rows": str(ROWS), "fl": ",".join(FIELDS)}
    return f"{base_url}?{urllib.parse.urlencode(params)}"


def urllib_fetch(url: str, timeout: float) -> bytes:
    """GET with urllib; OSError (URLError, HTTPError, timeout) when it fails."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            body: bytes = resp.read()
    except urllib.error.HTTPError as exc:
        exc.close()  # the error holds the open response
        raise
    return body


def default_cache_path(cache_home: Path | None = None) -> Path:
    """``<cache_home>/buurtdekking/pdok-locatieserver.json``; ``~/.cache`` without one (etl.settings: $XDG_CACHE_HOME)."""
    return (cache_home or Path.home() / ".cache") / "buurtdekking" / "pdok-locatieserver.json"


@dataclass
class PdokGeocoder:
    """PDOK Locatieserver behind a JSON cache keyed by the normalised query: a rebuild asks nothing twice.

    The cache keeps PDOK's documents (found and not-found answers; never a network failure), so a later version
    of the matching rules needs no new requests. After the first network failure nothing more is asked: every
    further address of the run fails with the same reason (one timeout, not one per team).
    """

    cache_path: Path = field(default_factory=default_cache_path)
    fetch: Fetch = urllib_fetch
    base_url: str = PDOK_FREE_URL
    timeout: float = 10.0
    name: str = "PDOK"
    asked: int = 0
    from_cache: int = 0
    failed: int = 0
    cache_note: str = ""
    _cache: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def _load(self) -> dict[str, Any]:
        if self._cache is None:
            self._cache = read_cache(self.cache_path)
        return self._cache

    def lookup(self, queries: Iterable[AddressQuery]) -> dict[str, Answer]:
        answers = self._load()
        out: dict[str, Answer] = {}
        down: tuple[str, str] | None = None
        fresh = False
        for query in {q.key: q for q in queries}.values():
            cached = answers.get(query.key)
            if cached is not None:
                self.from_cache += 1
                out[query.key] = _with_cache_flag(answer_from_docs(list(cached.get("docs") or []), query))
                continue
            if down is not None:
                self.failed += 1
                out[query.key] = Answer("failed", reason_nl=down[0], reason_en=down[1])
                continue
            try:
                docs = response_docs(self.fetch(request_url(query, base_url=self.base_url), self.timeout))
            except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts are OSErrors; bad JSON is a ValueError
                down = _failure(exc)
                self.failed += 1
                out[query.key] = Answer("failed", reason_nl=down[0], reason_en=down[1])
                continue
            self.asked += 1
            answers[query.key] = {
                "asked": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "q": query.q,
                "docs": docs,
            }
            fresh = True
            out[query.key] = answer_from_docs(docs, query)
        if fresh:
            self.cache_note = write_cache(self.cache_path, answers)
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "service": SERVICE,
            "url": self.base_url,
            "cache": str(self.cache_path),
            "asked": self.asked,
            "from_cache": self.from_cache,
            "failed": self.failed,
        }


def _with_cache_flag(answer: Answer) -> Answer:

    return replace(answer, from_cache=True)


def _failure(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, urllib.error.HTTPError):
        detail = f"HTTP {exc.code}"
    elif isinstance(exc, urllib.error.URLError):
        detail = str(exc.reason)
    elif isinstance(exc, ValueError):
        detail = f"onleesbaar antwoord / unreadable answer: {exc}"[:160]
    else:
        detail = str(exc) or type(exc).__name__
    return (f"PDOK Locatieserver niet bereikbaar ({detail})", f"PDOK Locatieserver not reachable ({detail})")


def read_cache(path: Path) -> dict[str, Any]:
    """The cached answers (query key → {asked, q, docs}); empty when there is no cache file yet."""
    if not path.exists():
        return {}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        answers = payload["answers"]
        if not isinstance(answers, dict) or payload.get("version") != CACHE_VERSION:
            raise ValueError("unexpected layout")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError.single(
            "GEOCODE_CACHE_INVALID",
            f"Het geocodeercachebestand '{path}' is niet te lezen ({exc}). Verwijder het; de adressen worden dan opnieuw opgezocht.",
            f"The geocoding cache file '{path}' cannot be read ({exc}). Delete it; the addresses are then looked up again.",
            file=path,
        ) from exc
    return dict(answers)


def write_cache(path: Path, answers: Mapping[str, Any]) -> str:
    """Write the cache atomically; '' when written, else a bilingual note saying why not (the run goes on)."""
    payload = {"version": CACHE_VERSION, "service": SERVICE, "answers": dict(sorted(answers.items()))}
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".geocode-", suffix=".json", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        return (
            f"geocodeercache niet geschreven ({path}: {exc}); een volgende run vraagt opnieuw / "
            f"geocoding cache not written ({path}: {exc}); the next run asks again"
        )
    return ""
