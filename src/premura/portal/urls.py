from django.urls import path

from premura.portal import views

app_name = "portal"
urlpatterns = [
    path("o/<str:token>/", views.order_page, name="order"),
    path("o/<str:token>/contact/", views.contact, name="contact"),
    path("o/<str:token>/cases/<int:case_id>/", views.case_page, name="case"),
    path("o/<str:token>/cases/<int:case_id>/files/<int:attachment_id>/", views.attachment, name="attachment"),
]
