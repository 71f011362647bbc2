"""Reading a tool mapping (``mappings/*.yaml``): YAML with line numbers, checked against
:data:`~.schema.MAPPING_SCHEMA` and then for meaning, into a typed :class:`ToolMapping`.

Every mistake is reported at once, each as ``FILE, line N: where: what is wrong and how to
fix it``, so a vendor fixing a mapping goes round the loop once, not once per typo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from gateway.errors import ConfigError

from .paths import JsonPath, PathSyntaxError
from .schema import FIELDS, ID_KINDS, MAPPING_SCHEMA, REQUIRED, STREAMS
from .shapes import Auth, Feed, FieldRule, Incremental, Pagination

__all__ = ["MAPPINGS_DIR", "ToolMapping", "load_mapping", "mapping_dirs", "resolve_mapping"]

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"
"""The mappings shipped with Harbormaster; ``mapping: literacy-tool`` names one of them."""

_VALIDATOR = jsonschema_rs.validator_for(MAPPING_SCHEMA)
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_DEFAULT_SECRET = {"api_key": "api_key", "bearer": "token",
                   "oauth2_client_credentials": "client_secret"}
_CONSTS = {"id_kind": ID_KINDS, "intervention_kind": ("small-group", "individual"),
           "status": ("active", "tobedeleted")}

Where = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ToolMapping:
    """A validated mapping: how to read one vendor's API and what its records mean."""

    name: str
    file: str
    title: str
    base_url: str | None
    page_size: int | None
    auth: Auth
    feeds: tuple[Feed, ...]
    identity: Mapping[str, Any] = field(default_factory=dict)
    crosswalk: tuple[Mapping[str, Any], ...] = ()

    def feeds_of(self, stream: str) -> list[Feed]:
        return [f for f in self.feeds if f.stream == stream]

    @property
    def streams(self) -> list[str]:
        return [s for s in STREAMS if self.feeds_of(s)]


def mapping_dirs() -> list[Path]:
    """Where a mapping named without a path is looked for: the data directory's own
    ``mappings/`` (a district's or vendor's mappings, ``$HARBOR_DATA_DIR/mappings``), then
    the ones shipped with Harbormaster."""
    from gateway.settings import get_settings

    return [get_settings().data_dir / "mappings", MAPPINGS_DIR]


def resolve_mapping(ref: str) -> Path:
    """The file ``ref`` names: a path (absolute, or relative to the working directory), or
    the name of a mapping in :func:`mapping_dirs` (``literacy-tool`` is
    ``literacy-tool.yaml`` there)."""
    path = Path(ref).expanduser()
    if path.is_file():
        return path
    name = ref if ref.endswith((".yaml", ".yml")) else f"{ref}.yaml"
    dirs = mapping_dirs()
    if "/" not in ref:
        for folder in dirs:
            if (folder / name).is_file():
                return folder / name
    known = ", ".join(sorted({p.stem for d in dirs for p in d.glob("*.yaml")})) or "none"
    raise ConfigError(f"mapping {ref!r}: no such file; give the path of a mapping YAML file "
                      f"or the name of one in {' or '.join(map(str, dirs))} ({known})")


def load_mapping(ref: str) -> ToolMapping:
    """Read, validate and build the mapping ``ref`` names; a ConfigError lists every problem
    with its file and line."""
    path = resolve_mapping(ref)
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.safe_load(text)
        lines = _lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except OSError as exc:
        raise ConfigError(f"mapping {shown}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f", line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{shown}{at}: not valid YAML ({getattr(exc, 'problem', exc)}); "
                          f"check the indentation and quoting there") from None
    return _Builder(shown, path.stem, lines).build(document)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        try:
            return str(path.resolve().relative_to(MAPPINGS_DIR.parent))
        except ValueError:
            return str(path)


def _lines(node: yaml.Node | None, where: Where = (),
           out: dict[Where, int] | None = None) -> dict[Where, int]:
    """Each key's (or list item's) 1-based line, by its path in the document."""
    out = {} if out is None else out
    if node is None:
        return out
    out.setdefault(where, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*where, str(key.value))
            out[here] = key.start_mark.line + 1
            _lines(value, here, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*where, i), out)
    return out


class _Builder:
    def __init__(self, shown: str, stem: str, lines: dict[Where, int]) -> None:
        self.shown, self.stem, self.lines = shown, stem, lines
        self.problems: list[tuple[int, str]] = []

    def problem(self, where: Where, message: str) -> None:
        probe = where
        while probe and probe not in self.lines:
            probe = probe[:-1]
        dotted = ".".join(str(p) for p in where) or "(top level)"
        self.problems.append((self.lines.get(probe, 1), f"{dotted}: {message}"))

    def build(self, document: Any) -> ToolMapping:
        if not isinstance(document, dict):
            raise ConfigError(f"{self.shown}, line 1: a mapping is a YAML object with at least "
                              f"'streams'; see docs/connectors.md")
        for error in _VALIDATOR.iter_errors(document):
            where: Where = tuple(error.instance_path)
            unexpected = getattr(error.kind, "unexpected", None)
            if unexpected:
                for key in unexpected:
                    self.problem((*where, key), f"unknown key {key!r}; check its spelling "
                                 f"and indentation (docs/connectors.md lists every key)")
                continue
            if error.kind.name == "enum":
                options = ", ".join(map(str, getattr(error.kind, "options", ())))
                self.problem(where, f"{error.instance!r} is not one of: {options}")
                continue
            self.problem(where, error.message)
        if self.problems:
            self.fail()
        auth = self.auth(document.get("auth") or {"type": "none"})
        identity = dict(document.get("identity") or {})
        self.check_identity(identity)
        feeds: list[Feed] = []
        for stream in STREAMS:
            spec = document["streams"].get(stream)
            items = spec if isinstance(spec, list) else [spec] if spec else []
            for i, item in enumerate(items):
                where = ("streams", stream, i) if isinstance(spec, list) else ("streams", stream)
                name = item.get("name") or (stream if len(items) == 1 else f"{stream}.{i + 1}")
                feeds.append(self.feed(stream, name, item, where, identity))
        seen: set[str] = set()
        for f in feeds:
            if f.name in seen:
                self.problem(f.where, f"feed name {f.name!r} is used twice; names key the "
                             f"saved cursors, so give each feed its own")
            seen.add(f.name)
        if self.problems:
            self.fail()
        return ToolMapping(
            name=str(document.get("name") or self.stem), file=self.shown,
            title=str(document.get("title") or document.get("name") or self.stem),
            base_url=document.get("base_url"), page_size=document.get("page_size"),
            auth=auth, feeds=tuple(feeds), identity=identity,
            crosswalk=tuple({"strength": 1.0, **c} for c in document.get("crosswalk") or ()))

    def fail(self) -> None:
        self.problems.sort()
        listed = "\n".join(f"  {self.shown}, line {n}: {m}" for n, m in self.problems[:30])
        raise ConfigError(f"mapping {self.shown} has {len(self.problems)} problem(s):\n{listed}")

    def auth(self, spec: Mapping[str, Any]) -> Auth:
        kind = spec["type"]
        return Auth(type=kind, header=spec.get("header"), prefix=spec.get("prefix", ""),
                    secret=spec.get("secret") or _DEFAULT_SECRET.get(kind),
                    token_url=spec.get("token_url"), scope=spec.get("scope"))

    def path(self, text: str, where: Where) -> JsonPath | None:
        try:
            return JsonPath.parse(text)
        except PathSyntaxError as exc:
            self.problem(where, str(exc))
            return None

    def feed(self, stream: str, name: str, spec: Mapping[str, Any], where: Where,
             identity: Mapping[str, Any]) -> Feed:
        fields: dict[str, FieldRule] = {}
        for canonical, rule in spec["fields"].items():
            built = self.field(stream, canonical, rule, (*where, "fields", canonical))
            if built is not None:
                fields[canonical] = built
        if "learner_id_kind" not in spec["fields"] and identity.get("learner_id_kind"):
            fields["learner_id_kind"] = FieldRule("learner_id_kind", "id_kind",
                                                  const=identity["learner_id_kind"])
        missing = [f for f in REQUIRED[stream] if f not in spec["fields"] and f not in fields]
        if missing:
            hint = (" (or set identity.learner_id_kind)" if "learner_id_kind" in missing
                    else "")
            self.problem((*where, "fields"), f"{stream} needs {', '.join(missing)}{hint}")
        raw = fields.get("raw_score")
        if raw is not None and "scale" not in fields:
            if raw.scale:
                fields["scale"] = FieldRule("scale", "string", const=raw.scale)
            else:
                self.problem((*where, "fields", "raw_score"), "a raw_score needs its scale: "
                             "add `scale: percent` (or another spec) to it, or a scale field")
        if raw is not None and raw.scale:
            self.check_scale(raw.scale, (*where, "fields", "raw_score", "scale"))
        scale = fields.get("scale") if "scale" in spec["fields"] else None
        if scale is not None and isinstance(scale.const, str):
            self.check_scale(scale.const, (*where, "fields", "scale"))
        paging = spec.get("pagination") or {"style": "none"}
        cursor = self.path(paging["cursor_path"], (*where, "pagination", "cursor_path")) \
            if "cursor_path" in paging else None
        records = self.path(spec["records"], (*where, "records"))
        inc = spec.get("incremental")
        incremental = None
        if inc:
            cursor_field = self.path(inc["cursor_field"], (*where, "incremental",
                                                           "cursor_field"))
            if cursor_field is not None:
                incremental = Incremental(cursor_field, inc["param"],
                                          inc.get("format", "iso8601"),
                                          timedelta(minutes=inc.get("margin_minutes", 10)))
        endpoint = spec["endpoint"]
        return Feed(
            stream=stream, name=name, where=where, line=self.lines.get(where, 1),
            path=endpoint["path"],
            params={k: _param(v) for k, v in (endpoint.get("params") or {}).items()},
            pagination=Pagination(style=paging["style"], page_param=paging.get("page_param"),
                                  size_param=paging.get("size_param"),
                                  start=paging.get("start", 1),
                                  offset_param=paging.get("offset_param"),
                                  limit_param=paging.get("limit_param"),
                                  cursor_path=cursor, cursor_param=paging.get("cursor_param")),
            records=records or JsonPath.parse("$"), incremental=incremental, fields=fields)

    def field(self, stream: str, canonical: str, rule: Any, where: Where) -> FieldRule | None:
        kind = FIELDS[stream][canonical]
        spec: dict[str, Any] = {"path": rule} if isinstance(rule, str) else dict(rule)
        given = [k for k in ("path", "const", "template") if k in spec]
        if len(given) != 1:
            self.problem(where, "give exactly one of path, const or template "
                         f"(found {', '.join(given) or 'none'})")
            return None
        path = self.path(spec["path"], (*where, "path")) if "path" in spec else None
        template: tuple[tuple[str, JsonPath | None], ...] = ()
        if "template" in spec:
            parts = _TEMPLATE.split(spec["template"])
            template = tuple((text, self.path(ref, (*where, "template")) if ref else None)
                             for text, ref in zip(parts[::2], [*parts[1::2], ""], strict=True))
        allowed = _CONSTS.get(kind)
        for value, at in ((spec.get("const"), "const"), *((v, "map") for v in
                                                           (spec.get("map") or {}).values())):
            if allowed and value is not None and value not in allowed:
                self.problem((*where, at), f"{value!r} is not a {canonical}; use one of "
                             f"{', '.join(allowed)}")
        if spec.get("scale") and canonical != "raw_score":
            self.problem((*where, "scale"), "only raw_score takes a scale")
        return FieldRule(canonical, kind, path=path, const=spec.get("const"),
                         template=template, map=spec.get("map"), default=spec.get("default"),
                         divide=spec.get("divide"), multiply=spec.get("multiply"),
                         scale=spec.get("scale"), format=spec.get("format"),
                         line=self.lines.get(where, 1))

    def check_identity(self, identity: Mapping[str, Any]) -> None:
        try:
            from gateway.identity.rules import IdentityRules
        except ImportError:  # the identity package is optional to reading a mapping
            return
        try:
            IdentityRules.from_config(identity or None)
        except ConfigError as exc:
            at = str(exc).partition(":")[0].split(".")
            self.problem(tuple(at) if at[0] == "identity" else ("identity",),
                         str(exc).partition(": ")[2] or str(exc))

    def check_scale(self, spec: str, where: Where) -> None:
        try:
            from gateway.mastery.scales import parse_scale
        except ImportError:  # the scales module is optional to reading a mapping
            return
        try:
            parse_scale(spec)
        except ConfigError as exc:
            self.problem(where, str(exc))


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
