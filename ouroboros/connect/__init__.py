"""The resolver engine: operations, indexes, planner, runner, plugins, interface.

Modules, one concept each:

- ``operations``: ``@resolver`` / ``@mutation`` and their frozen records; ``optional``.
- ``shapes``: input / output shapes read from EQL text or Python data.
- ``factories``: built-in resolvers (constant, alias, equivalence, static table).
- ``attributes``: ``AttributeSpec`` and the attribute registry (typed attributes).
- ``indexes``: index-oir / index-io, the networkx graph, reachability and paths.
- ``index_resolvers``: the index served through EQL under ``:ouroboros.index/*``.
- ``planner``: the pure planner, plan nodes and the process-wide plan cache.
- ``render`` / ``explain``: plans as data, text, DOT and Mermaid.
- ``levels``: a query compiled into per-level instructions.
- ``runner``: breadth-wise execution as effects; ``drivers``: sync and anyio execution.
- ``effects``, ``sentinels``, ``run_state``, ``run_errors``: the runner's effects, markers, request
  state and error records; ``level_plans``, ``resolver_calls``, ``join_values``, ``selection``:
  planning a level, calling a resolver over it, join values in and out, the result's shape.
- ``env``, ``plugins``, ``trace``: what resolvers see, ``wrap_*`` middleware, run traces.
- ``interface``: ``Engine``, the one entry point.
"""
