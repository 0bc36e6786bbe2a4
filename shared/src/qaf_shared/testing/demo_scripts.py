"""deploy/local's demo scripts, as the services' tests of their demo data run them."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Final, NamedTuple

from qaf_shared.settings import REPO_ROOT

DEMO_DIR: Final = REPO_ROOT / "deploy" / "local"


class Demo(NamedTuple):
    """demo.py (the tenants, the quarters) and one service's loader (`demo_<service>.py`)."""

    main: ModuleType
    loader: ModuleType


def demo_scripts(loader: str) -> Demo:
    """demo.py and the loader named `loader`, imported from deploy/local/ as the demo imports
    them (demo.py imports its siblings by name): a test that points the loader at the service
    it started points the demo's own loader there."""
    sys.path.insert(0, str(DEMO_DIR))
    try:
        return Demo(importlib.import_module("demo"), importlib.import_module(loader))
    finally:
        sys.path.remove(str(DEMO_DIR))
