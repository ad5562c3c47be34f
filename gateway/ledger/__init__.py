"""The usage ledger: one row per attempt, token and cost budgets that hold under concurrency,
cost reports, deployment statistics and Prometheus metrics; SQLite by default, PostgreSQL for
many gateway instances. Modules: ``ledger`` (the ``Ledger``), ``budgets``, ``rows`` (tokens and
cost of an attempt), ``store`` with ``store_sqlite`` and ``store_postgres``, ``database`` (a
database several stores share, and their tables in it), ``url``, ``report``, ``metrics``,
``cli`` (``python -m gateway report``)."""

from .budgets import Budget, Reservation
from .ledger import DeploymentStats, Ledger
from .report import CostReport, Group, Totals
from .rows import get_api_protocol, usage_cost, usage_tokens
from .url import default_url

__all__ = [
    "Budget",
    "CostReport",
    "DeploymentStats",
    "Group",
    "Ledger",
    "Reservation",
    "Totals",
    "default_url",
    "get_api_protocol",
    "usage_cost",
    "usage_tokens",
]
