"""What a pull yields, without a store: the older and odd header spellings read like the
current ones, a zip read like a folder, every stream ended per file, and saved state
skipping the exports already read."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path
from typing import Any, cast

from connectors.ixl import IxlConnector
from gateway.abc import Batch, Checkpoint, Mode, PullItem
from tests.connectors.ixl.exports import students, write_window, write_year


def pull(config: dict[str, Any], state: Any = None) -> list[PullItem]:
    async def go() -> list[PullItem]:
        return [i async for i in IxlConnector.from_mapping(config).pull(state)]

    return asyncio.run(go())


def rows(items: list[PullItem], stream: str = "toolAssessments") -> list[dict[str, Any]]:
    return [cast(dict[str, Any], r) for i in items
            if isinstance(i, Batch) and i.stream == stream for r in i.rows]


def test_old_and_new_spellings_read_alike(tmp_path: Path) -> None:
    pupils = students(25)
    for p in pupils:
        p.takes_math = p.takes_ela = True
    for folder in ("new", "old"):
        (tmp_path / folder).mkdir()
    new = write_window(tmp_path / "new" / "a.csv", pupils, "fall", seed=1)
    write_window(tmp_path / "old" / "a.csv", pupils, "fall", old=True, seed=1)
    shouting = tmp_path / "caps"
    shouting.mkdir()
    text = new.read_text().splitlines()
    text[0] = text[0].upper().replace(" - ", "_-_")
    (shouting / "a.csv").write_text("\n".join(text) + "\n")

    def shape(folder: Path) -> list[tuple[Any, ...]]:
        return [(r["source_key"], r.get("scale_score"), r.get("percentile"),
                 r.get("performance_level"), r.get("grade"), tuple(
                     d["name"] for d in r.get("domains", ())))
                for r in rows(pull({"path": str(folder)}))]

    expected = shape(tmp_path / "new")
    assert len(expected) == 50
    assert shape(tmp_path / "old") == expected  # Language arts, As of 10/6/2026, GRADE ...
    assert shape(shouting) == expected
    names = {d for r in expected for d in r[5]}
    assert "Vocabulary - ELA" in names and "Fractions - Math" in names


def test_zip_and_streams(tmp_path: Path) -> None:
    written = write_year(tmp_path / "files", 60)
    archive = tmp_path / "ixl.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in written.files:
            z.write(f, f"exports/{f.name}")
    items = pull({"path": str(archive)})
    batches = [i for i in items if isinstance(i, Batch)]
    assert {b.mode for b in batches} == {Mode.DELTA}
    assert {b.source for b in batches} == {f"ixl.zip:exports/{f.name}" for f in written.files}
    lasts = [(b.source, b.stream) for b in batches if b.last]
    assert len(lasts) == len(set(lasts)) == 3 * len(written.files)
    assert len(rows(items)) == written.assessments
    assert len(rows(items, "toolEvidence")) == written.strands
    assert all(len(b.lines) == len(b.rows) for b in batches)


def test_saved_state_skips_what_was_read(tmp_path: Path) -> None:
    drop = tmp_path / "ixl"
    drop.mkdir()
    pupils = students(30)
    write_window(drop / "fall.csv", pupils, "fall", seed=1)
    write_window(drop / "winter.csv", pupils, "winter", seed=2)
    first = pull({"path": str(drop)})
    state = [i for i in first if isinstance(i, Checkpoint)][-1].state
    assert set(state["files"]) == {"fall.csv", "winter.csv"}
    assert state["files"]["fall.csv"]["windows"] == ["2027:fall"]

    nothing = pull({"path": str(drop)}, state)
    assert not rows(nothing) and isinstance(nothing[-1], Checkpoint)

    write_window(drop / "spring.csv", pupils, "spring", seed=3)
    spring = pull({"path": str(drop)}, state)
    assert {b.source for b in spring if isinstance(b, Batch)} == {"spring.csv"}
    # A later snapshot in an already read window re-reads that window's files.
    write_window(drop / "fall2.csv", pupils, "fall", day="2026-11-20", seed=4)
    again = pull({"path": str(drop)}, state)
    assert {b.source for b in again if isinstance(b, Batch)} == {"fall.csv", "fall2.csv",
                                                                  "spring.csv"}
