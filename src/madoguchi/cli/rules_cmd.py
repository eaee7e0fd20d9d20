"""`madoguchi rules …`: ask the rules layer a question, in Japanese or as JSON.

The subcommands live in :mod:`madoguchi.cli.rules_commands`, one module per concept; this
module only builds the group, in the order `madoguchi rules --help` lists them.
"""

from __future__ import annotations

import typer

from madoguchi.cli.rules_commands import (
    abroad,
    certificates,
    counter,
    identity,
    stay,
    text,
    validity,
)


def build() -> typer.Typer:
    app = typer.Typer(
        help="窓口の規則（SPEC.md の R-… ）を計算して表示します", no_args_is_help=True
    )
    app.command("expiry")(validity.cmd_expiry)
    app.command("card-expiry")(validity.cmd_card_expiry)
    app.command("renewal-window")(validity.cmd_renewal_window)
    app.command("checklist")(counter.cmd_checklist)
    app.command("pin")(text.cmd_pin)
    app.command("fee")(counter.cmd_fee)
    app.command("office")(counter.cmd_office)
    app.command("eligible")(certificates.cmd_eligible)
    app.command("revocation")(certificates.cmd_revocation)
    app.command("date")(text.cmd_date)
    app.command("id-check")(identity.cmd_id_check)
    app.command("abroad")(abroad.cmd_abroad)
    app.command("validity-change")(stay.cmd_validity_change)
    app.command("chars")(text.cmd_chars)
    return app
