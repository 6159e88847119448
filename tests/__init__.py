"""The test suite. Test modules live in lib/, defs/, e2e/, parity/ and bench/; what they share (running
membrana, reading its results, the reference implementations) is in support/."""
