"""Fill Solara's local asset cache from the npm registry so the teaching page renders offline.

Usage: .venv/bin/python scripts/setup_offline_assets.py   (run by `make test`; `safetysim app`
does the same when the cache is incomplete).  Idempotent: packages already cached are skipped.
"""

import sys

from simulation.teaching.offline_assets import AssetError, cache_dir, fill, requested_specs


def main() -> int:
    try:
        fetched = fill()
    except AssetError as e:
        print(f"error: offline assets: {e}", file=sys.stderr)
        return 2
    print(f"Solara asset cache {cache_dir()}: {len(requested_specs())} packages ready ({len(fetched)} fetched now)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
