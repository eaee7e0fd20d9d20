"""The `madoguchi` command line (Typer + Rich), calling the same code as the web."""
