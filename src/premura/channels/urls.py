from django.urls import path

from premura.channels import views

app_name = "mail"
urlpatterns = [
    path("unreadable/", views.unreadable, name="unreadable"),
    path("<int:inbound_id>/raw/", views.raw_message, name="raw"),
]
