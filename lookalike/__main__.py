"""``python -m lookalike``."""

from lookalike.cli import main

main()
