"""`cdap-policy serve` (extra `web`): the partner's self-assessment and the auditor's report on web pages."""
