from django.urls import path

from . import views

app_name = "mailin"

urlpatterns = [
    path("", views.message_list, name="message_list"),
    path("messages/<int:pk>/", views.message_detail, name="message_detail"),
    path("messages/<int:pk>/raw/", views.message_raw, name="message_raw"),
    path("messages/<int:pk>/retry/", views.message_retry, name="message_retry"),
    path("messages/<int:pk>/discard/", views.message_discard, name="message_discard"),
    path("mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("mailboxes/new/", views.mailbox_create, name="mailbox_create"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/test/", views.mailbox_test, name="mailbox_test"),
]
