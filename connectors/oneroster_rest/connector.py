"""The OneRoster REST connector: pull rosters (and gradebooks) from an SIS's OneRoster API.

A run is either a **full pull** (every record of every stream, applied in bulk: what the
server no longer lists is soft-deleted, under the deletion safeguard) or an **incremental
pull** (``filter=dateLastModified>'cursor'`` per stream, applied as a delta). The first run
is full, and so is one run every ``reconcile_days``, because change feeds do not report
hard deletions.

Each stream is committed on its own, with its cursor (a checkpoint per stream, marked with
the streams still to come so the engine defers reference checks that depend on them). A
run that fails resumes with the stream that failed: a full pull remembers which streams it
finished, an incremental pull has a cursor per stream.

Streams are fetched concurrently (``concurrency`` requests in flight at most; a couple of
pages buffered per stream) and handed to the engine in dependency order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Mapping,
    Sequence,
)
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

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
)
from gateway.errors import HarborError, SourceDataError
from gateway.model._values import format_datetime
from gateway.net.auth import ClientCredentials, OAuth1Signer
from gateway.net.policy import HttpClient

from .config import OneRosterRestConfig, collection_path
from .convert import Converter
from .pages import Page, Pager

__all__ = ["OneRosterRestConnector"]

BUFFERED_PAGES = 2
CURSOR_MARGIN = timedelta(minutes=10)
GC_EVERY_PAGES = 25
_DERIVED = {"users": ("userProfiles", "roles")}
_DONE = object()


class OneRosterRestConnector(Connector[OneRosterRestConfig]):
    """Pulls OneRoster 1.2 or 1.1 REST, full or incremental, with OAuth 2 or OAuth 1.0a."""

    name: ClassVar[str] = "oneroster-rest"
    title: ClassVar[str] = "OneRoster REST API (1.2 or 1.1)"
    kind: ClassVar[ConnectorKind] = ConnectorKind.SIS
    config_model: ClassVar[type[ConnectorConfig]] = OneRosterRestConfig

    transport: httpx.AsyncBaseTransport | None = None
    """Set by tests to inject faults (``httpx.MockTransport``); None in production."""
    sleep: Callable[[float], Awaitable[None]] | None = None
    """Set by tests to record backoff waits instead of sleeping; None in production."""

    def streams(self) -> Sequence[str]:
        out: list[str] = []
        for stream in self.config.streams:
            out.append(stream)
            out.extend(_DERIVED.get(stream, ()))
        return out

    def _http(self) -> HttpClient:
        cfg = self.config
        secret = cfg.client_secret.get_secret_value()
        credentials = signer = None
        if cfg.auth == "oauth1":
            signer = OAuth1Signer(cfg.client_id, secret, cfg.signature_method)
        else:
            credentials = ClientCredentials(cfg.resolved_token_url(), cfg.client_id, secret,
                                            cfg.scope)
        return HttpClient(cfg.base_url, policy=cfg.policy(), credentials=credentials,
                          signer=signer, name=f"OneRoster {cfg.version} server {cfg.base_url}",
                          transport=self.transport, sleep=self.sleep)

    async def check(self) -> CheckResult:
        cfg = self.config
        try:
            async with self._http() as http:
                response = await http.get(collection_path(cfg.version, "orgs"),
                                          {"limit": "1", "offset": "0"})
                body = response.json()
        except HarborError as exc:
            return CheckResult(False, str(exc))
        except ValueError:
            return CheckResult(False, f"{cfg.base_url} answered /orgs with something other "
                               f"than JSON; check the base URL")
        if not isinstance(body, Mapping) or "orgs" not in body:
            return CheckResult(False, f"{cfg.base_url} answered /orgs without an 'orgs' list; "
                               f"check the base URL and the OneRoster version ({cfg.version})")
        total = response.headers.get("x-total-count")
        counted = f", {int(total):,} orgs" if total and total.isdigit() else ""
        return CheckResult(True, f"OneRoster {cfg.version} at {cfg.base_url}: signed in with "
                           f"{cfg.auth}{counted}", {"version": cfg.version})

    async def pull(self, state: Mapping[str, Any] | None,
                   ) -> AsyncGenerator[PullItem, bool | None]:
        plan = _Plan(self.config, state, datetime.now(UTC))
        streams = [s for s in self.config.streams if s not in plan.done]
        async with self._http() as http:
            slots = asyncio.Semaphore(self.config.concurrency)
            pager = Pager(http, page_size=self.config.page_size, paging=self.config.paging,
                          slots=slots, window=self.config.concurrency)
            queues = {s: asyncio.Queue[Any](maxsize=BUFFERED_PAGES) for s in streams}
            tasks = [asyncio.create_task(self._produce(pager, plan, s, queues[s]))
                     for s in streams]
            try:
                for n, stream in enumerate(streams):
                    async for batch in self._batches(stream, plan, queues[stream]):
                        yield batch
                    label = plan.label(stream)
                    yield Checkpoint(plan.finished(stream), label=label,
                                     pending=frozenset(self._later(streams[n + 1:])))
            finally:
                for task in tasks:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.gather(*tasks, return_exceptions=True)

    def _later(self, streams: Sequence[str]) -> list[str]:
        return [x for s in streams for x in (s, *_DERIVED.get(s, ()))]

    async def _produce(self, pager: Pager, plan: _Plan, stream: str,
                       queue: asyncio.Queue[Any]) -> None:
        try:
            wrapper = stream
            path = collection_path(self.config.version, stream)
            async for page in pager.pages(path, wrapper, plan.filter(stream)):
                await queue.put(page)
            await queue.put(_DONE)
        except Exception as exc:  # handed to the consumer, which raises it in order
            await queue.put(exc)

    async def _pages(self, queue: asyncio.Queue[Any]) -> AsyncIterator[Page]:
        while True:
            item = await queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def _batches(self, stream: str, plan: _Plan,
                       queue: asyncio.Queue[Any]) -> AsyncIterator[Batch]:
        mode = plan.mode(stream)
        source = f"{self.config.base_url}/{collection_path(self.config.version, stream)}"
        convert = Converter(stream, self.config.version, source)
        if stream == "users":
            convert.org_types = plan.org_types
        seen: set[str] = set()
        nested: dict[str, list[tuple[str, ...]]] = {}
        nested_lines: dict[str, list[int]] = {}
        newest: str | None = None
        served: datetime | None = None
        pages = 0
        async for page in self._pages(queue):
            served = served or page.served
            pages += 1
            if pages % GC_EVERY_PAGES == 0:
                # The engine pauses the cyclic collector for the run (CSV rows make no
                # cycles); HTTP requests do, and each cycle holds a response body.
                gc.collect()
            out = convert.page(page.records, page.position)
            if out.problems:
                raise SourceDataError(f"{source}: {len(out.problems)} record(s) are not "
                                      f"OneRoster {self.config.version} JSON; nothing of this "
                                      f"stream was applied", out.problems)
            rows, lines = [], []
            for row, line in zip(out.rows, out.positions, strict=True):
                if row[0] in seen:  # repeated across a page boundary
                    continue
                seen.add(row[0])
                rows.append(row)
                lines.append(line)
                if row[2] and (newest is None or row[2] > newest):
                    newest = row[2]
            for child, child_rows in out.nested.items():
                nested.setdefault(child, []).extend(child_rows)
                nested_lines.setdefault(child, []).extend(out.nested_positions[child])
            if rows:
                yield Batch(stream, mode, source, rows, lines,
                            progress=(len(seen), page.total or len(seen)))
        yield Batch(stream, mode, source, [], [], last=True)
        if stream == "orgs":
            plan.org_types.update(convert.org_types)
        plan.saw(stream, newest, served)
        for child in _DERIVED.get(stream, ()):
            rows_c, lines_c = nested.get(child, []), nested_lines.get(child, [])
            if mode is Mode.DELTA and not rows_c:
                continue
            step = 5000
            for start in range(0, max(len(rows_c), 1), step):
                yield Batch(child, mode, f"{source} ({child})", rows_c[start:start + step],
                            lines_c[start:start + step], last=start + step >= len(rows_c))


def _parse(ts: str | None) -> datetime | None:
    """A stored or served ``dateLastModified`` as an aware datetime (None if unreadable)."""
    if not ts:
        return None
    try:
        dt = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class _Plan:
    """What this run pulls and how, from the saved state; and the state after each stream."""

    def __init__(self, cfg: OneRosterRestConfig, state: Mapping[str, Any] | None,
                 now: datetime) -> None:
        state = dict(state or {})
        self.cfg = cfg
        same_source = (state.get("server") == cfg.base_url
                       and state.get("version") == cfg.version)
        self.cursors: dict[str, str] = dict(state.get("cursors") or {}) if same_source else {}
        self.reconciled = state.get("reconciled") if same_source else None
        full = state.get("full") if same_source else None
        self.org_types: dict[str, str] = {}
        if full:  # a full pull that did not finish: resume it
            self.full: dict[str, Any] | None = {"started": full["started"],
                                                "done": list(full.get("done", []))}
        elif self._reconcile_due(now):
            self.full = {"started": format_datetime(now), "done": []}
        else:
            self.full = None

    def _reconcile_due(self, now: datetime) -> bool:
        cfg = self.cfg
        last = _parse(self.reconciled)
        if not cfg.incremental or last is None or cfg.reconcile_days == 0:
            return True
        return now - last >= timedelta(days=cfg.reconcile_days)

    @property
    def done(self) -> list[str]:
        return list(self.full["done"]) if self.full else []

    def mode(self, stream: str) -> Mode:
        return Mode.DELTA if self.filter(stream) else Mode.BULK

    def filter(self, stream: str) -> str | None:
        cursor = self.cursors.get(stream)
        if self.full is not None or cursor is None:
            return None
        return f"dateLastModified>'{cursor}'"

    def saw(self, stream: str, newest: str | None, served: datetime | None) -> None:
        """Advance the stream's cursor: to the newest change the stream delivered, but no
        later than ``CURSOR_MARGIN`` before the server's clock when the stream's first page
        was served. A record changed while later pages were read may carry an older time
        than the newest one seen; the margin makes the next pull ask for it again (the
        engine counts a re-read record as unchanged)."""
        parsed = _parse(newest)
        if parsed is None:
            return
        if served is not None:
            parsed = min(parsed, served - CURSOR_MARGIN)
        old = _parse(self.cursors.get(stream))
        if old is None or parsed > old or self.full is not None:
            self.cursors[stream] = format_datetime(parsed)

    def finished(self, stream: str) -> dict[str, Any]:
        if self.full is not None:
            self.full["done"].append(stream)
            if all(s in self.full["done"] for s in self.cfg.streams):
                self.reconciled, self.full = self.full["started"], None
        return self.state()

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"server": self.cfg.base_url, "version": self.cfg.version,
                               "cursors": dict(self.cursors)}
        if self.reconciled:
            out["reconciled"] = self.reconciled
        if self.full is not None:
            out["full"] = {"started": self.full["started"], "done": list(self.full["done"])}
        return out

    def label(self, stream: str) -> str:
        kind = "full" if self.full is not None or stream not in self.cursors else "changes"
        return f"{stream} ({kind})"
