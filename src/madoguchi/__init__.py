"""madoguchi (窓口): the counter system and certificate authority for JPKI certificates."""

__version__ = "0.1.0"
