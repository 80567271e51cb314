"""The two consoles every command prints to: results on stdout, errors and notes on stderr."""

from __future__ import annotations

import sys

from rich.console import Console

# Piped output (CI logs, `| less`) gets a wide table instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 500)
