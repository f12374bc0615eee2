"""The resolver engine: operations, indexes, planner, runner, plugins, interface."""
