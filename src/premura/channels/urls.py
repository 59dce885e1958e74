from django.urls import path

from premura.channels import views

app_name = "mail"
urlpatterns = [
    path("unreadable/", views.unreadable, name="unreadable"),
    path("<int:inbound_id>/raw/", views.raw_message, name="raw"),
    path("<int:inbound_id>/", views.email_message, name="message"),
    path("<int:inbound_id>/html/", views.email_html, name="html"),
]
