from __future__ import annotations

import inspect
import subprocess
import sys

import synapse.annotations as ann


def test_importing_the_model_loads_nothing_that_talks_http_nor_numpy() -> None:
    code = (
        "import sys, synapse.annotations\n"
        "far = ('synapse.transport', 'synapse.client', 'synapse.emulator', 'synapse.resources')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('requests', 'urllib3', 'numpy')\n"
        "       or m.startswith(far)]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_exists_and_classes_and_functions_are_documented() -> None:
    assert sorted(ann.__all__) == sorted(set(ann.__all__))
    for name in ann.__all__:
        value = getattr(ann, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name
