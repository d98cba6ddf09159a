"""``python -m stocktake``: the command line."""

from .cli import main

main()
