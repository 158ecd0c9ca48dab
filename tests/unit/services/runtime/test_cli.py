"""The `eco2` command's shape and its one exit-code policy (0 ok, 1 failure, 2 usage,
3 partial), through click's runner: no process, no server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bus.ports import BusError
from contracts import new_envelope
from journal.sqlite.store import Journal
from services.runtime.cli import GROUPS, app, shell
from tests.contract.messages import Note

runner = CliRunner()


def eco2(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    path = tmp_path / "storage.journal"

    async def fill() -> None:
        j = await Journal.open(path, worker="storage")
        await j.begin(new_envelope(Note(text="kept")))
        await j.close()

    asyncio.run(fill())
    return path


def test_the_root_lists_every_group_and_its_own_commands() -> None:
    code, stdout, _ = eco2("--help")
    assert code == 0
    groups = ("contracts", "journal", "dlq", "knowledge", "places")
    for name in ("up", "run", "migrate", "ping", *groups):
        assert name in stdout
    named = [g.info.name for g in GROUPS if g.info.name]
    assert named == list(groups)


def test_replay_is_a_journal_command() -> None:
    code, stdout, _ = eco2("journal", "--help")
    assert code == 0
    for name in ("stats", "ls", "show", "export", "copy", "prune", "sync", "replay"):
        assert name in stdout


def test_a_group_without_a_command_shows_its_help() -> None:
    code, _, _ = eco2("dlq")
    assert code == shell.ExitCode.USAGE  # click's no_args_is_help exits as a usage error


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("journal", "replay", "storage"), "select entries with --id"),
        (("dlq", "purge", "storage"), "add --yes"),
        (("dlq", "requeue", "storage"), "choose --id, --reason or --all"),
        (("journal", "frobnicate"), "No such command"),
    ],
)
def test_usage_errors_exit_2_and_say_why(args: tuple[str, ...], says: str) -> None:
    code, _, stderr = eco2(*args)
    assert code == 2
    assert says in stderr
    assert "Traceback" not in stderr


def test_a_bad_setting_exits_2_naming_the_variable(journal_file: Path) -> None:
    code, _, stderr = eco2("journal", "ls", "storage", env={"ECO2_PREFETCH": "lots"})
    assert code == 2
    assert "ECO2_PREFETCH" in stderr


def test_dead_letters_need_rabbitmq() -> None:
    code, _, stderr = eco2("dlq", "ls", "storage", env={"ECO2_BUS_URL": "memory://"})
    assert code == 2
    assert "error: dead-letter commands need ECO2_BUS_URL=amqp" in stderr


def test_a_malformed_time_is_a_usage_error(journal_file: Path) -> None:
    code, _, stderr = eco2("journal", "ls", str(journal_file), "--since", "yesterday-ish")
    assert code == 2
    assert "neither an ISO time nor a duration" in stderr


def test_a_missing_or_foreign_journal_is_a_failure(tmp_path: Path) -> None:
    code, _, stderr = eco2("journal", "stats", str(tmp_path / "none.journal"))
    assert code == 1
    assert "error: no journal file at" in stderr
    junk = tmp_path / "junk.journal"
    junk.write_text("not a database, not at all" * 50)
    code, _, stderr = eco2("journal", "ls", str(junk))
    assert code == 1
    assert "not a usable journal" in stderr


def test_an_unknown_entry_is_a_failure(journal_file: Path) -> None:
    code, _, stderr = eco2("journal", "show", str(journal_file), "no-such-id")
    assert code == 1
    assert "error: no entry no-such-id" in stderr
    code, _, stderr = eco2("journal", "replay", str(journal_file), "--id", "gone", "--dry-run")
    assert code == 1
    assert "no entries gone" in stderr


def test_a_copy_onto_an_existing_file_is_a_failure(journal_file: Path, tmp_path: Path) -> None:
    taken = tmp_path / "taken.journal"
    taken.write_text("")
    code, _, stderr = eco2("journal", "copy", str(journal_file), str(taken))
    assert code == 1
    assert "exists; choose a new file" in stderr


def test_a_worker_name_is_found_under_the_data_dir(journal_file: Path) -> None:
    env = {"ECO2_DATA_DIR": str(journal_file.parent.parent)}
    (journal_file.parent.parent / "journal").mkdir()
    journal_file.rename(journal_file.parent.parent / "journal" / "storage.journal")
    code, stdout, stderr = eco2("journal", "stats", "storage", "--json", env=env)
    assert code == 0, stderr
    stats = json.loads(stdout)
    assert (stats["meta"]["worker"], stats["by_state"]["received"]) == ("storage", 1)


def test_a_dry_run_replay_names_what_it_would_do(journal_file: Path) -> None:
    code, stdout, stderr = eco2(
        "journal", "replay", str(journal_file), "--state", "received", "--dry-run"
    )
    assert code == 0, stderr
    assert "would re-run" in stdout
    assert "selected 1 entries" in stderr


def test_run_turns_a_ports_error_into_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    async def broken() -> None:
        raise BusError("broker [gone]")

    with pytest.raises(typer.Exit) as exit_:
        shell.run(broken())
    assert exit_.value.exit_code == shell.ExitCode.FAILURE
    assert "error: broker [gone]" in capsys.readouterr().err, "markup in messages is escaped"


def test_run_lets_a_bug_show_its_traceback() -> None:
    async def bug() -> None:
        raise KeyError("a programming error is not an operator's problem")

    with pytest.raises(KeyError):
        shell.run(bug())


KNOWLEDGE = Path(__file__).resolve().parents[4] / "tests" / "data" / "knowledge"


def test_knowledge_eval_prints_the_held_out_report() -> None:
    cases = KNOWLEDGE / "heldout.jsonl"
    code, stdout, stderr = eco2("knowledge", "eval", str(cases), "--min-accuracy", "0.95")
    assert code == shell.ExitCode.OK, stderr
    lines = stdout.splitlines()
    count = sum(1 for line in cases.read_text("utf-8").splitlines() if line.strip())
    assert lines[0] == f"cases: {count}"
    assert lines[1].startswith("major accuracy:")
    assert lines[2].startswith("middle accuracy:")


def test_knowledge_eval_below_the_threshold_is_partial_and_lists_the_miss(
    tmp_path: Path,
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"text": "치킨뼈", "major": "일반종량제폐기물", "middle": "일반종량제폐기물"}\n'
        '{"text": "치킨뼈", "major": "음식물류폐기물", "middle": "음식물류폐기물"}\n',
        "utf-8",
    )
    code, stdout, stderr = eco2("knowledge", "eval", str(cases), "--min-accuracy", "0.9")
    assert code == shell.ExitCode.PARTIAL
    assert "middle accuracy: 50.0% (1/2)" in stdout
    assert "expected 음식물류폐기물/음식물류폐기물" in stdout
    assert "below 90.0%" in stderr


def test_knowledge_eval_of_a_bad_or_missing_file_fails_naming_it(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"text": "캔", "major": "재활용폐기물", "middle": "금속류"}\nnot json\n')
    code, _, stderr = eco2("knowledge", "eval", str(cases))
    assert code == shell.ExitCode.FAILURE
    assert "line 2" in stderr
    code, _, stderr = eco2("knowledge", "eval", str(tmp_path / "absent.jsonl"))
    assert code == shell.ExitCode.FAILURE
    assert "cannot read" in stderr
