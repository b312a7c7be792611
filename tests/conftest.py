"""Shared pytest configuration.

Markers (declared in pyproject.toml): `cli` marks the tests that run the command line in a
subprocess, `slow` those that take seconds, `large` those that generate very large inputs (a
50 MB snapshot, a 10-million-row log) and take minutes. `large` tests run in CI (the CI
environment sets CI=true) or when CDAP_LARGE_TESTS=1; a plain local `pytest` skips them. The fast
inner loop is `pytest -m "not slow and not large"`.
"""

from __future__ import annotations

import os

import pytest


def large_tests_enabled() -> bool:
    return os.environ.get("CDAP_LARGE_TESTS", "") not in ("", "0") or os.environ.get(
        "CI", ""
    ).lower() in ("1", "true", "yes")


def pytest_configure(config):
    # the disk caches (compiled and loaded pack, schema validators) go to a folder of this session,
    # shared by every command the tests run, never to the user's own cache; pytest-xdist's workers
    # inherit the folder their controller made (each would otherwise compile the pack again)
    import tempfile

    inherited = os.environ.get("CDAP_TEST_CACHE_HOME")
    if inherited:
        os.environ["XDG_CACHE_HOME"] = inherited
        return
    config._cdap_cache = os.environ["XDG_CACHE_HOME"] = os.environ["CDAP_TEST_CACHE_HOME"] = (
        tempfile.mkdtemp(prefix="cdap-policy-test-cache-")
    )


def pytest_unconfigure(config):
    import shutil

    if getattr(config, "_cdap_cache", None):
        shutil.rmtree(config._cdap_cache, ignore_errors=True)
        os.environ.pop("CDAP_TEST_CACHE_HOME", None)


def pytest_collection_modifyitems(config, items):
    if large_tests_enabled():
        return
    skip = pytest.mark.skip(reason="very large input: set CDAP_LARGE_TESTS=1 (CI sets CI=true)")
    for item in items:
        if "large" in item.keywords:
            item.add_marker(skip)
