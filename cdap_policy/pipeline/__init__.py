"""Pipeline: the data path run end to end, as the front ends (cli, web) call it; nothing here
prints.

`check` takes one snapshot through load, evaluate and report (notices, waivers, baseline,
redaction). `batch` takes many: which files, which share of them, in a pool of processes, each
report formatted in the worker that checked it and written as it comes, and what the run found
overall. The layer sits above `formatters` because a batch streams each report through its
format; `check` itself uses no formatter. It is independent of `authoring` (import-linter keeps
them apart): checking never needs the authors' tools, nor they the pipeline.
"""
