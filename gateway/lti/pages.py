"""The HTML an LMS user sees inside the LMS frame: the launch page, the deep-linking picker,
the auto-posting deep-linking response, and error pages. Server-rendered, every value
escaped, no script or style from anywhere else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from starlette.responses import HTMLResponse

from gateway.lti.views import Activity, ClassView, Evidence, LearnerView

__all__ = ["auto_post", "error_page", "instructor_page", "learner_page", "page",
           "picker_page", "unlinked_page"]

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;
color:#1b1f23;line-height:1.45;max-width:60rem}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.25rem 0 .5rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid #d0d7de}th{background:#f6f8fa}.muted{color:#57606a}
.error{border-left:4px solid #cf222e;padding:.5rem 1rem;background:#fff5f5}
button{font-size:1rem;padding:.4rem 1rem;margin-top:1rem}
label{display:block;padding:.3rem 0}
dt{font-weight:600}dd{margin:0 0 .5rem 0;word-break:break-all}
"""


def page(title: str, body: str, *, script: str = "") -> str:
    """A whole page around ``body`` (already escaped HTML); ``script`` is ours, inline."""
    tail = f"<script>{script}</script>" if script else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · Harbormaster</title><style>{_STYLE}</style></head>"
            f"<body><main>{body}</main>{tail}</body></html>")


def _page(title: str, body: str, status: int = 200, script: str = "") -> HTMLResponse:
    return HTMLResponse(page(title, body, script=script), status_code=status)


def error_page(reason: str, hint: str, status: int, reference: str) -> HTMLResponse:
    body = (f'<h1>This launch could not be completed</h1><div class="error" role="alert">'
            f"<p><strong>{escape(reason)}</strong></p><p>{escape(hint)}</p></div>"
            f'<p class="muted">Reference {escape(reference)}: quote it to your district\'s '
            f"Harbormaster administrator; it is in the gateway's log.</p>")
    return _page("Launch refused", body, status)


def _score(e: Evidence) -> str:
    if e.score is None or e.score == "":
        return escape(e.status or "")
    return escape(e.score) + (f" / {escape(e.maximum)}" if e.maximum else "")


def _evidence_table(rows: Iterable[Evidence]) -> str:
    items = "".join(f"<tr><td>{escape(e.title)}</td><td>{_score(e)}</td>"
                    f"<td>{escape((e.date or '')[:10])}</td></tr>" for e in rows)
    if not items:
        return '<p class="muted">No evidence recorded yet.</p>'
    return ('<table><caption class="muted">Most recent first</caption><thead><tr>'
            '<th scope="col">Activity</th><th scope="col">Score</th><th scope="col">Date'
            f"</th></tr></thead><tbody>{items}</tbody></table>")


_NO_MASTERY = ('<h2>Mastery</h2><p class="muted">No mastery has been computed yet: it appears '
               "here once the district connects its adaptive tools.</p>")


def learner_page(view: LearnerView, context_title: str) -> HTMLResponse:
    classes = ", ".join(escape(t) for t in view.classes) or "no active enrolment"
    body = (f"<h1>{escape(view.name)}</h1><p class=\"muted\">{escape(context_title)}</p>"
            f"<h2>Enrolment</h2><p>{classes}</p>"
            f"<h2>Recent evidence</h2>{_evidence_table(view.evidence)}{_NO_MASTERY}")
    return _page(view.name, body)


def instructor_page(view: ClassView) -> HTMLResponse:
    rows = "".join(
        f"<tr><td>{escape(m.name)}</td><td>{m.results}</td>"
        f"<td>{_score(m.latest) if m.latest else ''}</td>"
        f"<td>{escape(m.latest.title) if m.latest else ''}</td></tr>" for m in view.students)
    table = (('<table><thead><tr><th scope="col">Learner</th><th scope="col">Results</th>'
              '<th scope="col">Latest score</th><th scope="col">Activity</th></tr></thead>'
              f"<tbody>{rows}</tbody></table>") if rows
             else '<p class="muted">No students are enrolled in this class.</p>')
    body = (f"<h1>{escape(view.title)}</h1><p class=\"muted\">{len(view.students)} students"
            f"</p><h2>Class</h2>{table}{_NO_MASTERY}")
    return _page(view.title, body)


def unlinked_page(title: str, what: str, fix: str) -> HTMLResponse:
    body = f"<h1>{escape(title)}</h1><p>{escape(what)}</p><p class=\"muted\">{escape(fix)}</p>"
    return _page(title, body)


def picker_page(action: str, items: list[Activity], context_title: str,
                multiple: bool) -> HTMLResponse:
    kind = "checkbox" if multiple else "radio"
    choices = "".join(
        f'<label><input type="{kind}" name="activity" value="{escape(a.id, True)}"'
        f'{" checked" if i == 0 and not multiple else ""}> {escape(a.title)}'
        f' <span class="muted">({escape(a.kind)}, out of {a.score_maximum:g}'
        f'{"; " + escape(a.detail) if a.detail else ""})</span></label>'
        for i, a in enumerate(items))
    body = (f"<h1>Add a Harbormaster activity</h1><p class=\"muted\">{escape(context_title)}"
            f'</p><form method="post" action="{escape(action, True)}"><fieldset><legend>'
            f"Choose what to place in the course; each gets a gradebook column.</legend>"
            f'{choices}</fieldset><button type="submit">Add to course</button></form>')
    return _page("Add an activity", body)


def auto_post(action: str, fields: Mapping[str, str], title: str) -> HTMLResponse:
    """A form that posts itself (the way LTI hands a message back to the platform), with a
    button for browsers that run no script."""
    inputs = "".join(f'<input type="hidden" name="{escape(k, True)}" value="{escape(v, True)}">'
                     for k, v in fields.items())
    body = (f'<h1>{escape(title)}</h1><form id="harbor-auto-post" method="post" '
            f'action="{escape(action, True)}">{inputs}<button type="submit">Continue</button>'
            f"</form>")
    return _page(title, body, script="document.getElementById('harbor-auto-post').submit();")
