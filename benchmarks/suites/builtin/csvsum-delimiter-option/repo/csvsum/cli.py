"""Command-line interface: ``python3 -m csvsum FILE``."""

import argparse
import sys

from . import summarise
from .reader import TableError


def build_parser():
    parser = argparse.ArgumentParser(
        prog="csvsum", description="Print a summary of each column of a CSV file."
    )
    parser.add_argument("file", help="CSV file to summarise; the first row is the header")
    parser.add_argument(
        "-c",
        "--columns",
        help="comma-separated list of columns to include (default: all)",
    )
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    try:
        summaries = summarise(args.file, columns=columns)
    except (OSError, TableError, KeyError) as exc:
        print(f"csvsum: error: {exc}", file=sys.stderr)
        return 1
    for summary in summaries:
        print(summary.describe())
    return 0
