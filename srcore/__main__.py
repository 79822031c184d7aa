"""``python -m srcore``: the same commands as ``srcore`` (see :mod:`srcore.cli`)."""

from srcore.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
