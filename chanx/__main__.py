"""`python -m chanx` runs the `chanx` command line."""

from __future__ import annotations

from chanx.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
