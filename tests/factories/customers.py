"""Valid customers and addresses, written straight to the table (no services, no side effects
beyond the audit trigger). Their search text is filled in, so search finds them."""

from decimal import Decimal

import factory

from customers.models import NUMBER_PREFIX, NUMBER_SEQUENCE, Address, AddressKind, Customer, CustomerKind, PaymentMethod
from customers.search import build_search_document
from oms.numbering import format_number, next_value


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    number = factory.LazyFunction(lambda: format_number(NUMBER_PREFIX, next_value(NUMBER_SEQUENCE)))
    kind = CustomerKind.B2C
    name = factory.Sequence(lambda n: f"Klant {n} de Vries")
    email = factory.Sequence(lambda n: f"klant{n}@example.nl")
    phone = factory.Sequence(lambda n: f"+3161{n:07d}")
    preferred_payment_method = PaymentMethod.IDEAL

    class Params:
        b2b = factory.Trait(
            kind=CustomerKind.B2B,
            company_name=factory.Sequence(lambda n: f"Handel {n} B.V."),
            vat_id="NL000099998B57",
            coc_number="12345678",
            preferred_payment_method=PaymentMethod.ON_ACCOUNT,
            payment_terms_days=30,
            credit_limit=Decimal("5000.00"),
        )

    @factory.lazy_attribute
    def search_document(self):
        return build_search_document(
            number=self.number,
            name=self.name,
            company_name=getattr(self, "company_name", ""),
            email=self.email,
            phone=self.phone,
        )


class AddressFactory(factory.django.DjangoModelFactory):
    """A default shipping address; pass ``kind``/``is_default`` for others. Note: the customer's
    search text does not learn this postcode (the services keep that up to date)."""

    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    kind = AddressKind.SHIPPING
    street = "Oudegracht"
    house_number = factory.Sequence(lambda n: str(n % 300 + 1))
    postal_code = "3511 AB"
    city = "Utrecht"
    country = "NL"
    is_default = True
