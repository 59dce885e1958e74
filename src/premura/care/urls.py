from django.urls import path

from premura.care import views

app_name = "care"
urlpatterns = [
    path("incidents/", views.incidents, name="incidents"),
    path("report/", views.report, name="report"),
    path("cases/<int:case_id>/steps/<int:step_id>/done/", views.step_done, name="step_done"),
]
