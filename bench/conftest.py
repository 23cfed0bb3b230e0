"""pytest-benchmark suite: the same rows as ``python -m numdist bench``.

Run with ``pytest bench/ --benchmark-group-by=param:row`` (needs the bench
extra); each row is timed for numdist and for each peer, grouped together.
"""
