"""Run unittest cases from inside our pytest tests."""

from __future__ import annotations

import io
import unittest
from dataclasses import dataclass


@dataclass
class Outcome:
    result: unittest.TestResult
    output: str


def run_tests(*cases: unittest.TestCase) -> Outcome:
    stream = io.StringIO()
    runner = unittest.TextTestRunner(stream=stream, verbosity=2)
    result = runner.run(unittest.TestSuite(cases))
    return Outcome(result, stream.getvalue())


def run_class(cls: type[unittest.TestCase]) -> Outcome:
    return run_tests(*unittest.defaultTestLoader.loadTestsFromTestCase(cls))
