"""``POST /api/v1/settlements/`` (payments:write) and the settlements screen: a CSV upload that is
stored whole or not at all, with problem+json or form errors naming the problem; the screen shows
what providers still owe and since when."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import ProviderSettlement
from oms.roles import Role
from tests.billing.fake_mollie import FakeMollie
from tests.billing.settlements import csv_file, provider_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_delivery")]
URL = "/api/v1/settlements/"
DAY = f"{date.today():%d-%m-%Y}"


def riverty_csv(payout="98,50", identifier="RV-7"):
    # Semicolons and decimal commas, as a Dutch spreadsheet saves it.
    return (
        "settlement;date;type;reference;amount;vat\n"
        f"{identifier};{DAY};payment;rv_1;100,00;\n"
        f"{identifier};{DAY};fee;;1,50;\n"
        f"{identifier};{DAY};payout;RIVERTY {identifier};{payout};\n"
    ).encode()


def post(client, content: bytes, provider="riverty"):
    return client.post(URL, {"provider": provider, "file": SimpleUploadedFile("s.csv", content)}, format="multipart")


def test_post_settlements_is_201_then_200_already_imported(api_client_for):
    provider_payment("rv_1", "100.00", "riverty")
    shop = api_client_for(scopes=["payments:write"])
    first, again = post(shop, riverty_csv()), post(shop, riverty_csv())
    assert first.status_code == 201, first.content
    assert first.json() == {"created": ["RV-7"], "already_imported": 0, "payouts_landed": 0}
    assert again.status_code == 200 and again.json()["already_imported"] == 1
    assert ProviderSettlement.objects.get().fees_amount == Decimal("1.50")


@pytest.mark.parametrize(
    ("content", "provider", "field", "code"),
    [
        (riverty_csv(payout="99,00"), "riverty", "amount", "does_not_add_up"),
        (b"settlement;date\nX;1\n", "riverty", "file", "invalid_file"),
        (riverty_csv(), "Riverty BV", "provider", "invalid"),
        (csv_file(["RV-8,2026-11-30,payment,rv_nope,1.00,", "RV-8,2026-11-30,payout,,1.00,"]), "riverty", "payments",
         "unknown_payment"),
    ],
)  # fmt: skip
def test_a_bad_upload_is_a_problem_naming_field_and_code(api_client_for, content, provider, field, code):
    provider_payment("rv_1", "100.00", "riverty")
    response = post(api_client_for(scopes=["payments:write"]), content, provider)
    assert response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == (field, code)
    assert ProviderSettlement.objects.count() == 0


def test_a_payment_in_two_settlements_is_409(api_client_for):
    provider_payment("rv_1", "100.00", "riverty")
    shop = api_client_for(scopes=["payments:write"])
    post(shop, riverty_csv())
    response = post(shop, riverty_csv(identifier="RV-8"))
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "already_settled"


def test_settlements_screen_shows_what_is_unsettled_and_imports_a_file(role_client):
    provider_payment("rv_1", "100.00", "riverty")
    provider_payment("tr_1", "20.00")
    client = role_client(Role.ACCOUNTING)
    page = client.get(reverse("billing:settlements"))
    rows = {row["code"]: row for row in page.context["unsettled"]}
    assert (rows["1330"]["count"], rows["1330"]["total"], rows["1330"]["days"]) == (1, Decimal("100.00"), 0)

    bad = client.post(reverse("billing:settlements"), {"provider": "riverty", "file": SimpleUploadedFile("s.csv", b"")})
    assert bad.status_code == 200 and "The file is empty." in bad.content.decode()
    good = client.post(
        reverse("billing:settlements"), {"provider": "riverty", "file": SimpleUploadedFile("s.csv", riverty_csv())}
    )
    assert good.status_code == 302
    page = client.get(reverse("billing:settlements"))
    rows = {row["code"]: row for row in page.context["unsettled"]}
    assert rows["1330"]["count"] == 0 and rows["1310"]["total"] == Decimal("20.00")
    assert "RV-7" in page.content.decode() and "1 settlements imported" in page.content.decode()


def test_fetch_from_mollie_button(role_client, settings):
    fake = FakeMollie().start()
    try:
        settings.OMS_MOLLIE_SETTLEMENTS = {"api_endpoint": fake.endpoint, "access_token": "access_x", "timeout": 5}
        provider_payment("tr_5", "10.00")
        fake.add_settlement(
            "stl_5", reference="1234567.2612.05", amount="9.71", settled_at=f"{date.today()}",
            payments=[("tr_5", "10.00")], fees=[("0.29", "")],
        )  # fmt: skip
        client = role_client(Role.ACCOUNTING)
        assert "Fetch from Mollie" in client.get(reverse("billing:settlements")).content.decode()
        response = client.post(reverse("billing:settlement_mollie_import"), follow=True)
        assert ProviderSettlement.objects.get().identifier == "stl_5"
        assert "1 settlements imported" in response.content.decode()
        fake.down = True
        response = client.post(reverse("billing:settlement_mollie_import"), follow=True)
        assert "Mollie could not be asked" in response.content.decode()
    finally:
        fake.stop()
