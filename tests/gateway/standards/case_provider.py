"""A CASE provider to import from in the tests: the CASE 1.0 REST binding
(``/ims/case/v1p0/CFDocuments``, ``CFPackages/{id}``) or 1.1, on FastAPI, serving the
packages it is given (the real fixtures), with a page size small enough to page."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Query, Response


def case_provider(packages: list[dict[str, Any]], *, version: str = "v1p0",
                  page_size: int = 100) -> FastAPI:
    app = FastAPI()
    by_id = {p["CFDocument"]["identifier"]: p for p in packages}
    app.state.requests = []
    root = f"/ims/case/{version}"

    @app.get(f"{root}/CFDocuments")
    def documents(response: Response, limit: int = Query(100), offset: int = Query(0),
                  ) -> dict[str, Any]:
        app.state.requests.append(f"CFDocuments?offset={offset}")
        docs = [p["CFDocument"] for p in packages]
        response.headers["X-Total-Count"] = str(len(docs))
        return {"CFDocuments": docs[offset:offset + min(limit, page_size)]}

    @app.get(f"{root}/CFPackages/{{sourced_id}}")
    def package(sourced_id: str) -> dict[str, Any]:
        app.state.requests.append(f"CFPackages/{sourced_id}")
        if sourced_id not in by_id:
            raise HTTPException(404, {"imsx_codeMajor": "failure",
                                      "imsx_description": "unknown CFPackage"})
        return by_id[sourced_id]

    return app
