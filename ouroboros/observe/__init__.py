"""Observability: redaction, Prometheus metrics, OpenTelemetry traces, structured logs, live events.

A leaf package: anyone may import it, and it imports nothing of Ouroboros but ``errors`` and
``types``. Modules: ``redact`` (the one redaction list), ``metrics`` (the Prometheus families),
``tracing`` (spans and OTLP/HTTP export), ``logs`` (JSON/text formatters with request and trace
ids), ``events`` (the in-process feed behind the dashboard), ``context`` (the request id),
``engine`` (``wrap_*`` hooks that instrument an engine), ``requests`` (one observed request).
"""
