"""Benchmark of citizen reports: the public map, duplicate search and submissions (see feedback_bench.py).

Run: .venv/bin/python bench/feedback.py [--reports 1000000] [--runs 500] [--seconds 20] [--keep]
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
# This file bears the name of the project's `feedback` package: look in the project first, in bench/ last.
sys.path[:] = [str(Path(_HERE).parent), *(entry for entry in sys.path if entry != _HERE), _HERE]

from feedback_bench import main  # noqa: E402

if __name__ == "__main__":
    main()
