"""The pack's custom functions (`cdap_policy.engines.celfuncs`) as cel-python calls them, and its
boolean operators.

cel-python needs its own value types back (a plain Python `3` leaks through and compares
wrongly), and its compiled runner calls a custom function by its module path: each function of
celfuncs gets here a module-level twin that converts its plain result with `json_to_cel`.
"""

from __future__ import annotations

import celpy
from celpy import celtypes

from cdap_policy.engines import celfuncs


def _adapted(function):
    def call(*args):
        return celpy.json_to_cel(function(*args))

    call.__name__ = call.__qualname__ = function.__name__
    call.__module__ = __name__
    call.__doc__ = function.__doc__
    return call


for _name, _function in celfuncs.FUNCTIONS.items():
    globals()[_name] = _adapted(_function)

FUNCTIONS = {name: globals()[name] for name in celfuncs.FUNCTIONS}


# cel-python's compiled runner hands `has()` results over as Python bools, which its own boolean
# operators reject ("no such overload"). These wrappers accept them as CEL booleans; everything
# else is passed to cel-python unchanged.
def celbool(value):
    if isinstance(value, bool) and not isinstance(value, celtypes.BoolType):
        return celtypes.BoolType(value)
    return value


def logical_not(value):
    return celtypes.logical_not(celbool(value))


def logical_and(left, right):
    return celtypes.logical_and(celbool(left), celbool(right))


def logical_or(left, right):
    return celtypes.logical_or(celbool(left), celbool(right))


def logical_condition(condition, when_true, when_false):
    return celtypes.logical_condition(celbool(condition), when_true, when_false)


# Operator overrides, by cel-python's internal operator names.
OPERATORS = {"!_": logical_not, "_&&_": logical_and, "_||_": logical_or, "_?_:_": logical_condition}
