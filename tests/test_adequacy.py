"""adequate_protection(): adequacy decisions that cover only some recipients (US: Data Privacy
Framework,
Canada: commercial organisations), read from the provider or data store itself, with the shipped
list.
"""

import celpy
import pytest
from helpers import pack

from cdap_policy.engines import celfuncs as f


def shipped_countries():
    return celpy.json_to_cel(pack().param_values["countries"])


@pytest.mark.parametrize(
    "country,recipient,ok",
    [
        ("FR", {}, True),
        ("NO", {}, True),
        ("JP", {}, True),
        ("GB", {}, True),
        # French outermost regions are EU territory under a code of their own; New Caledonia is not
        ("RE", {}, True),
        ("GP", {}, True),
        ("YT", {}, True),
        ("NC", {}, False),
        ("US", {}, False),
        ("US", {"dpf_certified": True}, True),
        ("US", {"dpf_certified": False}, False),
        ("CA", {}, False),
        ("CA", {"commercial_organisation": True}, True),
        ("CA", {"commercial_organisation": False}, False),
        # a certification is no commercial status, and the reverse
        ("CA", {"dpf_certified": True}, False),
        ("US", {"commercial_organisation": True}, False),
        ("IN", {"dpf_certified": True, "commercial_organisation": True}, False),
    ],
)
def test_partial_adequacy_needs_the_recipient_it_covers(country, recipient, ok):
    assert (
        bool(
            f.adequate_protection(
                celpy.json_to_cel(country), celpy.json_to_cel(recipient), shipped_countries()
            )
        )
        is ok
    )


def test_a_boolean_still_says_whether_the_recipient_is_certified():
    countries = shipped_countries()
    assert f.adequate_protection(celpy.json_to_cel("US"), celpy.json_to_cel(True), countries)
    assert not f.adequate_protection(celpy.json_to_cel("CA"), celpy.json_to_cel(True), countries)


def test_only_a_boolean_true_counts_as_recorded():
    recipient = celpy.json_to_cel({"commercial_organisation": "yes"})
    assert not f.adequate_protection(celpy.json_to_cel("CA"), recipient, shipped_countries())


@pytest.mark.parametrize("args", [(3, {}), ("CA", "yes")])
def test_bad_arguments_raise_only_type_errors(args):
    with pytest.raises(TypeError):
        f.adequate_protection(
            celpy.json_to_cel(args[0]), celpy.json_to_cel(args[1]), shipped_countries()
        )
