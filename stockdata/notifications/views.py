from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views import View

from stockdata.accounts.permissions import ContributorRequiredMixin
from stockdata.notifications import services
from stockdata.notifications.models import Notification

NOTIFICATIONS_PER_PAGE = 30


class NotificationListView(ContributorRequiredMixin, View):
    def get(self, request):
        notifications = Notification.objects.filter(user=request.user)
        page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
        return render(
            request,
            "notifications/notification_list.html",
            {
                "page_obj": page,
                "notifications": page.object_list,
                "unread": notifications.filter(read_at__isnull=True).count(),
            },
        )

    def post(self, request):
        services.notifications_mark_read(user=request.user)
        return redirect("notifications:list")
