from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth.models import User

from customers.models import Customer
from orders.models import Order


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"CUST{n:04d}")
    name = factory.Faker("name")
    contact_number = factory.Sequence(lambda n: f"+25471{n % 10_000_000:07d}")
    email = factory.Faker("email")
    insurance_number = ""


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    item = "Paracetamol 500mg"
    amount = Decimal("50.00")
    physician_name = "Dr House"
