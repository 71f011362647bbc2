"""The file drop: folders, zips (alone or in a folder), encodings, nulls, header aliases and
the errors a district sees, on the vendors' real samples and on files made here."""

from __future__ import annotations

import asyncio
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from connectors.assessment_files import (
    Columns,
    Drop,
    DropConfig,
    check_drop,
    open_drop,
)
from gateway.errors import ConfigError, SourceDataError

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "assessments"

MAP = Columns(
    required={"term": ("TermName",), "student": ("StudentID",), "rit": ("TestRITScore",),
              "course": ("Course", "MeasurementScale")},
    optional={"lexile": ("LexileScore", "RITtoReadingScore"), "state_id": ("Student_StateID",)},
    patterns=[(r"(fall|winter|spring)to(fall|winter|spring)observedgrowth", r"\1-\2-observed"),
              (r"goal(\d+)ritscore", r"goal\1")],
)
IREADY = Columns(required={"student": ("Student ID",), "score": ("Overall Scale Score",),
                           "completed": ("Completion Date",)},
                 optional={"lexile": ("Lexile Measure",), "quantile": ("Quantile Measure",)})


def read(config: dict[str, Any], fn: Any) -> Any:
    async def go() -> Any:
        async with open_drop(DropConfig(**config)) as drop:
            return fn(drop)

    return asyncio.run(go())


def rows(drop: Drop, name: str, columns: Columns) -> list[tuple[int, dict[str, str | None]]]:
    return list(drop.rows(name, columns))


def test_map_growth_sample_in_a_folder() -> None:
    folder = FIXTURES / "map_growth"
    got = read({"path": str(folder)},
               lambda d: (d.files(), rows(d, "AssessmentResults_sample.csv", MAP)))
    files, records = got
    assert files == ["AssessmentResults_sample.csv"]
    assert len(records) == 7
    line, first = records[0]
    assert line == 2
    assert first["term"] == "Fall 2021-2022"
    assert first["student"] == "605000"
    assert first["rit"] == "208"
    assert first["course"] == "Science K-12"
    assert first["fall-spring-observed"] is None  # blank growth cells are absent
    assert "goal1" in first


def test_i_ready_samples_with_bom_in_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "iready.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in (FIXTURES / "i_ready").iterdir():
            z.write(f, f"2026/{f.name}")
        z.writestr("__MACOSX/2026/._diagnostic_results_ela_sample.csv", b"junk")

    def look(drop: Drop) -> Any:
        [ela] = drop.find("diagnostic_results_ELA*.csv")
        return (drop.files(), ela, drop.label(ela), drop.encoding(ela),
                rows(drop, ela, IREADY), drop.digest(ela))

    files, _ela, label, encoding, records, digest = read({"path": str(archive)}, look)
    assert files == ["2026/diagnostic_results_ela_sample.csv",
                     "2026/diagnostic_results_math_sample.csv"]
    assert label == "iready.zip:2026/diagnostic_results_ela_sample.csv"
    assert encoding == "utf-8-sig"
    assert records[0][1]["student"] == "605001"  # the BOM is not part of the first header
    assert records[0][1]["lexile"] == "215L"
    assert records[0][1]["quantile"] is None  # optional and absent
    assert len(digest) == 32


def test_zips_in_a_folder_and_files_beside_each_other(tmp_path: Path) -> None:
    for night in ("2026-01-01", "2026-01-02"):
        with zipfile.ZipFile(tmp_path / f"{night}.zip", "w") as z:
            z.writestr("AssessmentResults.csv", "TermName,StudentID,TestRITScore,Course\n")
            z.writestr("StudentsBySchool.csv", "StudentID\n")
    (tmp_path / ".hidden.csv").write_text("x")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "SR.csv").write_text("x")

    def look(drop: Drop) -> Any:
        results = drop.find("assessmentresults*.CSV")
        return drop.files(), results, drop.beside(results[1], "StudentsBySchool*.csv")

    files, results, beside = read({"path": str(tmp_path)}, look)
    assert files == ["2026-01-01.zip:AssessmentResults.csv", "2026-01-01.zip:StudentsBySchool.csv",
                     "2026-01-02.zip:AssessmentResults.csv", "2026-01-02.zip:StudentsBySchool.csv",
                     "notes/SR.csv"]
    assert results == ["2026-01-01.zip:AssessmentResults.csv",
                       "2026-01-02.zip:AssessmentResults.csv"]
    assert beside == ["2026-01-02.zip:StudentsBySchool.csv"]


def test_headers_match_any_spelling_and_older_names(tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text(
        "term name,Student-ID,TEST_RIT_SCORE,MeasurementScale,RITtoReadingScore,"
        "FallToSpring Observed Growth,Goal2RitScore,Extra\n"
        "Spring 2019,s1,201,Reading,BR400L,7,199,x\n")
    [(line, row)] = read({"path": str(tmp_path)}, lambda d: rows(d, "old.csv", MAP))
    assert line == 2
    assert row == {"term": "Spring 2019", "student": "s1", "rit": "201", "course": "Reading",
                   "lexile": "BR400L", "fall-spring-observed": "7", "goal2": "199",
                   "state_id": None}


def test_the_preferred_spelling_wins_when_a_file_has_both(tmp_path: Path) -> None:
    (tmp_path / "both.csv").write_text(
        "MeasurementScale,Course,TermName,StudentID,TestRITScore\nold,new,t,s,1\n")
    [(_line, row)] = read({"path": str(tmp_path)}, lambda d: rows(d, "both.csv", MAP))
    assert row["course"] == "new"


def test_nulls_ragged_rows_blank_lines_and_a_title_line(tmp_path: Path) -> None:
    (tmp_path / "ixl.csv").write_text(
        "IXL Diagnostic export\r\n"
        "Student ID,Overall percentile,Overall tier\r\n"
        "1,--,N/A\r\n"
        "\r\n"
        "2,NA,n/a\r\n"
        "3,\" 55 \",\r\n"
        "4\r\n"
        "\"5\",\"multi\nline\",Tier 1,,\r\n"
        "6,77,Tier 2\r\n")
    columns = Columns(required={"student": ("Student ID",)},
                      optional={"pct": ("Overall percentile",), "tier": ("Overall tier",)})

    def look(drop: Drop) -> Any:
        return [(line, r) for line, r in drop.rows("ixl.csv", columns)]

    got = read({"path": str(tmp_path)}, look)
    assert got == [
        (3, {"student": "1", "pct": None, "tier": None}),
        (5, {"student": "2", "pct": None, "tier": None}),
        (6, {"student": "3", "pct": "55", "tier": None}),
        (7, {"student": "4", "pct": None, "tier": None}),
        (8, {"student": "5", "pct": "multi\nline", "tier": "Tier 1"}),
        (10, {"student": "6", "pct": "77", "tier": "Tier 2"}),
    ]


def test_records_keep_the_row_as_written(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("Student ID,Score,Note\n1,--,\n")
    columns = Columns(required={"student": ("Student ID",)})

    def look(drop: Drop) -> Any:
        return list(drop.records("a.csv", columns))

    [record] = read({"path": str(tmp_path)}, look)
    assert record.values == {"student": "1"}
    assert record.line == 2
    assert record.cells == {"Student ID": "1", "Score": "--"}


def test_windows_1252_is_read_and_noted(tmp_path: Path) -> None:
    (tmp_path / "sm.csv").write_bytes(
        "StudentID,Name\n1,Zo\u00eb Pe\u00f1a \u2013 Jr\n".encode("cp1252"))
    columns = Columns(required={"student": ("StudentID",)}, optional={"name": ("Name",)})

    def look(drop: Drop) -> Any:
        return rows(drop, "sm.csv", columns), drop.encoding("sm.csv"), drop.notes

    got, encoding, notes = read({"path": str(tmp_path)}, look)
    assert got == [(2, {"student": "1", "name": "Zo\u00eb Pe\u00f1a \u2013 Jr"})]
    assert encoding == "cp1252"
    [note] = notes
    assert "sm.csv" in note
    assert "line 2" in note
    assert "Windows-1252" in note


def test_utf16_tab_separated_from_excel(tmp_path: Path) -> None:
    (tmp_path / "sr.txt").write_bytes("Scaled Score\tStudentStateID\n512\tS9\n".encode("utf-16"))
    columns = Columns(required={"score": ("ScaledScore",), "state": ("StudentStateID",)})
    got = read({"path": str(tmp_path)}, lambda d: rows(d, "sr.txt", columns))
    assert got == [(2, {"score": "512", "state": "S9"})]


def test_bytes_that_are_not_text_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_bytes(b"StudentID\n1\n2\x81\x8d\n")
    columns = Columns(required={"student": ("StudentID",)})
    with pytest.raises(SourceDataError) as caught:
        read({"path": str(tmp_path)}, lambda d: rows(d, "bad.csv", columns))
    [problem] = caught.value.problems
    assert (problem.source, problem.line) == ("bad.csv", 3)
    assert "UTF-8" in problem.message


def test_a_missing_required_column_names_file_column_and_headers(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("AssessmentResults.csv", "TermName,StudentID,Subject\nFall 2026-2027,1,Math\n")
    with pytest.raises(SourceDataError) as caught:
        read({"path": str(archive)}, lambda d: rows(d, "AssessmentResults.csv", MAP))
    error = caught.value
    text = str(error)
    assert "export.zip:AssessmentResults.csv" in text
    assert "TestRITScore" in text
    assert "'Course' is missing" in text and "'MeasurementScale'" in text
    assert "The header has: TermName, StudentID, Subject" in text
    assert [p.column for p in error.problems] == ["TestRITScore", "Course"]
    assert all(p.source == "export.zip:AssessmentResults.csv" for p in error.problems)


def test_a_row_with_more_fields_than_the_header_is_located(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("StudentID,Score\n1,2\n3,4,5\n")
    columns = Columns(required={"student": ("StudentID",)})
    seen: list[int] = []

    def look(drop: Drop) -> None:
        for line, _row in drop.rows("a.csv", columns):
            seen.append(line)

    with pytest.raises(SourceDataError) as caught:
        read({"path": str(tmp_path)}, look)
    assert seen == [2]
    assert caught.value.problems[0].line == 3


def test_an_empty_file_and_a_broken_zip(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    columns = Columns(required={"student": ("StudentID",)})
    with pytest.raises(SourceDataError, match=r"empty\.csv is empty"):
        read({"path": str(tmp_path)}, lambda d: rows(d, "empty.csv", columns))
    (tmp_path / "cut.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceDataError, match=r"cut\.zip cannot be opened as a zip"):
        read({"path": str(tmp_path)}, lambda d: d.files())


def test_config_and_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read({"path": str(tmp_path / "nope")}, lambda d: d.files())
    with pytest.raises(ValueError, match="exactly one of path"):
        DropConfig()
    with pytest.raises(ValueError, match="exactly one of path"):
        DropConfig(path="x", sftp_host="h", sftp_user="u", sftp_password="p")
    with pytest.raises(ValueError, match="sftp_password or sftp_private_key"):
        DropConfig(sftp_host="h", sftp_user="u")
    with pytest.raises(ValueError, match="sftp_user is required"):
        DropConfig(sftp_host="h", sftp_password="p")
    assert DropConfig.secret_fields() == {"sftp_password", "sftp_private_key"}


def test_check_drop_says_what_to_fix(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "map_growth" / "AssessmentResults_sample.csv", tmp_path)
    good = asyncio.run(check_drop(DropConfig(path=str(tmp_path)), "AssessmentResults*.csv"))
    assert good.ok
    assert "AssessmentResults_sample.csv" in good.message
    none = asyncio.run(check_drop(DropConfig(path=str(tmp_path)), "SR*.csv"))
    assert not none.ok
    assert "SR*.csv" in none.message
    gone = asyncio.run(check_drop(DropConfig(path=str(tmp_path / "x")), "SR*.csv"))
    assert not gone.ok
    assert "does not exist" in gone.message


def test_a_vendor_config_subclasses_it() -> None:
    class VendorConfig(DropConfig):
        subject: str = "math"

    config = VendorConfig(path="/drops/map")
    assert config.subject == "math"
    assert config.sftp_port == 22
    with pytest.raises(ValueError, match="extra"):
        VendorConfig(path="x", unknown=1)  # type: ignore[call-arg]
