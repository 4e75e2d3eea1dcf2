from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("", views.asset_list, name="asset_list"),
    path("new/", views.asset_create, name="asset_create"),
    path("export/", views.asset_export, name="asset_export"),
    path("import/", views.asset_import, name="asset_import"),
    path("<int:pk>/", views.asset_detail, name="asset_detail"),
    path("<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("checks/", views.check_list, name="check_list"),
    path("checks/<int:pk>/", views.check_detail, name="check_detail"),
    path("scraps/<str:number>/print/", views.scrap_print, name="scrap_print"),
]
# The four procedures: <kind>_list, <kind>_create, <kind>_detail, <kind>_action.
for _kind, _prefix in (("acquisition", "acquisitions"), ("takeout", "take-outs"), ("repair", "repairs"),
                       ("scrap", "scraps")):
    urlpatterns += [
        path(f"{_prefix}/", views.procedure_list, {"kind": _kind}, name=f"{_kind}_list"),
        path(f"{_prefix}/new/", views.procedure_create, {"kind": _kind}, name=f"{_kind}_create"),
        path(f"{_prefix}/<str:number>/", views.procedure_detail, {"kind": _kind}, name=f"{_kind}_detail"),
        path(f"{_prefix}/<str:number>/actions/<slug:action>/", views.procedure_action, {"kind": _kind},
             name=f"{_kind}_action"),
    ]
