"""Output formats: pure functions from a Report (or rule list) to text."""
from cdap_policy.formatters import json_report, table

FORMATS = {"table": table.render, "json": json_report.render}
