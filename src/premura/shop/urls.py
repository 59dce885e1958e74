from django.urls import path

from premura.shop import views

app_name = "shop"
urlpatterns = [path("logo/<int:version>/", views.logo, name="logo")]
