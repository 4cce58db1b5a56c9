"""Pytest fixtures for testing your own code against the local emulator.

CONTRACT STUB: the emulator work fills this in. Loaded as a pytest plugin (entry point
``pytest11``), so it must stay light: import the emulator only inside fixtures.
"""
