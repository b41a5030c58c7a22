"""Helpers shared by the test suites, imported as ``tests.support.<module>``.

Fixtures stay in each folder's conftest.py; whatever a test imports lives here (pytest's
importlib mode cannot import a conftest, and `from .conftest import` ties a test to its folder).
"""
