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
