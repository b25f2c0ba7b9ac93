from django.contrib import admin

from stockdata.core.models import ContactMessage


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin):
    """Read here; answered from the staff page (/staff/contact/), which e-mails the answer."""

    list_display = ["created_at", "topic", "name", "email", "organisation", "status"]
    list_filter = ["status", "topic"]
    search_fields = ["email", "name", "organisation", "body"]
    readonly_fields = [f.name for f in ContactMessage._meta.fields]

    def has_add_permission(self, request):
        return False
