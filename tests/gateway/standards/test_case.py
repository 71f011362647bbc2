"""Reading CASE packages: both real exports, grade levels as producers write them, and
refusals that name the item and field (no database)."""

from __future__ import annotations

import pytest

from gateway.errors import SourceDataError
from gateway.standards.case import parse_package
from gateway.standards.grades import normalize_grades
from tests.gateway.standards.factories import (
    RP_6_A,
    RP_6_A_1,
    RP_DOC,
    ccss_package,
    ladder,
    rp_package,
)


def test_the_progression_export_reads_every_item_and_link() -> None:
    parsed = parse_package(rp_package(), "rp.json")
    assert parsed.framework.identifier == RP_DOC
    assert parsed.framework.title == "What Standards Could Be"
    assert parsed.framework.adoption_status == "Draft"
    assert len(parsed.items) == 16 and len(parsed.associations) == 39
    by_id = {i.identifier: i for i in parsed.items}
    a1 = by_id[RP_6_A_1]
    assert a1.code == "CCSS.Math.Content.6.RP.A.1"
    assert a1.item_type == "Standard" and a1.grade_levels == ("06",)
    assert a1.statement.startswith("Understand the concept of a ratio")
    kinds = {a.association_type for a in parsed.associations}
    assert kinds == {"isChildOf", "precedes", "exactMatchOf", "exemplar", "isRelatedTo"}
    child = next(a for a in parsed.associations
                 if a.association_type == "isChildOf" and a.origin == RP_6_A_1)
    assert child.destination == RP_6_A
    # String sequenceNumbers ("1", "2") are read as numbers, and noticed.
    assert sorted(a.sequence for a in parsed.associations if a.sequence) == [1, 2]
    assert any(n.column == "CFAssociations[*].sequenceNumber" for n in parsed.notices)


def test_the_pre_1_0_common_core_export_is_read_leniently() -> None:
    parsed = parse_package(ccss_package(), "ccss.json")
    assert len(parsed.items) == 703 and len(parsed.associations) == 703
    assert parsed.framework.subject == "Math"
    grades = {g for i in parsed.items for g in i.grade_levels}
    assert grades == {"KG", "01", "02", "03", "04", "05", "06", "07", "08", "09"}
    # Its extra fields are reported once per kind of record, not once per item.
    ignored = [n for n in parsed.notices if n.column == "CFItems[*]"]
    assert len(ignored) == 1 and "educationalLevel" in ignored[0].message
    assert "703 records" in ignored[0].message
    assert len(parsed.notices) < 15


def test_a_strict_1_1_package_has_no_notices() -> None:
    parsed = parse_package(ladder(), "ladder.json")
    assert parsed.notices == []
    assert [i.list_order for i in parsed.items] == [1, 1, 2, 3]  # isChildOf sequence
    assert parsed.framework.subject == "Math" and parsed.framework.version == "2026"


def test_every_bad_field_is_named_with_its_index() -> None:
    package = rp_package()
    del package["CFItems"][3]["fullStatement"]
    package["CFItems"][5]["identifier"] = ""
    package["CFItems"][7]["identifier"] = package["CFItems"][6]["identifier"]
    package["CFAssociations"][2]["destinationNodeURI"] = {"title": "x"}
    del package["CFAssociations"][4]["associationType"]
    with pytest.raises(SourceDataError) as caught:
        parse_package(package, "rp.json")
    where = {p.column for p in caught.value.problems}
    assert where == {"CFItems[3].fullStatement", "CFItems[5].identifier",
                     "CFItems[7].identifier", "CFAssociations[2].destinationNodeURI.identifier",
                     "CFAssociations[4].associationType"}
    assert all(p.source == "rp.json" for p in caught.value.problems)
    assert "nothing was changed" in str(caught.value)
    dup = next(p for p in caught.value.problems if p.column == "CFItems[7].identifier")
    assert "CFItems[6]" in dup.message


@pytest.mark.parametrize("package", [[], {"CFItems": []}, {"CFDocument": "x"}])
def test_what_is_not_a_package_says_so(package: object) -> None:
    with pytest.raises(SourceDataError, match="not a CASE package"):
        parse_package(package, "x.json")


def test_an_overlong_identifier_is_refused_rather_than_cut() -> None:
    package = ladder()
    package["CFItems"][1]["identifier"] = "u" * 101
    with pytest.raises(SourceDataError) as caught:
        parse_package(package, "ladder.json")
    assert [p.column for p in caught.value.problems] == ["CFItems[1].identifier"]


@pytest.mark.parametrize(("value", "grades"), [
    (["KG", "01"], ["KG", "01"]),
    ("K", ["KG"]),
    ("3", ["03"]),
    (["Grade 4", "5th grade"], ["04", "05"]),
    ("K-2", ["KG", "01", "02"]),
    ("09-12", ["09", "10", "11", "12"]),
    ("HS", ["09", "10", "11", "12"]),
    ("PK, TK", ["PK", "TK"]),
    (["07", "06", "06"], ["06", "07"]),
    (None, []),
])
def test_grade_levels_normalize_to_ceds_codes(value: object, grades: list[str]) -> None:
    assert normalize_grades(value) == (grades, [])


def test_a_grade_not_understood_is_reported_not_guessed() -> None:
    assert normalize_grades(["03", "Algebra I"]) == (["03"], ["Algebra I"])
    package = ladder()
    package["CFItems"][2]["educationLevel"] = ["04", "sometimes"]
    parsed = parse_package(package, "ladder.json")
    assert parsed.items[2].grade_levels == ("04",)
    assert [(n.column, "sometimes" in n.message) for n in parsed.notices] == [
        ("CFItems[2].educationLevel", True)]
