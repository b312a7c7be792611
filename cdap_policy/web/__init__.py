"""`cdap-policy serve` (extra `web`): the partner's self-assessment and the auditor's report on web
pages.

The other front end beside `cli`: it calls the pipeline, the authoring tools and the formatters as
the command line does. It sits just below `cli` in the layers only because `serve` starts it; it
imports no module of `cli`.
"""
