"""What the converter tests (test_*convert.py) share: the repository root, a
tools/ script loaded as a module (in this process: importing torch again per
conversion would take seconds), and the tally of their checks."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "tools", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Checks:
    """check(name, cond, detail) prints ok or FAIL and counts the failures."""

    def __init__(self):
        self.failures = 0

    def __call__(self, name, cond, detail=""):
        print("%s %s %s" % ("ok  " if cond else "FAIL", name, detail))
        self.failures += 0 if cond else 1
