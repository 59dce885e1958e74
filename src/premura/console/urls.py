from django.urls import path

from premura.console import views

app_name = "console"
urlpatterns = [
    path("", views.inbox, name="inbox"),
]
