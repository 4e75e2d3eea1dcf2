from django.contrib import admin

from .models import InboundMessage, Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "contract", "imap_host", "enabled", "last_polled_at", "last_error")
    list_filter = ("enabled",)
    exclude = ("password",)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "contract", "sender", "subject", "outcome", "incident", "received_at")
    list_filter = ("outcome",)
    exclude = ("raw",)
    raw_id_fields = ("incident", "handled_by", "mailbox")
