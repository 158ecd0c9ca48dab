"""`eco2 knowledge …`: the item dictionary's operator commands.

`eval FILE` runs the matcher over labelled hints (JSON lines of {"text", "major",
"middle"}, as `tests/data/knowledge/*.jsonl`) and prints the major and middle accuracy and
every miss. A file that cannot be read or is not such a file is exit 1. With
`--min-accuracy` a middle accuracy below it is exit 3 (it ran, but too many cases missed),
so CI can hold the dictionary to a figure. Offline: it needs no bus or database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from services.recycling.dictionary import load_dictionary
from services.recycling.errors import CasesError
from services.recycling.evaluate import evaluate, format_report, parse_cases
from services.recycling.matcher import Matcher
from services.runtime.cli.shell import ExitCode, fail

app = typer.Typer(name="knowledge", help="The item dictionary.", no_args_is_help=True)


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(help="JSON lines of {text, major, middle}")],
    min_accuracy: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="exit 3 if the middle accuracy is below (0..1)"),
    ] = 0.0,
) -> None:
    """Print the matcher's accuracy over labelled hints, and its misses."""
    try:
        cases = parse_cases(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    except CasesError as exc:
        fail(f"{file}: {exc}")
    report = evaluate(Matcher(load_dictionary()), cases)
    typer.echo(format_report(report))
    if report.middle_accuracy < min_accuracy:
        fail(
            f"middle accuracy {report.middle_accuracy:.1%} is below {min_accuracy:.1%}",
            ExitCode.PARTIAL,
        )
