"""Serving a fake shop platform on 127.0.0.1 for the tests (fake_shopify, fake_woocommerce,
fake_prestashop): one server per test, on a free port."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# serve_forever looks for shutdown this often: a test's teardown waits up to that long (the
# default, half a second, added up to minutes over the suite).
POLL_SECONDS = 0.02


def start(shop, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """Serve `shop` with a subclass of `handler` that sees it as `self.shop`; `shop.url` is set to
    the server's address. Stop it with `shutdown()` and `server_close()`."""
    served = type("Handler", (handler,), {"shop": shop})
    server = ThreadingHTTPServer(("127.0.0.1", 0), served)
    shop.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True).start()
    return server
