"""The demo company: a deterministic generator of raw exports for the demo, the tests and the benchmark."""
