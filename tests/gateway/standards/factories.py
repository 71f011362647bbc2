"""Plain functions the standards tests share: the real CASE fixtures, and small packages
built from scratch to pin down the graph and the refusals."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from tests.helpers import SHARED

CASE_DIR = SHARED / "fixtures" / "case"
CCSS = CASE_DIR / "ccss-math-k12_opensalt_math_cfs_sample.json"
"""Common Core Math K-12: 703 items, 703 isChildOf, a pre-1.0 OpenSALT export (1.8 MB)."""
RP = CASE_DIR / "what-standards-could-be_opensalt_20c5134f.json"
"""16 items of 6.RP/7.RP with isChildOf, precedes, exactMatchOf, exemplar, isRelatedTo."""

RP_DOC = "20c5134f-423d-4097-a971-3dd5152bf507"
RP_6_A = "edfce0e7-dbbf-40d5-af1a-baccabef85e9"  # CCSS.Math.Content.6.RP.A (cluster)
RP_6_A_1 = "b6f61076-aa12-450b-8f9d-b86bc071f85e"  # 6.RP.A.1
RP_6_A_2 = "eceec0fb-e4de-4ef3-a48f-0987b366c9ae"  # 6.RP.A.2
RP_6_A_3 = "d83a65ed-770c-4dbe-a505-11e5e17a9a79"  # 6.RP.A.3
RP_7_A_3 = "693cfbbf-26bc-4e91-87ef-1badd646b720"  # 7.RP.A.3
CCSS_6_RP_A_1_MATCH = "2c75d647-4ed4-56d8-965d-c3affe91643d"  # 6.RP.A.1 exactMatchOf this


@cache
def _load(path: str) -> str:
    return (CASE_DIR / path).read_text(encoding="utf-8")


def rp_package() -> dict[str, Any]:
    """A fresh copy of the 6.RP/7.RP package (tests may edit it)."""
    return json.loads(_load(RP.name))


def ccss_package() -> dict[str, Any]:
    return json.loads(_load(CCSS.name))


def item(identifier: str, code: str, grade: str, statement: str | None = None,
         ) -> dict[str, Any]:
    return {"identifier": identifier, "uri": f"https://case.example/uri/{identifier}",
            "fullStatement": statement or f"Statement of {code}", "humanCodingScheme": code,
            "educationLevel": [grade], "CFItemType": "Standard",
            "lastChangeDateTime": "2026-01-01T00:00:00+00:00"}


def association(identifier: str, kind: str, origin: str, destination: str,
                sequence: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "identifier": identifier, "uri": f"https://case.example/uri/{identifier}",
        "associationType": kind,
        "originNodeURI": {"title": "o", "identifier": origin, "uri": f"urn:{origin}"},
        "destinationNodeURI": {"title": "d", "identifier": destination,
                               "uri": f"urn:{destination}"},
        "lastChangeDateTime": "2026-01-01T00:00:00+00:00"}
    if sequence is not None:
        out["sequenceNumber"] = sequence
    return out


def ladder() -> dict[str, Any]:
    """A strict CASE 1.1 framework: a grade-3, 4 and 5 fractions ladder (F3 precedes F4
    precedes F5), the three under one domain, and F4 equal to an item of another
    framework (X4)."""
    doc = {"identifier": "doc-fractions", "uri": "https://case.example/uri/doc-fractions",
           "creator": "Test State", "title": "Fractions", "lastChangeDateTime":
           "2026-01-01T00:00:00+00:00", "subject": ["Math"], "version": "2026"}
    items = [item("dom", "NF", "03", "Number and Operations: Fractions"),
             item("f3", "3.NF.1", "03"), item("f4", "4.NF.1", "04"),
             item("f5", "5.NF.1", "05")]
    links = [association("a-dom", "isChildOf", "dom", "doc-fractions", 1),
             association("a-f5", "isChildOf", "f5", "dom", 3),
             association("a-f3", "isChildOf", "f3", "dom", 1),
             association("a-f4", "isChildOf", "f4", "dom", 2),
             association("p-34", "precedes", "f3", "f4"),
             association("p-45", "precedes", "f4", "f5"),
             association("m-4", "exactMatchOf", "f4", "x4")]
    return {"CFDocument": doc, "CFItems": items, "CFAssociations": links}


def other_framework() -> dict[str, Any]:
    """A second framework whose X4 the ladder's F4 is an exact match of (and X4 of X4b)."""
    doc = {"identifier": "doc-other", "uri": "urn:doc-other", "creator": "Other",
           "title": "Other", "lastChangeDateTime": "2026-01-01T00:00:00+00:00"}
    return {"CFDocument": doc,
            "CFItems": [item("x4", "OT.4.F", "04"), item("x4b", "OT.4.F.b", "04")],
            "CFAssociations": [association("ox-1", "isChildOf", "x4", "doc-other"),
                               association("ox-2", "exactMatchOf", "x4b", "x4")]}
