"""What the image built by `infra/Dockerfile` gives every container: read from that file.

The deploy tests run containers as local processes, so they take the image's ENTRYPOINT,
CMD, ENV, EXPOSE, VOLUME and WORKDIR from the Dockerfile itself rather than restating them.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "infra" / "Dockerfile"
# The image installs the project, so its `eco2` is this environment's.
EXECUTABLES = {"eco2": str(Path(sys.executable).with_name("eco2"))}


@dataclass(frozen=True)
class Image:
    entrypoint: list[str]
    cmd: list[str]
    env: dict[str, str] = field(default_factory=dict)
    exposed: list[int] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    workdir: str = "/"


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final stage, continuation lines joined."""
    joined: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    result: list[tuple[str, str]] = []
    for line in joined:
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            result = []  # only the last stage is the image
        result.append((word.upper(), rest.strip()))
    return result


def _exec_form(arguments: str) -> list[str]:
    if arguments.startswith("["):
        parsed = json.loads(arguments)
        return [str(part) for part in parsed]
    return ["/bin/sh", "-c", arguments]


def load(path: Path = DOCKERFILE) -> Image:
    entrypoint: list[str] = []
    cmd: list[str] = []
    env: dict[str, str] = {}
    exposed: list[int] = []
    volumes: list[str] = []
    workdir = "/"
    for word, arguments in _instructions(path.read_text()):
        match word:
            case "ENTRYPOINT":
                entrypoint = _exec_form(arguments)
            case "CMD":
                cmd = _exec_form(arguments)
            case "ENV":
                for pair in shlex.split(arguments):
                    key, _, value = pair.partition("=")
                    env[key] = value
            case "EXPOSE":
                exposed += [int(port.split("/")[0]) for port in arguments.split()]
            case "VOLUME":
                volumes += json.loads(arguments) if arguments.startswith("[") else arguments.split()
            case "WORKDIR":
                workdir = arguments
    return Image(entrypoint, cmd, env, exposed, volumes, workdir)


def executable(argv: list[str]) -> list[str]:
    """`argv` with the image's program names replaced by this environment's."""
    return [EXECUTABLES.get(argv[0], argv[0]), *argv[1:]] if argv else argv
