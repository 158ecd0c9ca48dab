"""The alert rules and dashboards name only metrics that exist, in expressions that parse."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

from support.env import unavailable
from tests.deploy.image import ROOT

RULES = ROOT / "infra" / "prometheus" / "alerts.yml"
DASHBOARDS = ROOT / "infra" / "grafana" / "dashboards"
# Series that come from elsewhere: Prometheus itself, and RabbitMQ's own endpoint.
EXTERNAL = ("up", "rabbitmq_")
# Where metrics are declared: every module of these packages is imported first.
PACKAGES = ("bus", "journal", "gateway")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
}


def exported() -> set[str]:
    """Every series name the code's metrics expose."""
    for package in PACKAGES:
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            importlib.import_module(module.name)
    names = set()
    for family in REGISTRY.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


def named_metrics(expr: str) -> set[str]:
    try:
        import promql_parser
    except ImportError as exc:
        unavailable(f"promql-parser is needed to check the rules ({exc})")
    found: set[str] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            found.add(node.name)
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    for path in sorted(DASHBOARDS.glob("*.json")):
        text = path.read_text()

        def exprs(node: Any) -> Iterator[str]:
            if isinstance(node, dict):
                if isinstance(node.get("expr"), str):
                    yield node["expr"]
                for value in node.values():
                    yield from exprs(value)
            elif isinstance(node, list):
                for value in node:
                    yield from exprs(value)

        for expr in exprs(json.loads(text)):
            # Grafana's variables, as Prometheus would see them once substituted.
            yield path.name, expr.replace("$__rate_interval", "5m").replace("$group", ".*")


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_rule_has_an_alert_name_a_parsing_expression_and_a_summary() -> None:
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))
    for rule in rules():
        assert named_metrics(rule["expr"]), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}


@pytest.mark.parametrize(
    ("where", "expr"),
    [*((r["alert"], r["expr"]) for r in rules()), *dashboard_exprs()],
)
def test_every_metric_named_exists(where: str, expr: str) -> None:
    known = exported()
    for name in named_metrics(expr):
        if name.startswith(EXTERNAL):
            continue
        assert name in known, f"{where}: {name} is not a metric of the code"


def test_the_alerts_cover_what_an_operator_is_paged_for() -> None:
    exprs = " ".join(rule["expr"] for rule in rules())
    for needle in ("dead", "eco2_journal_backlog", "up{", "eco2_http_requests_total"):
        assert needle in exprs
