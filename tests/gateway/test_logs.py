"""JSON log lines carry the message and the structured fields a run logs."""

from __future__ import annotations

import json
import logging

import pytest

from gateway.logs import configure_logging


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(json_lines=True, level="INFO")
        logging.getLogger("harbormaster.worker").info(
            "run %s of %s: %s", 7, "district/sis", "succeeded",
            extra={"run_id": 7, "connection": "district/sis", "status": "succeeded"})
        logging.getLogger("harbormaster.worker").debug("not shown at INFO")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    [line] = capsys.readouterr().err.strip().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "run 7 of district/sis: succeeded"
    assert entry["level"] == "info" and entry["logger"] == "harbormaster.worker"
    assert (entry["run_id"], entry["connection"], entry["status"]) == (7, "district/sis",
                                                                       "succeeded")
    assert entry["time"].endswith("+00:00")
