"""The `eco2` command, one module per role.

- `system`: the root's own commands: `up`, `run`, `migrate`, `ping`
- `contracts`: `eco2 contracts export`
- `journal`: `eco2 journal stats|ls|show|export|copy|prune|sync`, and `replay` (`replay`)
- `dlq`: `eco2 dlq ls|show|requeue|purge`
- `knowledge`: `eco2 knowledge eval FILE` (the item matcher's held-out accuracy)
- `places`: `eco2 places import`
- `shell`: what they share (consoles, exit codes, settings, running a coroutine);
  `selection`: how journal commands name a journal and pick its entries.

Exit codes, the same for every command (`shell.ExitCode`):

    0  ok
    1  failure: the command is well-formed but could not be done: a service unreachable,
       a journal file missing or not a journal, an entry, dead letter or queue not found,
       a database or broker error
    2  usage: the command line or the ECO2_* settings are wrong (unknown command, option
       or component, a malformed value, a missing selection or `--yes`); nothing was
       touched. click uses 2 for its own checks too.
    3  partial: it ran, but some of the selected items were not done (`journal replay`:
       entries failed again; `dlq requeue`: letters refused by the loop guard;
       `knowledge eval --min-accuracy`: too many cases missed)

Messages go to stderr as `error: …`, one line each, never a traceback.

Adding a command group, e.g. `eco2 places import …`:

1. Write `services/runtime/cli/places.py` with
   `app = typer.Typer(name="places", help="…", no_args_is_help=True)` and its commands
   as `@app.command("import")` functions. Read the settings with `shell.settings()`, run
   async work with `shell.run(coro)` (a port's error becomes exit 1), refuse bad input
   with `shell.usage(...)` (exit 2) and report other problems with `shell.fail(...)`.
2. Add `places.app` to `GROUPS` below.
3. Test it with `typer.testing.CliRunner` on `services.runtime.cli.app`, asserting the
   output and the exit code (`tests/unit/services/runtime/test_cli.py` shows how).
"""

from __future__ import annotations

import typer

from services.runtime.cli import contracts, dlq, journal, knowledge, places, system

# Each group's Typer carries its own name; `system.app` has none, so its commands sit at
# the root.
GROUPS: tuple[typer.Typer, ...] = (
    system.app,
    contracts.app,
    journal.app,
    dlq.app,
    knowledge.app,
    places.app,
)

app = typer.Typer(help="Eco² backend.", no_args_is_help=True, add_completion=False)
for group in GROUPS:
    app.add_typer(group)


def main() -> None:
    app()
