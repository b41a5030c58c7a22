"""The `playground` command: one entry point with every subcommand.

The top layer: it parses arguments and prints, and may import from every layer below.
"""
