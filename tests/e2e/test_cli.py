"""The `eco2` command's errors: clear message, non-zero exit, nothing started."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.env import ECO2, ROOT


def eco2(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [ECO2, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_unknown_component_is_refused() -> None:
    result = eco2("run", "nonsense")
    assert result.returncode == 2
    assert "unknown component 'nonsense'" in result.stderr
    assert "gateway" in result.stderr


def test_bad_setting_names_the_variable() -> None:
    result = eco2("run", "system", env={"ECO2_PREFETCH": "lots"})
    assert result.returncode == 2
    assert "ECO2_PREFETCH" in result.stderr


def test_unreachable_bus_is_a_clear_error(tmp_path: Path) -> None:
    result = eco2(
        "ping",
        env={"ECO2_BUS_URL": "amqp://guest:guest@127.0.0.1:1/", "ECO2_DATABASE_URL": "embedded://"},
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_contract_schemas_are_exported(tmp_path: Path) -> None:
    result = eco2("contracts", "export", str(tmp_path / "schemas"))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert "system.ping.v1.schema.json" in names
    assert "envelope.schema.json" in names


def test_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = eco2("up", env={"ECO2_HTTP_PORT": str(port)}, cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot listen on" in result.stderr
    assert "Traceback" not in result.stderr


def test_knowledge_eval_prints_the_held_out_report() -> None:
    cases = ROOT / "tests" / "data" / "knowledge" / "heldout.jsonl"
    result = eco2("knowledge", "eval", str(cases), "--min-accuracy", "0.95")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    count = sum(1 for line in cases.read_text("utf-8").splitlines() if line.strip())
    assert lines[0] == f"cases: {count}"
    assert lines[1].startswith("major accuracy:")
    assert lines[2].startswith("middle accuracy:")


def test_knowledge_eval_fails_below_the_threshold_and_lists_the_miss(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"text": "치킨뼈", "major": "일반종량제폐기물", "middle": "일반종량제폐기물"}\n'
        '{"text": "치킨뼈", "major": "음식물류폐기물", "middle": "음식물류폐기물"}\n',
        "utf-8",
    )
    result = eco2("knowledge", "eval", str(cases), "--min-accuracy", "0.9")
    assert result.returncode == 3  # partial: it ran, but too many cases missed
    assert "middle accuracy: 50.0% (1/2)" in result.stdout
    assert "expected 음식물류폐기물/음식물류폐기물" in result.stdout
    assert "below 90.0%" in result.stderr


def test_knowledge_eval_names_a_bad_line(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"text": "캔", "major": "재활용폐기물", "middle": "금속류"}\nnot json\n')
    result = eco2("knowledge", "eval", str(cases))
    assert result.returncode == 1
    assert "line 2" in result.stderr
    assert "Traceback" not in result.stderr
    missing = eco2("knowledge", "eval", str(tmp_path / "absent.jsonl"))
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr
