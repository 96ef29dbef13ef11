"""`python -m chanx` runs the `chanx` command line."""

from chanx.cli import main

raise SystemExit(main())
