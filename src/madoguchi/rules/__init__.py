"""The municipality's and the law's rules (SPEC.md §2–§7) as pure functions and data.

Standard library and jpholiday only; nothing here reads the clock, a file or a database.
Each function's docstring names the rule id of SPEC.md it implements.
"""
