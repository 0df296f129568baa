"""The interface speaks Dutch when the browser asks for it (locale/nl)."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from billing.models import InvoiceStatus
from oms.i18n import english
from orders.models import OrderStatus


def test_dutch_catalogue_uses_the_glossary():
    with translation.override("nl"):
        assert gettext("Counter sale") == "Kassaverkoop"
        assert gettext("Reorder queue") == "Bestelvoorstellen"
        assert gettext("reverse charge (btw verlegd)") == "btw verlegd"
        assert ngettext("%(days)s day", "%(days)s days", 2) % {"days": 2} == "2 dagen"


@pytest.mark.django_db
def test_pick_queue_speaks_dutch(role_client):
    html = role_client("warehouse").get(reverse("shipping:pick_queue"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Pickwachtrij" in html and "Pick queue" not in html


def test_one_english_word_reads_right_in_each_place():
    # "Change" is cash back at the counter but an edit on the phone-order screen, and so on
    with translation.override("nl"):
        assert gettext("Change") == "Wisselgeld"
        assert translation.pgettext("edit", "Change") == "Wijzigen"
        assert gettext("Credit") == "Credit"  # the ledger column
        assert translation.pgettext("action", "Credit") == "Crediteren"
        assert translation.pgettext("balance", "Credit") == "Tegoed"
        assert translation.pgettext("pack size", "Pack") == "Verpakking"


def test_choice_labels_read_dutch_and_stay_english_by_default():
    assert str(OrderStatus.PARTIALLY_SHIPPED.label) == "Partially shipped"
    with translation.override("nl"):
        assert str(OrderStatus.PARTIALLY_SHIPPED.label) == "Deels verzonden"
        assert str(InvoiceStatus.ISSUED.label) == "Openstaand"  # the status, not the column "Issued"
        assert english(OrderStatus.PARTIALLY_SHIPPED.label) == "Partially shipped"  # API messages, records
    assert OrderStatus.PARTIALLY_SHIPPED == "partially_shipped"  # the stored value does not change
