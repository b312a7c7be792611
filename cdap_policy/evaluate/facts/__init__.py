"""A snapshot as rules see it: collections of entities with stable keys and lines, and facts the
loader computes once (who is in force, who can log in, quotas in force, the flattened provider
chain...) so that expressions stay simple and fast. One module per collection described."""

from cdap_policy.evaluate.facts.context import Context
from cdap_policy.evaluate.facts.entity import Entity

__all__ = ["Context", "Entity"]
