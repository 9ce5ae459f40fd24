"""Benchmarks for depositdesk (`make bench`, i.e. `python -m benchmarks`).

They are not part of the test suite. Each one compares the real code path with a
baseline measured in the same run and prints the ratio against a target; no
absolute timing is ever asserted. Everything they write goes under a temporary
directory that is removed at the end.
"""
