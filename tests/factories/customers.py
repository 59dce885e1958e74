import factory

from premura.customers.models import Customer, CustomerIdentity, IdentityKind


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    full_name = factory.Sequence(lambda n: f"Cliente Numero{n}")
    language = "it"


class EmailIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerIdentity

    customer = factory.SubFactory(CustomerFactory)
    kind = IdentityKind.EMAIL
    value = factory.Sequence(lambda n: f"cliente{n}@example.it")
    is_primary = True
