"""The parts of ``gateway.router``: ``config`` (deployments, the TOML tables), ``strategies``
(the order a request tries deployments in), ``failures`` (whose fault an error is, the SDKs'
backoff) and ``watchdog`` (the timeouts)."""
