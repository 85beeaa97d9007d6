"""Structured logs: one JSON object per line (``ts``, ``level``, ``event`` and the event's fields)."""

from __future__ import annotations

import json
import logging
import sys

LOGGER = "genie_studio.remote"


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        obj = {"ts": round(record.created, 3), "level": record.levelname.lower()}
        fields = getattr(record, "fields", None)
        if fields is not None:
            obj["event"] = record.getMessage()
            obj.update(fields)
        else:
            obj["event"] = "log"
            obj["message"] = record.getMessage()
        if record.exc_info:
            obj["exception"] = self.formatException(record.exc_info)
        return json.dumps(obj, default=str, separators=(",", ":"))


def log(event: str, level: int = logging.INFO, **fields) -> None:
    logging.getLogger(LOGGER).log(level, event, extra={"fields": fields})


def setup(stream=None, level: int = logging.INFO) -> logging.Handler:
    """Send the server's events to ``stream`` (stderr) as JSON lines; returns the handler."""
    lg = logging.getLogger(LOGGER)
    for old in [h for h in lg.handlers if isinstance(h.formatter, JsonLines)]:
        lg.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    lg.addHandler(handler)
    lg.setLevel(level)
    lg.propagate = False
    return handler


def teardown(handler: logging.Handler) -> None:
    logging.getLogger(LOGGER).removeHandler(handler)
