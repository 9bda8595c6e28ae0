"""``python -m hwr_edge`` runs the CLI."""

from hwr_edge.cli import main

main()
