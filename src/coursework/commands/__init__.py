"""Sub-commands of `coursework`, one module per area, each registering on `coursework.cli.app`.

`coursework.cli` imports these modules at its end; a module imports `app` and the shared helpers
(`_fail`, `_quiet_services`, `out`, `err`) from `coursework.cli`.
"""
