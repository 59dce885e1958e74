"""Orders, their lines, payments (with the card authorisation state), refunds and cancellations
(the money actions, docs/architecture.md "Money"), and the shop connections they come through."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from premura.core import encryption


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PAID
    )
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2, default=Decimal("0"))
    shipping_total = models.DecimalField(_("shipping"), max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=Decimal("0"))
    email = models.EmailField(_("order e-mail"))
    shipping_name = models.CharField(_("ship to"), max_length=200)
    shipping_street = models.CharField(_("street"), max_length=200)
    shipping_postcode = models.CharField(_("postcode"), max_length=16)
    shipping_city = models.CharField(_("city"), max_length=100)
    shipping_province = models.CharField(_("province"), max_length=8, blank=True)
    shipping_country = models.CharField(_("country"), max_length=2, default="IT")
    # Where the order came from (a shop connector) and its id there.
    source = models.CharField(_("source"), max_length=32, default="manual")
    external_id = models.CharField(_("external id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["customer", "placed_at"], name="order_customer_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="order_source_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("product"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("line total"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    PAYPAL = "paypal", _("PayPal")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH_ON_DELIVERY = "cash_on_delivery", _("Cash on delivery")
    KLARNA = "klarna", _("Klarna")


class PaymentState(models.TextChoices):
    PENDING = "pending", _("Pending")
    AUTHORIZED = "authorized", _("Authorised (amount blocked)")
    CAPTURED = "captured", _("Captured")
    VOIDED = "voided", _("Authorisation voided")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")


class Payment(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="payments", verbose_name=_("order")
    )
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    state = models.CharField(_("state"), max_length=20, choices=PaymentState.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    authorized_at = models.DateTimeField(_("authorised at"), null=True, blank=True)
    captured_at = models.DateTimeField(_("captured at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} {self.currency} ({self.get_state_display()})"


class RefundStatus(models.TextChoices):
    # Over the requester's refund limit: waits for an administrator; nothing reaches the platform.
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting an administrator's approval")
    REJECTED = "rejected", _("Not approved")
    REQUESTED = "requested", _("Requested")
    SUBMITTED = "submitted", _("Submitted to the bank")
    COMPLETED = "completed", _("Arrived")
    FAILED = "failed", _("Failed")


class RefundDestination(models.TextChoices):
    CARD = "card", _("To the original payment")
    STORE_CREDIT = "store_credit", _("As store credit")


class MoneyActionFields(models.Model):
    """What every money action keeps for its platform call (decision 0030): the idempotency key
    (unique: a double click, a retried job or a repeated API call finds the row, never makes a
    second), who asked and why, the case it was asked from, and the submission's bookkeeping: the
    attempts made, when the next is due after a transient error, the lease of the worker calling
    the platform now, the platform's id of the result and its last error message."""

    idempotency_key = models.CharField(max_length=64, unique=True, verbose_name=_("idempotency key"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    case = models.ForeignKey(
        "conversations.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("case"),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("being submitted until"), null=True, blank=True, editable=False)
    external_id = models.CharField(_("platform id"), max_length=64, blank=True)
    error = models.TextField(_("platform's message"), blank=True)

    class Meta:
        abstract = True


class Refund(MoneyActionFields):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="refunds", verbose_name=_("order")
    )
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refunds",
        verbose_name=_("payment"),
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    destination = models.CharField(
        _("refunded"), max_length=16, choices=RefundDestination.choices, default=RefundDestination.CARD
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    expected_arrival_at = models.DateTimeField(_("expected to arrive by"), null=True, blank=True)
    completed_at = models.DateTimeField(_("arrived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        indexes = [
            # The submission sweeper's range: refunds waiting for their (next) platform call.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="requested"),
                name="refund_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"


class CancellationStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    DONE = "done", _("Cancelled on the platform")
    FAILED = "failed", _("Failed")


class CancellationOutcome(models.TextChoices):
    # What happens to the customer's money, said to the agent and the customer when cancelling.
    VOID = "void", _("The card authorisation is released at once")
    REFUND = "refund", _("The payment is refunded")
    NOTHING = "nothing", _("Nothing was paid")


class Cancellation(MoneyActionFields):
    """An order cancelled from Premura: the row written (requested) before the platform call."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="cancellations", verbose_name=_("order")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CancellationStatus.choices, default=CancellationStatus.REQUESTED
    )
    outcome = models.CharField(_("money"), max_length=16, choices=CancellationOutcome.choices)
    # The amount released (void) or refunded, in the order's currency.
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    completed_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cancellation")
        verbose_name_plural = _("cancellations")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="requested"),
                name="cancellation_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} ({self.get_status_display()})"


class ActionStatus(models.TextChoices):
    """Where a coupon, a re-shipment or an address change stands: written requested, then done or
    failed by the platform's answer (commerce.submission)."""

    REQUESTED = "requested", _("Requested")
    DONE = "done", _("Done on the platform")
    FAILED = "failed", _("Failed")


class CouponKind(models.TextChoices):
    AMOUNT = "amount", _("Amount off")
    PERCENTAGE = "percentage", _("Percentage off")
    FREE_SHIPPING = "free_shipping", _("Free shipping")


class PlatformAction(MoneyActionFields):
    """A coupon, re-shipment or address change: requested, then done or failed on the platform,
    found by the submission sweeper's index range while requested."""

    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.REQUESTED
    )
    completed_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="requested"), name="%(class)s_due_idx"
            )
        ]


class Coupon(PlatformAction):
    """A single-use discount code made on the order's shop platform for the customer: an amount or
    a percentage off (optionally only on one product category), or free shipping, until an
    expiry date. `code` is the platform's, known once it is done."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="coupons", verbose_name=_("order")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CouponKind.choices)
    # An amount in `currency`, or a percentage (1-100); 0 for free shipping.
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    category = models.CharField(_("only on the category"), max_length=100, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    code = models.CharField(_("code"), max_length=64, blank=True)

    class Meta(PlatformAction.Meta):
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")

    def __str__(self) -> str:
        return self.code or f"{self.get_kind_display()} ({self.get_status_display()})"


class Reshipment(PlatformAction):
    """The order's goods sent again, free, as a replacement order on the shop's platform (a lost
    or damaged parcel). `lines`: [{"sku": ..., "quantity": ...}] of the original order, all of
    them when the agent did not choose."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="reshipments", verbose_name=_("order")
    )
    lines = models.JSONField(_("lines"), default=list)
    # The replacement order's number on the platform, for the agent and the customer.
    replacement_number = models.CharField(_("replacement order"), max_length=64, blank=True)

    class Meta(PlatformAction.Meta):
        verbose_name = _("re-shipment")
        verbose_name_plural = _("re-shipments")

    def __str__(self) -> str:
        return f"{self.order} → {self.replacement_number or self.get_status_display()}"


class AddressChange(PlatformAction):
    """A new delivery address for an order not yet shipped, asked of the platform; the order's
    own address changes once the platform has it."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="address_changes", verbose_name=_("order")
    )
    shipping_name = models.CharField(_("ship to"), max_length=200)
    shipping_street = models.CharField(_("street"), max_length=200)
    shipping_postcode = models.CharField(_("postcode"), max_length=16)
    shipping_city = models.CharField(_("city"), max_length=100)
    shipping_province = models.CharField(_("province"), max_length=8, blank=True)
    shipping_country = models.CharField(_("country"), max_length=2, default="IT")

    class Meta(PlatformAction.Meta):
        verbose_name = _("address change")
        verbose_name_plural = _("address changes")

    def __str__(self) -> str:
        return f"{self.order}: {self.shipping_street}, {self.shipping_city}"


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    PRESTASHOP = "prestashop", "PrestaShop"
    GENERIC = "generic", _("Custom shop (signed JSON)")


CONNECTION_SECRET_PURPOSE = b"premura.commerce.shop-connection-secret"


class ShopConnection(models.Model):
    """One shop on one platform (decision 0029): the connector that speaks to it, where its API is,
    and its credentials, stored encrypted (decision 0012) and never shown back. Its slug is the
    `source` of the orders it brings and the last part of its webhook URL."""

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("slug"),
        max_length=32,
        unique=True,
        help_text=_("The orders' source and the last part of the webhook URL."),
    )
    api_url = models.URLField(
        _("API address"),
        blank=True,
        help_text=_("Shopify: https://<shop>.myshopify.com. Empty: the shop takes no actions from Premura."),
    )
    api_version = models.CharField(_("API version"), max_length=16, blank=True, default="2025-01")
    access_token_encrypted = models.TextField(_("access token (encrypted)"), blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(_("webhook secret (encrypted)"), blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The reconciliation job's checkpoint: orders changed on the platform since then are read again
    # (a webhook the platform never delivered, or a platform without webhooks).
    reconciled_until = models.DateTimeField(_("orders read up to"), null=True, blank=True, editable=False)

    # In clear for the code, encrypted in the column.
    access_token = encryption.encrypted_text("access_token_encrypted", purpose=CONNECTION_SECRET_PURPOSE)
    webhook_secret = encryption.encrypted_text("webhook_secret_encrypted", purpose=CONNECTION_SECRET_PURPOSE)

    class Meta:
        verbose_name = _("shop connection")
        verbose_name_plural = _("shop connections")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Could not be processed")


class ShopWebhook(models.Model):
    """One signed webhook from a shop as it came (raw first, decision 0017), and what became of
    it; a body that cannot be applied stays here with the reason."""

    connection = models.ForeignKey(
        ShopConnection, on_delete=models.PROTECT, related_name="webhooks", verbose_name=_("shop")
    )
    # The platform's id of the delivery (Shopify: X-Shopify-Webhook-Id): a replay is accepted once.
    webhook_id = models.CharField(_("webhook id"), max_length=100, blank=True)
    topic = models.CharField(_("topic"), max_length=64, blank=True)
    body = models.BinaryField(_("body"))
    headers = models.JSONField(_("headers"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shop webhook")
        verbose_name_plural = _("shop webhooks")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "webhook_id"],
                condition=~models.Q(webhook_id=""),
                name="shopwebhook_connection_webhook_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection} {self.topic} {self.webhook_id}"
