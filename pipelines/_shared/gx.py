"""GX's expectation classes, imported on first use: loading a task's spec must not pay GX's import (seconds)
when the batch's validation is reused (see coursework.validate)."""

from __future__ import annotations

import importlib
from typing import Any


class _LazyExpectations:
    """Stands in for `great_expectations.expectations` until an attribute is first read."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("great_expectations.expectations"), name)


gxe = _LazyExpectations()
