"""The demo company: a deterministic generator of raw exports for the demo, the tests and the benchmark.
Start at company.py (generate_company), whose docstring lists the parts."""
