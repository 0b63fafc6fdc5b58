"""The ``molgan`` command line: each module registers its commands; library code does the work."""
