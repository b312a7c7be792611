"""Authoring: the tools of those who write and read the pack or fill a snapshot, beside the check
path: the rules' own test cases (`rulecases`), requirements traced to the rules and cases that
implement them (`traceability`), the rule reference in Markdown (`docs`), why a rule passes or
fails on one entity (`explaining`), the starter snapshot of `init` (`starter`) and staff lists
read from spreadsheets (`importers`).

It uses load, logs and evaluate, and only the front ends use it; it is independent of
`pipeline` (import-linter keeps them apart).
"""
