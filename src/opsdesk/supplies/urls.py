from django.urls import path

from . import views

app_name = "supplies"

urlpatterns = [
    path("", views.part_list, name="part_list"),
    path("parts/export/", views.part_export, name="part_export"),
    path("parts/<int:pk>/", views.part_detail, name="part_detail"),
    path("parts/<int:pk>/move/", views.part_move, name="part_move"),
    path("movements/", views.movement_list, name="movement_list"),
    path("movements/export/", views.movement_export, name="movement_export"),
    path("replenishment/", views.replenishment, name="part_replenishment"),
    path("reports/stock/", views.stock_report, name="stock_report"),
    path("consumables/", views.consumable_list, name="consumable_list"),
    path("consumables/export/", views.consumable_export, name="consumable_export"),
    path("consumables/<int:pk>/", views.consumable_detail, name="consumable_detail"),
    path("consumables/<int:pk>/issue/", views.consumable_issue, name="consumable_issue"),
    path("consumables/<int:pk>/lend/", views.consumable_lend, name="consumable_lend"),
    path("loans/", views.loan_list, name="loan_list"),
    path("loans/<int:pk>/return/", views.loan_return, name="loan_return"),
    path("reports/usage/", views.usage_report, name="usage_report"),
    path("import/", views.import_page, name="import"),
]
