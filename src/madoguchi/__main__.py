"""``python -m madoguchi`` is the ``madoguchi`` command (run-periodic runs its jobs so)."""

from madoguchi.cli.main import main

if __name__ == "__main__":
    main()
