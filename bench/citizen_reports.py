"""Benchmark of citizen reports: the public map, duplicate search and submissions (see feedback_bench.py).

Run: .venv/bin/python bench/citizen_reports.py [--reports 1000000] [--runs 500] [--seconds 20] [--keep]
"""

from feedback_bench import main

if __name__ == "__main__":
    main()
