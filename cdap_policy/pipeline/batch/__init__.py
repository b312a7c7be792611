"""Checking many snapshots in one run: which files (`discover`), which share of them
(`shard`), in parallel processes (`pool`), written as they come (`sinks`), what the run found
overall (`summary`), and the whole run (`run.check_batch`). Nothing here prints; the command
line reports progress and errors. Each snapshot goes through `pipeline.check`.
"""
