"""Use cases, each one transaction; they talk to ports (services/ports.py) only."""
