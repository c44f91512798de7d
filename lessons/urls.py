from django.urls import path

from lessons.views import catalogue, classes, dashboard, simulate, workspace

app_name = "lessons"

urlpatterns = [
    path("", catalogue.catalogue, name="catalogue"),
    path("s/<slug:slug>/", workspace.workspace, name="workspace"),
    path("simulate/", simulate.simulate, name="simulate"),
    path("join/", classes.join, name="join"),
    path("resume/", classes.resume, name="resume"),
    path("leave/", classes.leave, name="leave"),
    path("teach/", classes.teach, name="teach"),
    path("teach/<str:code>/projector/", classes.projector, name="projector"),
    path("teach/<str:code>/", dashboard.dashboard, name="dashboard"),
    path("teach/<str:code>/results.csv", dashboard.export_csv, name="export"),
    path("teach/<str:code>/summary/", dashboard.summary, name="summary"),
]
