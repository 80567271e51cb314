"""kernel: what every other package shares, and nothing else.

The error hierarchy (``errors``), the settings every package reads the same way (``config``: the
strict config base, sizes, ``dgm_home()``), one way to call git (``git``), and the tree and patch
helpers built on it (``trees``, ``patches``). It imports none of dgm, sandbox, benchmarks,
archive_db or web, so each of them can import it (tests/test_layers.py checks both directions).
"""

__version__ = "0.1.0"
