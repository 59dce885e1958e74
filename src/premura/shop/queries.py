"""Reading the shop's settings: `shop_settings()`, cached, for every page and every message."""

from django.core.cache import cache
from django.db import connection

from premura.shop.models import CACHE_KEY, SINGLETON_ID, ShopSettings

# A process with a local cache (no REDIS_URL) sees another process's change at most this late;
# with Redis, and in the process that saved, at once (ShopSettings.save deletes the key).
CACHE_SECONDS = 60


def shop_settings() -> ShopSettings:
    """The shop's one settings row, made with its defaults on the first read.

    Cached; the cache is filled only outside a transaction, so it never holds a row that a rollback
    would undo.
    """
    shop = cache.get(CACHE_KEY)
    if shop is not None:
        return shop
    shop, _ = ShopSettings.objects.get_or_create(id=SINGLETON_ID)
    if not connection.in_atomic_block:
        cache.set(CACHE_KEY, shop, CACHE_SECONDS)
    return shop
