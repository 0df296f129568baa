"""Customers API (API.md "Customers"): create, get by number, list with search.

Serializers check types and shapes (a wrong type or an unknown choice is a 400 with the field
path); the service checks the business rules (postcode, VAT id, KvK, phone) and its
``oms.errors`` become problem+json through the DRF exception handler.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import selectors, services
from customers.models import AddressKind, CustomerKind, Language, PaymentMethod
from oms.api import api_access, require_scope
from oms.api_clients import Scope
from oms.idempotency import idempotent
from oms.roles import Role

# staff by role; API clients by scope (API.md 1.1)
READ_ACCESS = api_access(Scope.CUSTOMERS_READ, roles=(Role.CUSTOMER_SERVICE, Role.ACCOUNTING))
WRITE_ACCESS = api_access(Scope.CUSTOMERS_WRITE, roles=(Role.CUSTOMER_SERVICE,))
# What a client sets only with ``credit:write``: a credit limit lets the customer order on account.
CREDIT_FIELDS = ("credit_limit", "payment_terms_days")


class AddressInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AddressKind.choices)
    street = serializers.CharField(max_length=200)
    house_number = serializers.CharField(max_length=10, allow_blank=True, required=False, default="")
    house_number_addition = serializers.CharField(max_length=10, allow_blank=True, required=False, default="")
    postal_code = serializers.CharField(max_length=12)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2, required=False, default="NL")
    is_default = serializers.BooleanField(required=False, default=False)


class CustomerInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CustomerKind.choices)
    name = serializers.CharField(max_length=200)
    email = serializers.CharField(max_length=254, allow_blank=True, required=False, default="")
    phone = serializers.CharField(max_length=40, allow_blank=True, required=False, default="")
    company_name = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    vat_id = serializers.CharField(max_length=30, allow_blank=True, required=False, default="")
    coc_number = serializers.CharField(max_length=20, allow_blank=True, required=False, default="")
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=365, required=False, default=14)
    credit_limit = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, default="0.00"
    )
    preferred_payment_method = serializers.ChoiceField(
        choices=PaymentMethod.choices, required=False, default=PaymentMethod.IDEAL
    )
    language = serializers.ChoiceField(choices=Language.choices, required=False, default=Language.NL)
    notes = serializers.CharField(max_length=10_000, allow_blank=True, required=False, default="")
    external_ref = serializers.CharField(max_length=100, allow_null=True, required=False, default=None)
    addresses = AddressInSerializer(many=True, required=False, default=list, max_length=20)


class AddressOutSerializer(serializers.Serializer):
    kind = serializers.CharField()
    street = serializers.CharField()
    house_number = serializers.CharField()
    house_number_addition = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    is_default = serializers.BooleanField()


class CustomerOutSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField()
    company_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.SerializerMethodField()
    vat_id = serializers.CharField()
    coc_number = serializers.CharField()
    payment_terms_days = serializers.IntegerField()
    credit_limit = serializers.DecimalField(max_digits=12, decimal_places=2)
    credit_hold = serializers.BooleanField()
    preferred_payment_method = serializers.CharField()
    language = serializers.CharField()
    notes = serializers.CharField()
    external_ref = serializers.CharField(allow_null=True)
    addresses = AddressOutSerializer(many=True, source="addresses.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_phone(self, customer) -> str:
        return customer.phone.as_e164 if customer.phone else ""


class CustomerListCreate(ListAPIView):
    """``GET /api/v1/customers/?search=`` (cursor-paginated) and ``POST /api/v1/customers/``."""

    serializer_class = CustomerOutSerializer

    def get_permissions(self):
        return [(READ_ACCESS if self.request.method in ("GET", "HEAD", "OPTIONS") else WRITE_ACCESS)()]

    def get_queryset(self):
        return selectors.customer_list_with_addresses(search=self.request.query_params.get("search", ""))

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="name, company, e-mail, phone, postcode, number")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=CustomerInSerializer, responses={201: CustomerOutSerializer})
    @idempotent
    def post(self, request):
        data = CustomerInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        for name in CREDIT_FIELDS:
            if isinstance(request.data, dict) and name in request.data:
                require_scope(request, Scope.CREDIT_WRITE, field=name)
        customer = services.customer_create(**data.validated_data, user=request.user)
        body = CustomerOutSerializer(selectors.customer_get_with_addresses(customer.number)).data
        location = reverse("api:customer-detail", kwargs={"number": customer.number})
        return Response(body, status=201, headers={"Location": location})


class CustomerDetail(APIView):
    """``GET /api/v1/customers/{number}/``."""

    permission_classes = [READ_ACCESS]

    @extend_schema(responses={200: CustomerOutSerializer})
    def get(self, request, number: str):
        customer = selectors.customer_get_with_addresses(number)
        return Response(CustomerOutSerializer(customer).data)
