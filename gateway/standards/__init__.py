"""Academic standards: CASE 1.1 frameworks imported per tenant (from a package file or a
CASE provider), the graph of prerequisites, outline and equal items, the crosswalk from
vendor skill codes, and the standards a OneRoster ``learningObjectiveSet`` names.

The design: docs/learning.md ("Standards").
"""

from __future__ import annotations

from gateway.standards.crosswalk import Crosswalk, CrosswalkEntry
from gateway.standards.grades import normalize_grades
from gateway.standards.graph import (
    StandardsGraph,
    children,
    equivalents,
    parent,
    prerequisites,
    unlocks,
)
from gateway.standards.objectives import (
    LearningObjective,
    learning_objectives,
    objectives_of,
    stored_objectives,
)
from gateway.standards.provider import (
    fetch_package,
    import_file,
    import_from_provider,
    list_documents,
    read_package_file,
)
from gateway.standards.store import (
    FrameworkRecord,
    ImportReport,
    StandardRecord,
    frameworks,
    import_package,
    standard,
    standards_by_code,
)

__all__ = ["Crosswalk", "CrosswalkEntry", "FrameworkRecord", "ImportReport",
           "LearningObjective", "StandardRecord", "StandardsGraph", "children", "equivalents",
           "fetch_package", "frameworks", "import_file", "import_from_provider",
           "import_package", "learning_objectives", "list_documents", "normalize_grades",
           "objectives_of", "parent", "prerequisites", "read_package_file", "standard",
           "standards_by_code", "stored_objectives", "unlocks"]
