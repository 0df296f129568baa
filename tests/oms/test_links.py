"""``oms.links.reverse_one`` gives what Django's ``reverse`` gives: for plain arguments (worked out
once per name, script prefix and URLconf), for arguments ``reverse`` quotes, under another script
prefix, and for arguments no route takes."""

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from oms.links import reverse_one

ROUTES = [("api:order-detail", "number"), ("status:page", "token")]
VALUES = ["SO-000123", "12-0.Xj75WkuMAHw-iMNnz_M5QH", "a b", "ünï", "50%", "x~y.z"]


@pytest.mark.parametrize("viewname,name", ROUTES)
@pytest.mark.parametrize("prefix", ["/", "/shop/"])
def test_the_same_url_as_reverse(viewname, name, prefix):
    set_script_prefix(prefix)
    try:
        for value in VALUES * 2:  # the second time from what was worked out
            assert reverse_one(viewname, name, value) == reverse(viewname, kwargs={name: value}), value
    finally:
        clear_script_prefix()


def test_an_argument_no_route_takes_is_refused_as_reverse_refuses_it():
    with pytest.raises(NoReverseMatch):
        reverse(ROUTES[0][0], kwargs={"number": "a/b"})
    with pytest.raises(NoReverseMatch):
        reverse_one(ROUTES[0][0], "number", "a/b")
