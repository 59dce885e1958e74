from django.contrib.auth import views as auth_views
from django.urls import path

from premura.console import incident, money, reports, scorecard, views

app_name = "console"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.inbox, name="inbox"),
    path("cases/new/", views.new_case, name="new_case"),
    path("cases/new/customers/", views.customer_search, name="customer_search"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/reply/", views.case_reply, name="case_reply"),
    path("cases/<int:case_id>/note/", views.case_note, name="case_note"),
    path("cases/<int:case_id>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:case_id>/status/", views.case_status, name="case_status"),
    path("cases/<int:case_id>/priority/", views.case_priority, name="case_priority"),
    path("cases/<int:case_id>/identities/", views.case_add_identity, name="case_add_identity"),
    path("cases/<int:case_id>/incident/carrier/", incident.incident_carrier, name="incident_carrier"),
    path(
        "cases/<int:case_id>/incident/tasks/<int:task_id>/done/",
        incident.incident_task_done,
        name="incident_task_done",
    ),
    path("cases/<int:case_id>/incident/refund/", incident.incident_refund, name="incident_refund"),
    path("cases/<int:case_id>/order/cancel/", money.case_cancel_order, name="case_cancel_order"),
    path("cases/<int:case_id>/order/report/", reports.report_parcel, name="case_report_parcel"),
    path(
        "cases/<int:case_id>/reports/<int:report_id>/decision/",
        reports.decide_report,
        name="case_report_decision",
    ),
    path(
        "cases/<int:case_id>/reports/<int:report_id>/remedy/",
        reports.choose_remedy,
        name="case_report_remedy",
    ),
    path("cases/<int:case_id>/order/refund/", money.case_refund_order, name="case_refund_order"),
    path("cases/<int:case_id>/order/coupon/", money.case_coupon, name="case_coupon"),
    path("cases/<int:case_id>/order/reship/", money.case_reship, name="case_reship"),
    path("cases/<int:case_id>/order/address/", money.case_change_address, name="case_change_address"),
    path(
        "cases/<int:case_id>/order/refunds/<int:refund_id>/decision/",
        money.case_refund_decision,
        name="case_refund_decision",
    ),
    path("cases/<int:case_id>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("carriers/scorecard/", scorecard.carrier_scorecard, name="carrier_scorecard"),
    path("carriers/scorecard.csv", scorecard.carrier_scorecard_csv, name="carrier_scorecard_csv"),
    path("availability/", views.set_availability, name="availability"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<int:notification_id>/", views.notification_open, name="notification_open"),
]
