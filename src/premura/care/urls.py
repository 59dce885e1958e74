from django.urls import path

from premura.care import views

app_name = "care"
urlpatterns = [
    path("incidents/", views.incidents, name="incidents"),
    path("report/", views.report, name="report"),
]
