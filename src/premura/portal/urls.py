from django.urls import path

from premura.portal import reports, views

app_name = "portal"
urlpatterns = [
    # The signed link of the e-mails: exchanged for the session, then left (decision 0006).
    path("o/<str:token>/", views.open_link, name="link"),
    path("orders/<int:order_id>/", views.order_page, name="order"),
    path("orders/<int:order_id>/contact/", views.contact, name="contact"),
    path("orders/<int:order_id>/cases/<int:case_id>/", views.case_page, name="case"),
    path("orders/<int:order_id>/report/", reports.report, name="report_problem"),
    path("orders/<int:order_id>/reports/<int:report_id>/", reports.report_page, name="report"),
    path("orders/<int:order_id>/reports/<int:report_id>/remedy/", reports.choose, name="report_remedy"),
    path("orders/<int:order_id>/cancel/", reports.cancel, name="cancel"),
    path(
        "orders/<int:order_id>/cases/<int:case_id>/files/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
]
