"""`python -m aitasker_cli` runs the same entry point as the `aitasker` console script."""

from aitasker_cli.entry import main

main()
