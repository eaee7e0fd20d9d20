"""The subcommands of `madoguchi rules`, one module per concept; `cli/rules_cmd.py` builds the group."""
