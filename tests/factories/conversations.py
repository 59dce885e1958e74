from premura.conversations.models import Case
from premura.conversations.services import open_case
from premura.customers.models import Customer


def make_case(
    customer: Customer,
    subject: str = "Dov'è il mio pacco?",
    body: str = "Buongiorno, il pacco non è ancora arrivato.",
    **kwargs,
) -> Case:
    return open_case(customer=customer, subject=subject, body=body, **kwargs)
