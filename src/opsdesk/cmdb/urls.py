from django.urls import path

from . import views

app_name = "cmdb"

urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("new/", views.item_create, name="item_create"),
    path("export/", views.item_export, name="item_export"),
    path("import/", views.item_import, name="item_import"),
    path("audits/", views.audit_list, name="audit_list"),
    path("audits/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("status/", views.status_report, name="status_report"),
    path("types/", views.type_list, name="type_list"),
    path("types/<slug:code>/", views.type_edit, name="type_edit"),
    path("<int:pk>/", views.item_detail, name="item_detail"),
    path("<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("<int:pk>/impact/", views.item_impact, name="item_impact"),
    path("<int:pk>/graph/", views.item_graph, name="item_graph"),
    path("<int:pk>/relationships/", views.relation_add, name="relation_add"),
    path("<int:pk>/relationships/<int:relation_id>/remove/", views.relation_remove, name="relation_remove"),
    # kind: incidents or problems (anything else is a 404)
    path("<slug:kind>/<str:number>/items/", views.ticket_item_link, name="ticket_item_link"),
    path("<slug:kind>/<str:number>/items/<int:pk>/unlink/", views.ticket_item_unlink, name="ticket_item_unlink"),
]
