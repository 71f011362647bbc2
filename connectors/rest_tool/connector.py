"""The declarative REST tool connector: an adaptive tool's API, read as its mapping says,
into the tool streams of docs/learning.md (``toolEvidence``, ``toolInterventions``,
``toolPlacements``).

The first pull of a feed is full (``Mode.BULK``, when the feed is its stream's only one);
after it, a feed with ``incremental`` in its mapping asks only for records changed since
its cursor (``Mode.DELTA``). The cursor is
the newest change time the feed delivered, held back by the feed's margin before the
server's clock, so records changed while the pull was paging are read again next time
rather than missed (a re-read record is an update, never a duplicate: rows carry the tool's
``source_key``). Each stream is committed on its own with the cursors so far, so a run that
fails resumes with the stream that failed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar, cast
from urllib.parse import urljoin

import httpx

from gateway.abc import (
    Batch,
    Checkpoint,
    CheckResult,
    Connector,
    ConnectorConfig,
    ConnectorKind,
    Mode,
    PullItem,
    Row,
)
from gateway.errors import ConfigError, HarborError, Problem, SourceDataError
from gateway.model._values import format_datetime
from gateway.net.auth import ClientCredentials
from gateway.net.policy import HttpClient

from .client import FeedReader
from .config import RestToolConfig
from .fields import map_record, parse_time
from .mapping import ToolMapping, load_mapping
from .schema import STREAMS
from .shapes import Feed

__all__ = ["RestToolConnector"]

DEFAULT_PAGE_SIZE = 100
MAX_PROBLEMS = 100


class RestToolConnector(Connector[RestToolConfig]):
    """Pulls an adaptive tool's REST API through a mapping in ``mappings/``."""

    name: ClassVar[str] = "rest-tool"
    title: ClassVar[str] = "Adaptive tool REST API (declarative mapping)"
    kind: ClassVar[ConnectorKind] = ConnectorKind.TOOL
    config_model: ClassVar[type[ConnectorConfig]] = RestToolConfig

    transport: httpx.AsyncBaseTransport | None = None
    """Set by tests to inject faults (``httpx.MockTransport``); None in production."""
    sleep: Callable[[float], Awaitable[None]] | None = None
    """Set by tests to record backoff waits instead of sleeping; None in production."""

    _mapping: ToolMapping | None = None

    @property
    def mapping(self) -> ToolMapping:
        """The connection's mapping, read and validated on first use."""
        if self._mapping is None:
            self._mapping = load_mapping(self.config.mapping)
        return self._mapping

    def streams(self) -> Sequence[str]:
        if getattr(self.config, "mapping", None) is None:  # a bare config: what any can send
            return list(STREAMS)
        return self.mapping.streams

    @property
    def identity(self) -> Mapping[str, Any]:
        """The mapping's ``identity`` section (the engine's identity rules read it): the id
        kind the tool sends (``learner_id_kind``) and the roster fields each kind matches
        (``match``)."""
        return dict(self.mapping.identity)

    @property
    def crosswalk(self) -> list[Mapping[str, Any]]:
        """The mapping's ``crosswalk``: ``{code, standard, strength}`` per vendor skill code,
        for :meth:`gateway.standards.crosswalk.Crosswalk.load` (source ``mapping``)."""
        return [dict(c) for c in self.mapping.crosswalk]

    @property
    def base_url(self) -> str:
        url = self.config.base_url or self.mapping.base_url
        if not url:
            raise ConfigError(f"connection has no base_url and mapping {self.mapping.file} "
                              f"gives none; set base_url on the connection (--set base_url=...)")
        return url.rstrip("/")

    @property
    def page_size(self) -> int:
        return self.config.page_size or self.mapping.page_size or DEFAULT_PAGE_SIZE

    def _secret(self, name: str | None) -> str:
        value = self.config.secret(name) if name else None
        if not value:
            raise ConfigError(f"mapping {self.mapping.file} signs in with "
                              f"{self.mapping.auth.type}, which needs the connection secret "
                              f"{name!r}; add it with --secret {name}=...")
        return value

    def _headers(self) -> dict[str, str]:
        auth = self.mapping.auth
        if auth.type == "api_key":
            assert auth.header is not None
            return {auth.header: f"{auth.prefix}{self._secret(auth.secret)}"}
        if auth.type == "bearer":
            return {"Authorization": f"Bearer {self._secret(auth.secret)}"}
        return {}

    def _reader(self, http: HttpClient, feed: Feed, page_size: int) -> FeedReader:
        auth = self.mapping.auth
        if auth.type == "api_key":
            refused = (f"the API key in the connection's secret {auth.secret!r} (sent as "
                       f"{auth.header}) was refused; check it in the vendor's admin console "
                       f"and that it is still enabled")
        elif auth.type == "bearer":
            refused = (f"the token in the connection's secret {auth.secret!r} was refused; "
                       f"check it has not expired or been revoked")
        elif auth.type == "oauth2_client_credentials":
            refused = (f"the access token from {auth.token_url} was refused, a fresh one too; "
                       f"check that the client may read this data (scope {auth.scope!r})")
        else:
            refused = ("the API wants credentials and the mapping has no auth; add an auth "
                       "section (docs/connectors.md)")
        return FeedReader(http, feed, page_size=page_size, headers=self._headers(),
                          refused=refused)

    def _scrubbed(self, exc: HarborError) -> HarborError:
        """``exc`` with the connection's secrets blotted out of its message and problems: a
        server may echo what it was sent (a key in an error page), and messages are kept
        in run records and shown in the admin UI."""
        known = [v for v in (self.config.secret(n) for n in ("api_key", "token",
                                                             "client_secret")) if v]

        def clean(text: str) -> str:
            for secret in known:
                text = text.replace(secret, "***")
            return text

        if known and exc.args and isinstance(exc.args[0], str):
            exc.args = (clean(exc.args[0]), *exc.args[1:])
        if known and isinstance(exc, SourceDataError):
            exc.problems = [replace(p, message=clean(p.message)) for p in exc.problems]
        return exc

    def _http(self) -> HttpClient:
        auth, base = self.mapping.auth, self.base_url
        credentials = None
        if auth.type == "oauth2_client_credentials":
            assert auth.token_url is not None
            if not self.config.client_id:
                raise ConfigError(f"mapping {self.mapping.file} signs in with OAuth 2 client "
                                  f"credentials; set the connection's client_id")
            credentials = ClientCredentials(urljoin(base + "/", auth.token_url.lstrip("/")),
                                            self.config.client_id, self._secret(auth.secret),
                                            auth.scope)
        return HttpClient(base, policy=self.config.policy(), credentials=credentials,
                          name=f"{self.mapping.title} {base}", transport=self.transport,
                          sleep=self.sleep)

    async def check(self) -> CheckResult:
        try:
            mapping = self.mapping
            feed = mapping.feeds[0]
            async with self._http() as http:
                reader = self._reader(http, feed, min(self.page_size, 10))
                count = 0
                async for page in reader.pages():
                    count = len(page.records)
                    break
        except HarborError as exc:
            return CheckResult(False, str(self._scrubbed(exc)))
        return CheckResult(True, f"{mapping.title} at {self.base_url}: signed in "
                           f"({mapping.auth.type}); {feed.path} sent {count} record(s) on its "
                           f"first page", {"mapping": mapping.file,
                                           "streams": mapping.streams})

    async def pull(self, state: Mapping[str, Any] | None,
                   ) -> AsyncGenerator[PullItem, bool | None]:
        mapping = self.mapping
        cursors = _Cursors(state, mapping.name, self.base_url)
        streams = mapping.streams
        try:
            async with self._http() as http:
                for n, stream in enumerate(streams):
                    kinds = []
                    for feed in mapping.feeds_of(stream):
                        kinds.append("changes" if cursors.since(feed) else "full")
                        async for batch in self._feed(http, feed, cursors):
                            yield batch
                    yield Checkpoint(cursors.state(), label=f"{stream} ({', '.join(kinds)})",
                                     pending=frozenset(streams[n + 1:]))
        except HarborError as exc:
            self._scrubbed(exc)
            raise

    async def _feed(self, http: HttpClient, feed: Feed,
                    cursors: _Cursors) -> AsyncIterator[Batch]:
        since = cursors.since(feed)
        # A bulk stream is the whole truth of its stream, so only a stream read from one
        # endpoint can be bulk; one spread over several is applied as changes (a tool
        # withdraws a record there by sending it with status tobedeleted).
        whole = len(self.mapping.feeds_of(feed.stream)) == 1
        mode = Mode.BULK if whole and not since else Mode.DELTA
        source = f"{self.base_url}/{feed.path.lstrip('/')}"
        reader = self._reader(http, feed, self.page_size)
        problems: list[Problem] = []
        total_problems = 0
        seen: set[Any] = set()
        newest: datetime | None = None
        served: datetime | None = None
        async for page in reader.pages(since):
            served = served or page.served
            rows: list[dict[str, Any]] = []
            lines: list[int] = []
            for i, record in enumerate(page.records):
                position = page.position + i
                row, found = map_record(feed, record, position, page.url)
                if found:
                    total_problems += len(found)
                    problems.extend(found[:max(0, MAX_PROBLEMS - len(problems))])
                    continue
                assert row is not None
                changed = _changed(feed, record)
                if changed is not None and (newest is None or changed > newest):
                    newest = changed
                key = row.get("source_key")
                if key is not None:
                    if key in seen:  # repeated across a page boundary
                        continue
                    seen.add(key)
                rows.append(row)
                lines.append(position)
            if feed.stream == "toolPlacements":
                rows, lines = _latest_placements(rows, lines)
            if rows and not problems:
                yield Batch(feed.stream, mode, source, cast(Sequence[Row], rows), lines,
                            progress=(reader.pages_read, 0))
        if problems:
            raise SourceDataError(
                f"{source}: {total_problems} problem(s) in the records of {feed.stream} "
                f"(mapping {self.mapping.file}, feed {feed.name!r}); nothing of this stream "
                f"was applied", problems, total=total_problems)
        yield Batch(feed.stream, mode, source, [], [], last=True)
        cursors.saw(feed, newest, served)


def _latest_placements(rows: list[dict[str, Any]], lines: list[int],
                       ) -> tuple[list[dict[str, Any]], list[int]]:
    """One placement per learner and subject in a batch, the latest observed (a learner who
    re-took a diagnostic has two); a later page's placement simply comes after."""
    best: dict[tuple[Any, ...], int] = {}
    for i, row in enumerate(rows):
        key = (row["learner"], row.get("learner_id_kind"), row["subject"])
        kept = best.get(key)
        if kept is None or row["observed_at"] >= rows[kept]["observed_at"]:
            best[key] = i
    keep = sorted(best.values())
    return [rows[i] for i in keep], [lines[i] for i in keep]


def _changed(feed: Feed, record: Any) -> datetime | None:
    if feed.incremental is None:
        return None
    value = feed.incremental.cursor_field.get(record)
    try:
        return parse_time(value) if value is not None else None
    except ValueError:
        return None


class _Cursors:
    """Per-feed cursors: read from the saved state, advanced as feeds finish."""

    def __init__(self, state: Mapping[str, Any] | None, mapping: str, base_url: str) -> None:
        state = dict(state or {})
        same = state.get("mapping") == mapping and state.get("base_url") == base_url
        self.mapping, self.base_url = mapping, base_url
        self.cursors: dict[str, str] = dict(state.get("cursors") or {}) if same else {}

    def since(self, feed: Feed) -> str | None:
        """The incremental parameter's value for ``feed``, None for a full pull."""
        inc, saved = feed.incremental, self.cursors.get(feed.name)
        if inc is None or saved is None:
            return None
        when = parse_time(saved)
        if inc.format == "date":
            return when.date().isoformat()
        if inc.format == "epoch_seconds":
            return str(int(when.timestamp()))
        if inc.format == "epoch_millis":
            return str(int(when.timestamp() * 1000))
        return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"

    def saw(self, feed: Feed, newest: datetime | None, served: datetime | None) -> None:
        """Advance ``feed``'s cursor to the newest change it delivered, but no later than its
        margin before the server's clock (ours if it sent no ``Date``)."""
        if feed.incremental is None or newest is None:
            return
        bound = (served or datetime.now(UTC)) - feed.incremental.margin
        candidate = min(newest, bound)
        old = self.cursors.get(feed.name)
        if old is None or candidate > parse_time(old):
            self.cursors[feed.name] = format_datetime(candidate)

    def state(self) -> dict[str, Any]:
        return {"mapping": self.mapping, "base_url": self.base_url,
                "cursors": dict(self.cursors)}
