"""The Cloud Function's entry points.

Each module holds functions marked with `@FunctionContext.expose`; a UI Component calls them as
`module.function` (for example `example.greet`). Import helpers as `from functions import x`:
that works the same locally and in IXON Cloud.
"""
