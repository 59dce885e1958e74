from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from premura.shop.queries import shop_settings


def shop(request: HttpRequest) -> dict:
    """`shop` in every template: the shop's settings, read (from the cache) only if a page uses them."""
    return {"shop": SimpleLazyObject(shop_settings)}
