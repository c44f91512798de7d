from django.urls import path

from lessons import views

app_name = "lessons"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("s/<slug:slug>/", views.workspace, name="workspace"),
    path("simulate/", views.simulate, name="simulate"),
]
