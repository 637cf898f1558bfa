"""`python -m crotool` is the same as the `crotool` console script."""

from crotool.cli.entry import main

if __name__ == "__main__":
    main()
