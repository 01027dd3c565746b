"""Save PNGs of the key screens (welcome, login, sign-up, community home, notices, inbox, me) in
Chinese, English and elder mode into /work/main/screenshots/ (git-ignored):

    .venv/bin/python -m tests.e2e.screens

It runs tests/e2e/test_screens.py with SCREENSHOTS=1, so the screens are checked (axe, tap
targets, text size) as they are saved."""

from __future__ import annotations

import os
import sys

import pytest

from participation.config import ROOT

if __name__ == "__main__":
    os.environ["SCREENSHOTS"] = "1"
    os.chdir(ROOT)
    sys.exit(pytest.main(["-m", "e2e", "-q", "tests/e2e/test_screens.py", *sys.argv[1:]]))
