"""The test suites (a package, so suites can share tests/conftest.py's helpers by name)."""
