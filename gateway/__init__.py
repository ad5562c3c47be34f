"""The system built on the port: router, usage ledger, optimisation strategies, service and
HTTP gateway. ``gateway`` imports ``providers``; ``providers`` never imports ``gateway``."""
