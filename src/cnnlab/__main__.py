"""`python -m cnnlab ...` is the same as the `cnnlab` command."""

from cnnlab.cli import main

raise SystemExit(main())
