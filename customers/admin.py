"""Customers in the Django admin: read-only, because every change goes through the services
(numbers, validation, audit context); the customer screens are where staff edit them."""

from django.contrib import admin

from customers.models import Address, Customer, CustomerIban
from oms.admin_readonly import ReadOnlyAdmin, ReadOnlyInline


class AddressInline(ReadOnlyInline):
    model = Address
    fields = ["kind", "street", "house_number", "house_number_addition", "postal_code", "city", "country", "is_default"]


class IbanInline(ReadOnlyInline):
    model = CustomerIban
    fields = ["iban", "source", "created_at"]


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["number", "name", "company_name", "kind", "email", "credit_hold", "created_at"]
    list_filter = ["kind", "credit_hold", "preferred_payment_method"]
    search_fields = ["number", "email", "external_ref"]
    show_full_result_count = False
    inlines = [AddressInline, IbanInline]
    exclude = ["search_document"]
