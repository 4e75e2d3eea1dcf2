from django.urls import path

from . import views

app_name = "calendars"

urlpatterns = [
    path("", views.calendar_list, name="calendar_list"),
    path("new/", views.calendar_create, name="calendar_create"),
    path("holidays/", views.holiday_years, name="holiday_years"),
    path("holidays/<int:year>/", views.holiday_year_detail, name="holiday_year_detail"),
    path("<str:code>/", views.calendar_detail, name="calendar_detail"),
    path("<str:code>/edit/", views.calendar_edit, name="calendar_edit"),
    path("<str:code>/overrides/", views.override_add, name="override_add"),
    path("<str:code>/overrides/<int:override_id>/remove/", views.override_remove, name="override_remove"),
]
